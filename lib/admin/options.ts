/**
 * Options of the admin surface, their defaults and their validation.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { InvalidOptionError } from '../errors.js'
import type { LoggerOption } from '../logger.js'
import { toLogger } from '../logger.js'
import { normaliseAllowedHosts } from './host-allow-list.js'

/**
 * What the admin surface needs of a `prom-client` `Registry` (duck-typed: prom-client is not a
 * dependency). Collectors are registered with `registerMetric` and removed with
 * `removeSingleMetric` on `close()`; `metrics()` and `contentType`, when present, serve the
 * metrics path.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client'
 *
 * const registry = new Registry()
 * const balancer = createBalancer({ members, admin: { registry } })   // registry.metrics() now includes the balancer's families
 * ```
 */
export interface MetricsRegistryLike {
  /** Adds one collector (called once per metric family when the admin handler is created). */
  registerMetric(metric: unknown): void
  /** Removes a collector by metric name (called by the admin handler's `close()`). */
  removeSingleMetric?(name: string): void
  /** The metric registered under a name, if any: a name already taken makes the admin handler throw instead of registering twice. */
  getSingleMetric?(name: string): unknown
  /** The exposition text of every registered metric, served on the metrics path. */
  metrics?(): string | Promise<string>
  /** The `Content-Type` of `metrics()`'s text. */
  readonly contentType?: string
}

/**
 * Options of {@link createAdminHandler} and of the balancer's `admin` option.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({
 *   members,
 *   admin: {
 *     path: '/balancer-manager',
 *     readOnly: process.env.NODE_ENV === 'production',
 *     authorize: (req) => isLoopback(req.socket.remoteAddress) || req.headers['x-admin-token'] === process.env.ADMIN_TOKEN,
 *   },
 * })
 * ```
 */
export interface AdminOptions {
  /**
   * Where the admin surface lives, relative to where the balancer (or the handler) is mounted.
   * Default: `/balancer-manager`.
   */
  path?: string
  /** Show everything, change nothing: every change is refused (405, or 403 for jkstatus commands). Default: `false`. */
  readOnly?: boolean
  /**
   * Decides who may use the admin surface (every route, metrics included). Replaces the default,
   * which lets only loopback clients in (`127.0.0.0/8`, `::1`, `::ffff:127.x.y.z`); use the exported
   * `isLoopback(req.socket.remoteAddress)` to keep that as well. A rejection or `false` answers 403.
   * Without it, a request that shows signs of a proxy in front (`Forwarded`, `Via`, `X-Real-IP`,
   * `X-Forwarded-*`) is refused with 403 even from loopback: behind a proxy on the same host every
   * client arrives from loopback. With it, `authorize` alone decides.
   * Default: loopback clients only.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>
  /**
   * Host names (or address literals) the admin surface answers besides loopback literals and
   * `localhost`, matched against the `Host` header without its port, case-insensitively. Any other
   * `Host` (none, two, or a malformed one) gets 421 Misdirected Request: this is what defeats DNS
   * rebinding. Default: none.
   */
  allowedHosts?: string[]
  /**
   * Seconds a nonce handed out by the page or `GET <path>/api` stays good; each is good for one
   * change. Default: 300.
   */
  nonceSeconds?: number
  /**
   * Where Prometheus metrics are served, relative to the balancer's mount (like `path`); `false`
   * serves none. Default: `<path>/metrics`.
   */
  metricsPath?: string | false
  /**
   * A `prom-client` `Registry` (or anything shaped like it): the balancer's metrics are registered
   * on it as collectors, and the metrics path serves `registry.metrics()`. Default: none (the
   * metrics path serves our own exposition).
   */
  registry?: MetricsRegistryLike
  /** The balancer's name on the page and in jkstatus output (`w=`, `b=`). Default: `balancer`. */
  name?: string
  /** Where audit lines (who changed what) and refusals go. Default: the balancer's logger. */
  logger?: LoggerOption | false
  /** Seconds between live refreshes of the page's numbers (from the JSON API); 0 turns it off. Default: 5. */
  refreshSeconds?: number
  /** Seconds between two samples of each member's request rate. Default: 5. */
  sampleSeconds?: number
  /** Seconds of request-rate history kept per member (for the charts). Default: 300. */
  historySeconds?: number
  /** Upper bounds (ms) of the latency histogram's buckets. Default: 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000. */
  latencyBuckets?: number[]
}

/**
 * The admin options after validation and defaults; seconds are
 * turned into what the handler uses (`sampleMs`, `historySize` samples).
 *
 * @example
 * ```ts
 * const admin = createAdminHandler(balancer, { path: '/lb', sampleSeconds: 10 })
 * admin.options // { path: '/lb', metricsPath: '/lb/metrics', sampleMs: 10000, historySize: 30, readOnly: false, … }
 * ```
 */
export interface ResolvedAdminOptions {
  readonly path: string
  readonly readOnly: boolean
  /** The `authorize` function given, or `undefined` (loopback clients only). */
  readonly authorize: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined
  readonly allowedHosts: readonly string[]
  readonly nonceMs: number
  readonly metricsPath: string | false
  readonly registry: MetricsRegistryLike | undefined
  readonly name: string
  readonly logger: LoggerOption | false | undefined
  readonly refreshSeconds: number
  readonly sampleMs: number
  readonly historySize: number
  readonly latencyBuckets: readonly number[]
}

/** Defaults of the admin options. */
export const ADMIN_DEFAULTS = Object.freeze({
  path: '/balancer-manager',
  name: 'balancer',
  refreshSeconds: 5,
  nonceSeconds: 300,
  sampleSeconds: 5,
  historySeconds: 300,
  latencyBuckets: Object.freeze([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]),
})

const KNOWN = ['path', 'readOnly', 'authorize', 'allowedHosts', 'nonceSeconds', 'metricsPath', 'registry', 'name', 'logger', 'refreshSeconds', 'sampleSeconds', 'historySeconds', 'latencyBuckets']
const NAME_PATTERN = /^[A-Za-z0-9_\-.~:]+$/

function fail(message: string): never {
  throw new InvalidOptionError(message)
}

function adminPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value === '/' || /[?#\s%]/.test(value) || value.includes('//')) {
    fail(`${name} must be a path like "/balancer-manager" (not "/", no query, spaces, "%" or "//"), got ${JSON.stringify(value)}`)
  }
  return value.replace(/\/+$/, '')
}

function seconds(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) fail(`${name} must be a number of seconds from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return value
}

/**
 * Validates admin options once; `name` is how messages call them (`admin` for the balancer option).
 * Throws {@link InvalidOptionError} naming the first bad option.
 *
 * @example
 * ```ts
 * resolveAdminOptions({ path: '/lb', readOnly: true }).metricsPath // '/lb/metrics'
 * ```
 */
export function resolveAdminOptions(options: AdminOptions | undefined = {}, name = 'admin'): ResolvedAdminOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail(`${name} must be an object like { path: '/balancer-manager' }`)
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) fail(`${name}.${key} is not a known admin option (known: ${KNOWN.join(', ')})`)
  }
  const path = options.path === undefined ? ADMIN_DEFAULTS.path : adminPath(`${name}.path`, options.path)
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') fail(`${name}.readOnly must be true or false, got ${JSON.stringify(options.readOnly)}`)
  if (options.authorize !== undefined && typeof options.authorize !== 'function') fail(`${name}.authorize must be a function (req) => boolean | Promise<boolean>`)
  const allowedHosts = options.allowedHosts === undefined ? Object.freeze([]) : normaliseAllowedHosts(`${name}.allowedHosts`, options.allowedHosts)
  if (typeof allowedHosts === 'string') fail(allowedHosts)
  const nonceSeconds = seconds(`${name}.nonceSeconds`, options.nonceSeconds, ADMIN_DEFAULTS.nonceSeconds, 10, 3600)
  let metricsPath: string | false = `${path}/metrics`
  if (options.metricsPath === false) metricsPath = false
  else if (options.metricsPath !== undefined) metricsPath = adminPath(`${name}.metricsPath`, options.metricsPath)
  const registry = options.registry
  if (registry !== undefined && (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function')) {
    fail(`${name}.registry must be a prom-client Registry (an object with registerMetric())`)
  }
  const balancerName = options.name ?? ADMIN_DEFAULTS.name
  if (typeof balancerName !== 'string' || !NAME_PATTERN.test(balancerName)) fail(`${name}.name must be a name of letters, digits and - _ . ~ :, got ${JSON.stringify(options.name)}`)
  const logger = options.logger
  if (logger !== undefined && logger !== false) toLogger(logger, `${name}.logger`)
  const refreshSeconds = seconds(`${name}.refreshSeconds`, options.refreshSeconds, ADMIN_DEFAULTS.refreshSeconds, 0, 3600)
  const sampleSeconds = seconds(`${name}.sampleSeconds`, options.sampleSeconds, ADMIN_DEFAULTS.sampleSeconds, 1, 3600)
  const historySeconds = seconds(`${name}.historySeconds`, options.historySeconds, ADMIN_DEFAULTS.historySeconds, sampleSeconds, 86_400)
  const buckets = options.latencyBuckets ?? ADMIN_DEFAULTS.latencyBuckets
  if (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (buckets[i - 1] as number)))) {
    fail(`${name}.latencyBuckets must be a non-empty array of increasing positive numbers of ms, got ${JSON.stringify(options.latencyBuckets)}`)
  }
  return Object.freeze({
    path,
    readOnly: options.readOnly ?? false,
    authorize: options.authorize,
    allowedHosts,
    nonceMs: Math.round(nonceSeconds * 1000),
    metricsPath,
    registry,
    name: balancerName,
    logger,
    refreshSeconds,
    sampleMs: Math.round(sampleSeconds * 1000),
    historySize: Math.max(2, Math.ceil(historySeconds / sampleSeconds)),
    latencyBuckets: Object.freeze([...buckets]),
  })
}
