/**
 * Options of the admin surface, their defaults and their validation.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { bool, fail, fn, isPlainObject, keysOf, knownKeys, ms, mustBe, renamed } from '../validate.js'
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
   * Milliseconds a nonce handed out by the page or `GET <path>/api` stays good; each is good for
   * one change. Default: 300000 (5 minutes).
   */
  nonceMs?: number
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
  /** Milliseconds between live refreshes of the page's numbers (from the JSON API); 0 turns it off. Default: 5000. */
  refreshMs?: number
  /** Milliseconds between two samples of each member's request rate. Default: 5000. */
  sampleMs?: number
  /** Milliseconds of request-rate history kept per member (for the charts). Default: 300000. */
  historyMs?: number
  /** Upper bounds (ms) of the latency histogram's buckets. Default: 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000. */
  latencyBuckets?: number[]
}

/**
 * The admin options after validation and defaults; `historyMs` is turned into what the handler
 * uses (`historySize` samples).
 *
 * @example
 * ```ts
 * const admin = createAdminHandler(balancer, { path: '/lb', sampleMs: 10_000 })
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
  readonly refreshMs: number
  readonly sampleMs: number
  readonly historySize: number
  readonly latencyBuckets: readonly number[]
}

/** Defaults of the admin options. */
export const ADMIN_DEFAULTS = Object.freeze({
  path: '/balancer-manager',
  name: 'balancer',
  refreshMs: 5_000,
  nonceMs: 300_000,
  sampleMs: 5_000,
  historyMs: 300_000,
  latencyBuckets: Object.freeze([5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]),
})

/** The keys of {@link AdminOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({
  path: true, readOnly: true, authorize: true, allowedHosts: true, nonceMs: true, metricsPath: true, registry: true, name: true, logger: true,
  refreshMs: true, sampleMs: true, historyMs: true, latencyBuckets: true,
} satisfies Record<keyof AdminOptions, true>)
/** Options that were in seconds under another name. */
const RENAMED_SECONDS: Readonly<Record<string, string>> = Object.freeze({ nonceSeconds: 'nonceMs', refreshSeconds: 'refreshMs', sampleSeconds: 'sampleMs', historySeconds: 'historyMs' })
const NAME_PATTERN = /^[A-Za-z0-9_\-.~:]+$/
/** Options resolved here: passed through when given again (the balancer resolves its `admin` once). */
const RESOLVED = new WeakSet<object>()

function adminPath(name: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value === '/' || /[?#\s%]/.test(value) || value.includes('//')) {
    mustBe(name, 'a path like "/balancer-manager" (not "/", no query, spaces, "%" or "//")', value)
  }
  return value.replace(/\/+$/, '')
}

/**
 * Validates admin options once; `name` is how messages call them (`admin` for the balancer option).
 * Options this function returned are returned as they are. Throws `InvalidOptionError`
 * naming the first bad option.
 *
 * @example
 * ```ts
 * resolveAdminOptions({ path: '/lb', readOnly: true }).metricsPath // '/lb/metrics'
 * ```
 */
export function resolveAdminOptions(options: AdminOptions | ResolvedAdminOptions | undefined = {}, name = 'admin'): ResolvedAdminOptions {
  if (!isPlainObject(options)) fail(`${name} must be an object like { path: '/balancer-manager' }`)
  if (RESOLVED.has(options)) return options as unknown as ResolvedAdminOptions
  const user = options as AdminOptions & Record<string, unknown>
  for (const [old, renamedTo] of Object.entries(RENAMED_SECONDS)) {
    if (Object.hasOwn(user, old)) renamed(`${name}.${old}`, user[old], renamedTo, (seconds) => Math.round(seconds * 1000))
  }
  knownKeys(user, KNOWN, name)
  const path = user.path === undefined ? ADMIN_DEFAULTS.path : adminPath(`${name}.path`, user.path)
  const readOnly = bool(`${name}.readOnly`, user.readOnly, false)
  fn(`${name}.authorize`, user.authorize, '(req) => boolean | Promise<boolean>')
  const allowedHosts = user.allowedHosts === undefined ? Object.freeze([]) : normaliseAllowedHosts(`${name}.allowedHosts`, user.allowedHosts)
  if (typeof allowedHosts === 'string') fail(allowedHosts)
  const nonceMs = ms(`${name}.nonceMs`, user.nonceMs, { min: 10_000, max: 3_600_000, default: ADMIN_DEFAULTS.nonceMs })
  let metricsPath: string | false = `${path}/metrics`
  if (user.metricsPath === false) metricsPath = false
  else if (user.metricsPath !== undefined) metricsPath = adminPath(`${name}.metricsPath`, user.metricsPath)
  const registry = user.registry
  if (registry !== undefined && (typeof registry !== 'object' || registry === null || typeof registry.registerMetric !== 'function')) {
    fail(`${name}.registry must be a prom-client Registry (an object with registerMetric())`)
  }
  const balancerName = user.name ?? ADMIN_DEFAULTS.name
  if (typeof balancerName !== 'string' || !NAME_PATTERN.test(balancerName)) mustBe(`${name}.name`, 'a name of letters, digits and - _ . ~ :', user.name)
  const logger = user.logger
  if (logger !== undefined && logger !== false) toLogger(logger, `${name}.logger`)
  const refreshMs = ms(`${name}.refreshMs`, user.refreshMs, { min: 0, max: 3_600_000, default: ADMIN_DEFAULTS.refreshMs })
  const sampleMs = ms(`${name}.sampleMs`, user.sampleMs, { min: 1_000, max: 3_600_000, default: ADMIN_DEFAULTS.sampleMs })
  const historyMs = ms(`${name}.historyMs`, user.historyMs, { min: sampleMs, max: 86_400_000, default: ADMIN_DEFAULTS.historyMs })
  const buckets = user.latencyBuckets ?? ADMIN_DEFAULTS.latencyBuckets
  if (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (buckets[i - 1] as number)))) {
    mustBe(`${name}.latencyBuckets`, 'a non-empty array of increasing positive numbers of ms', user.latencyBuckets)
  }
  const resolved: ResolvedAdminOptions = Object.freeze({
    path,
    readOnly,
    authorize: user.authorize,
    allowedHosts,
    nonceMs,
    metricsPath,
    registry,
    name: balancerName,
    logger,
    refreshMs,
    sampleMs,
    historySize: Math.max(2, Math.ceil(historyMs / sampleMs)),
    latencyBuckets: Object.freeze([...buckets]),
  })
  RESOLVED.add(resolved)
  return resolved
}
