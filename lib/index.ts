/**
 * sticky-balancer: load-balance a Node server across Apache Tomcat nodes, with jvmRoute session
 * stickiness, over HTTP or AJP13.
 *
 * The core is framework-free: `createBalancer(options).handle(req, res, next?)` works on Node's own
 * request and response. `sticky-balancer/express` and `sticky-balancer/koa` wrap it as middleware.
 *
 * @module
 */
export { Balancer, createBalancer } from './balancer.js'
export type { BalancerEvents, ExchangeEvent, MountContext, NextFunction, UpgradeEvent } from './types.js'
export { attachUpgrades, refuseConnect } from './upgrade/attach.js'
export type { AttachUpgradesOptions, UpgradeHandler, UpgradeServer } from './upgrade/attach.js'
export { UPGRADE_DEFAULTS, resolveUpgradeOptions } from './upgrade/options.js'
export type { ResolvedUpgradeOptions, UpgradeOptions } from './upgrade/options.js'
export type { BalancerOptions, HttpAgentOptions, MemberOptions } from './options.js'
export type { PemInput, TlsOptions, TlsVersion } from './net/tls-options.js'
export type { StickyOptions } from './session/sticky-options.js'
export type { StickyReason } from './session/sticky-resolver.js'
export { DEFAULTS } from './options.js'
export {
  AdminError,
  BadRequestError,
  HealthCheckError,
  HookError,
  BodyConsumedError,
  PathOutsideMountError,
  BalancerClosedError,
  HeadersTooLargeError,
  InvalidOptionError,
  LbError,
  NoMemberError,
  NotImplementedError,
  StickyMemberUnavailableError,
  UpstreamBusyError,
  UpstreamConnectError,
  UpstreamProtocolError,
  UpstreamResetError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  UpstreamTlsError,
  toGatewayError,
} from './errors.js'
export type { AdminErrorCode, HookName, LbErrorCode, MemberFailureCode } from './errors.js'
export { ClientAbortedError } from './errors.js'
export { ClientTimeoutError } from './transports/client-timeout.js'
export type { ClientStall } from './transports/client-timeout.js'
export { CLIENT_TIMEOUT_DEFAULTS } from './proxy/client-timeouts.js'
export type { ClientTimeouts } from './proxy/client-timeouts.js'
export type { Logger, LoggerOption, WinstonLikeLogger } from './logger.js'
export type { OnRequestHook, OnResponseHook, ProxyRequestContext, ProxyResponseContext } from './proxy/hooks.js'
export type { PathRewrite, PathRewriter } from './proxy/path-rewrite.js'
export { balancerSnapshot, createAdminHandler, isLoopback, listenAdmin } from './admin/index.js'
export type { AdminHandler, AdminListenOptions, AdminListener, AdminOptions, BalancerSnapshot, MemberSnapshot } from './admin/index.js'
export { HealthChecker } from './health/health-checker.js'
export type { Probe } from './health/health-checker.js'
export { HEALTH_CHECK_DEFAULTS, parseStatusSet } from './health/health-check-options.js'
export type { HealthCheckMethod, HealthCheckOptions } from './health/health-check-options.js'
export { effectiveWeight } from './members/effective-weight.js'
export { HEALTH_TRANSITIONS, canTransition } from './members/member-state.js'
export { channels as diagnosticsChannels } from './diagnostics.js'
export { Member } from './members/member.js'
export type { MemberCounters, MemberEvents, MemberProtocol } from './members/member.js'
export type { BalancerControl, MemberSettingChanges, MemberView } from './control.js'
export type { AdminState, HealthState } from './members/member-state.js'
export type { ExchangeResult, PickContext, Scheduler, SchedulerName } from './schedulers/scheduler.js'
export { createByRequests } from './schedulers/by-requests.js'
export type { ByRequestsOptions } from './schedulers/by-requests.js'
export { createByTraffic } from './schedulers/by-traffic.js'
export type { ByTrafficOptions, ByTrafficScheduler } from './schedulers/by-traffic.js'
export { createByBusyness } from './schedulers/by-busyness.js'
export { createWrr } from './schedulers/wrr.js'
export { createLeastConn } from './schedulers/least-conn.js'
export { createRandom } from './schedulers/random.js'
export type { RandomOptions } from './schedulers/random.js'
export { createPeakEwma } from './schedulers/peak-ewma.js'
export type { PeakEwmaOptions, PeakEwmaScheduler } from './schedulers/peak-ewma.js'
export { createSeededRandom } from './schedulers/shared.js'
export { SCHEDULER_NAMES, createScheduler } from './schedulers/create-scheduler.js'
export { createIpHash, ipHashIndex } from './schedulers/ip-hash.js'
export type { IpHashOptions } from './schedulers/ip-hash.js'
export { createConsistentHash, hashKey } from './schedulers/consistent-hash.js'
export type { ConsistentHashOptions, ConsistentHashScheduler, HashKey } from './schedulers/consistent-hash.js'
export { parseSessionRoute, parseSessionRoutes, splitSessionId } from './session/session-route.js'
export type { RouteSource, SessionRoute, SessionRouteInput } from './session/session-route.js'
export { STICKY_DEFAULTS, resolveStickyOptions } from './session/sticky-options.js'
export type { ResolvedStickyOptions } from './session/sticky-options.js'
export { domainOf, resolveSticky } from './session/sticky-resolver.js'
export type { ResolveStickyOptions, StickyMiss, StickyTarget, StickyVerdict } from './session/sticky-resolver.js'
export { clientAddress } from './net/client-address.js'
export { TrustProxy, resolveTrustProxy } from './net/trust-proxy.js'
export type { TrustProxyOption } from './net/trust-proxy.js'
export type { ClientTrust, TrustPredicate } from './proxy/forwarded-client.js'
export { createAjpTransport, DEFAULT_AJP_PORT } from './transports/ajp/ajp-transport.js'
export type { AjpTransport } from './transports/ajp/ajp-transport.js'
export { AJP_DEFAULTS } from './transports/ajp/options.js'
export type { AjpTransportOptions } from './transports/ajp/options.js'
export { AjpProtocolError, AjpSecretRejectedError, AjpUpgradeNotSupportedError } from './transports/ajp/errors.js'
export type { AjpProtocolErrorCode } from './transports/ajp/errors.js'
export { createHttpTransport } from './transports/http/http-transport.js'
export type { HttpTransportOptions } from './transports/http/http-transport.js'
export type { ClientConnection, Exchange, ForwardResult, ResponseHeaders, Transport } from './transports/transport.js'
export { detectConfigFormat, fromHttpdConfig, fromNginxConfig, fromWorkersProperties, importConfig } from './config/index.js'
export type { ConfigFormat, ImportConfigOptions, ImportOptions, ImportResult, ImportedBalancer, WorkersPropertiesImportOptions } from './config/index.js'
// Types that public signatures refer to (so that they are documented and nameable by users).
export type { ResolvedBalancerOptions, ResolvedMemberOptions } from './options.js'
export type { ResolvedAjpTransportOptions } from './transports/ajp/options.js'
export type { MetricsRegistryLike, ResolvedAdminOptions, SnapshotOptions, LatencyHistogram, RatePoint, StatsSource } from './admin/index.js'
export type { BalancerCookieOptions, ResolvedBalancerCookie } from './session/balancer-cookie.js'
export type { ResolvedHealthCheck } from './health/health-check-options.js'
export type { HealthCheckerEvents } from './health/health-checker.js'
export type { MemberSettings } from './members/member.js'
export type { Cidr } from './net/cidr.js'
export { MAX_SESSION_ROUTES } from './session/session-route.js'
