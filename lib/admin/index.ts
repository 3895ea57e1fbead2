/**
 * The admin surface: snapshots, renderers and the framework-free handler.
 *
 * @module
 */
export { createAdminHandler, NONCE_HEADER } from './admin-handler.js'
export type { AdminHandler } from './admin-handler.js'
export { listenAdmin } from './admin-server.js'
export type { AdminListenOptions, AdminListener } from './admin-server.js'
export { ADMIN_DEFAULTS, resolveAdminOptions } from './options.js'
export type { AdminOptions, MetricsRegistryLike, ResolvedAdminOptions } from './options.js'
export { balancerSnapshot } from './snapshot.js'
export type { BalancerSnapshot, MemberSnapshot, SnapshotOptions } from './snapshot.js'
export { AdminStats } from './stats.js'
export type { LatencyHistogram, RatePoint, StatsSource } from './stats.js'
export { renderHtml } from './render-html.js'
export type { HtmlPageOptions } from './render-html.js'
export { renderJson } from './render-json.js'
export { renderJkStatus } from './render-jkstatus.js'
export type { JkMime, JkResult, JkStatusOptions } from './render-jkstatus.js'
export { METRIC_NAMES, PROMETHEUS_CONTENT_TYPE, metricFamilies, registerCollectors, renderPrometheus } from './render-prometheus.js'
export type { MetricFamily, MetricValue } from './render-prometheus.js'
export { AdminError } from '../errors.js'
export type { AdminErrorCode } from '../errors.js'
export { crossOriginReason, isLoopback, proxySign } from './security.js'
export { isLoopbackHostName, splitHost } from './host-allow-list.js'
