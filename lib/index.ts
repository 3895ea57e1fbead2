/**
 * sticky-balancer: load-balance a Node server across Apache Tomcat nodes, with jvmRoute session
 * stickiness, over HTTP or AJP13.
 *
 * The core is framework-free: `createBalancer(options).handle(req, res, next?)` works on Node's own
 * request and response. `sticky-balancer/express` and `sticky-balancer/koa` wrap it as middleware.
 *
 * This file is the public surface: what a user builds with, passes in, receives back or catches.
 * Helpers the balancer is made of stay importable by path for the tests, but are not promised
 * here. `test/architecture/public-surface.test.ts` lists these names so that growth is deliberate.
 *
 * @module
 */

// The balancer, its options and what it hands back.
export { createBalancer } from './balancer.js'
export type { Balancer } from './balancer.js'
export type { BalancerEvents, ExchangeEvent, MountContext, NextFunction, UpgradeEvent } from './types.js'
export type { BalancerOptions, HttpAgentOptions, MemberOptions, ResolvedBalancerOptions, ResolvedMemberOptions } from './options.js'
export type { PemInput, TlsOptions, TlsVersion } from './net/tls-options.js'
export type { StickyOptions, ResolvedStickyOptions } from './session/sticky-options.js'
export type { StickyMiss, StickyReason } from './session/sticky-resolver.js'
export type { BalancerCookieOptions, ResolvedBalancerCookie } from './session/balancer-cookie.js'
export type { ClientTimeouts } from './proxy/client-timeouts.js'
export type { ResponseHeaders } from './transports/transport.js'
export type { OnRequestHook, OnResponseHook, ProxyRequestContext, ProxyResponseContext } from './proxy/hooks.js'
export type { PathRewrite, PathRewriter } from './proxy/path-rewrite.js'
export type { TrustProxy, TrustProxyOption } from './net/trust-proxy.js'
export type { ClientTrust, TrustPredicate } from './proxy/forwarded-client.js'
export type { HealthCheckMethod, HealthCheckOptions, ResolvedHealthCheck } from './health/health-check-options.js'
export type { AjpTransportOptions, ResolvedAjpTransportOptions } from './transports/ajp/options.js'
export type { HttpTransportOptions } from './transports/http/http-transport.js'

// WebSockets and other upgrades.
export { refuseConnect } from './upgrade/attach.js'
export type { AttachUpgradesOptions, UpgradeHandler, UpgradeServer } from './upgrade/attach.js'
export type { ResolvedUpgradeOptions, UpgradeOptions } from './upgrade/options.js'

// Members, as the balancer and the schedulers see them.
export type { Member, MemberCounters, MemberEvents, MemberProtocol, MemberSettings } from './members/member.js'
export type { BalancerControl, MemberSettingChanges, MemberView } from './control.js'
export type { AdminState, HealthState } from './members/member-state.js'

// Schedulers: pass a name, an object from one of these factories, or your own `Scheduler`.
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
export { createIpHash } from './schedulers/ip-hash.js'
export type { IpHashOptions } from './schedulers/ip-hash.js'
export { createConsistentHash } from './schedulers/consistent-hash.js'
export type { ConsistentHashOptions, ConsistentHashScheduler, HashKey } from './schedulers/consistent-hash.js'
// The contract every scheduler keeps, as a check for your own (any test runner).
export { checkScheduler, SCHEDULER_CHECKS } from './schedulers/check-scheduler.js'
export type { CheckSchedulerOptions, SchedulerCheck, SchedulerViolation } from './schedulers/check-scheduler.js'

// Errors: match on `err.code` (docs/errors.md lists every code and its status).
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
  MethodNotAllowedError,
  NoMemberError,
  NotFoundError,
  NotImplementedError,
  StickyMemberUnavailableError,
  UpstreamBusyError,
  UpstreamConnectError,
  UpstreamProtocolError,
  UpstreamResetError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  UpstreamTlsError,
} from './errors.js'
export type { AdminErrorCode, HookName, LbErrorCode, MemberFailureCode } from './errors.js'
export { ClientAbortedError } from './errors.js'
export { ClientTimeoutError } from './transports/client-timeout.js'
export type { ClientStall } from './transports/client-timeout.js'
export { AjpProtocolError, AjpSecretRejectedError, AjpUpgradeNotSupportedError } from './transports/ajp/errors.js'
export type { AjpProtocolErrorCode } from './transports/ajp/errors.js'

// Observability.
export type { Logger, LoggerOption, WinstonLikeLogger } from './logger.js'
export { channels as diagnosticsChannels } from './diagnostics.js'

// The access log: the `access` and `audit` events' records, and their lines (docs/guide/logging.md).
export { ACCESS_LOG_FORMATS, AccessTrail, escapeLogText, formatAccessLine, formatAuditLine } from './access-log/index.js'
export type { AccessLogFormat, AccessRecord, AccessSink, AuditRecord, UpstreamAttempt } from './access-log/index.js'

// The admin surface (balancer-manager page, JSON API, Prometheus metrics).
export { balancerSnapshot, createAdminHandler, isLoopback, listenAdmin } from './admin/index.js'
export type { AdminHandler, AdminListenOptions, AdminListener, AdminOptions, BalancerSnapshot, MemberSnapshot } from './admin/index.js'
export type { MetricsRegistryLike, ResolvedAdminOptions, SnapshotOptions, LatencyHistogram, RatePoint, StatsSource } from './admin/index.js'

// Importers: a balancer from httpd, nginx or mod_jk configuration.
export { detectConfigFormat, fromHttpdConfig, fromNginxConfig, fromWorkersProperties, importConfig } from './config/index.js'
export type { ConfigFormat, ImportConfigOptions, ImportOptions, ImportResult, ImportedBalancer, WorkersPropertiesImportOptions } from './config/index.js'
