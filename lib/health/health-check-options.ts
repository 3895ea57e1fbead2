/**
 * Options of active health checks (like mod_proxy_hcheck, nginx-plus `health_check`, HAProxy
 * `check`): what is probed, how often, and how many results in a row change a member's health.
 *
 * @module
 */
import { fail, int, isPlainObject, keysOf, knownKeys, ms, mustBe, oneOf, path as absolutePath } from '../validate.js'

/**
 * How a member is probed: an HTTP request, or AJP's CPING/CPONG.
 *
 * @example
 * ```ts
 * const method: HealthCheckMethod = 'HEAD'   // ajp:// members still use CPING
 * createBalancer({ members, health: { method, path: '/testapp/static.txt' } })
 * ```
 */
export type HealthCheckMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'CPING'

/**
 * The balancer's `health` option: active health checks (mod_proxy_hcheck `hcmethod`,
 * `hcinterval`, `hcpasses`, `hcfails`, `hcuri`).
 *
 * @example
 * ```ts
 * const balancer = createBalancer({
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'ajp://127.0.0.1:8010', route: 'TomcatB' }],
 *   // HTTP members: GET /testapp/static.txt every 5 s; the AJP member: CPING/CPONG
 *   health: { interval: 5000, timeout: 1000, fails: 2, passes: 2, path: '/testapp/static.txt', expect: '200' },
 * })
 * ```
 */
export interface HealthCheckOptions {
  /** Milliseconds between probes of one member (mod_proxy_hcheck `hcinterval`, 30 s there). Default: 10000. */
  interval?: number
  /** Milliseconds a probe may take. Default: 2000. */
  timeout?: number
  /** Passing probes in a row that bring a member in error back (`hcpasses`). Default: 1. */
  passes?: number
  /** Failing probes in a row that put a healthy member in error (`hcfails`). Default: 1. */
  fails?: number
  /**
   * `GET`, `HEAD` or `OPTIONS` on `path` for `http(s)://` members; `CPING` for `ajp://` members
   * (an HTTP method given here applies to HTTP members, AJP members always use CPING).
   * Default: `GET`.
   */
  method?: HealthCheckMethod
  /** Path probed on HTTP members. Default: `/`. */
  path?: string
  /** Statuses that pass, as `'200-399'` or a list like `'200,204,302'`. Default: `'200-399'`. */
  expect?: string
}

/**
 * The `health` option after validation and defaults (`balancer.options.health`, or `false` when
 * active checks are off).
 *
 * @example
 * ```ts
 * const health = createBalancer({ members, health: { path: '/testapp/static.txt' } }).options.health
 * if (health) health.passesStatus(204)   // true: the default expect is 200-399
 * ```
 */
export interface ResolvedHealthCheck {
  /** Milliseconds between probes of one member. */
  readonly interval: number
  /** Milliseconds a probe may take. */
  readonly timeout: number
  /** Passing probes in a row that bring a member back. */
  readonly passes: number
  /** Failing probes in a row that put a member in error. */
  readonly fails: number
  /** The method of HTTP probes (AJP members always use CPING). */
  readonly method: HealthCheckMethod
  /** Path probed on HTTP members. */
  readonly path: string
  /** Whether a status passes. */
  readonly passesStatus: (status: number) => boolean
  /** The statuses that pass, as given (`'200-399'`). */
  readonly expect: string
}

/**
 * Defaults of the `health` option (`health: true` uses all of them).
 *
 * @example
 * ```ts
 * createBalancer({ members, health: { interval: HEALTH_CHECK_DEFAULTS.interval / 2 } })   // every 5 s
 * ```
 */
export const HEALTH_CHECK_DEFAULTS = Object.freeze({ interval: 10_000, timeout: 2_000, passes: 1, fails: 1, method: 'GET' as const, path: '/', expect: '200-399' })

/** The keys of {@link HealthCheckOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({ interval: true, timeout: true, passes: true, fails: true, method: true, path: true, expect: true } satisfies Record<keyof HealthCheckOptions, true>)
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'CPING'] as const

/**
 * Parses `'200-399'` or `'200,204,300-302'` into a predicate; `undefined` when the text is not a
 * status set.
 *
 * @example
 * ```ts
 * const passes = parseStatusSet('200,204,300-302')
 * passes?.(301)             // true
 * passes?.(404)             // false
 * parseStatusSet('2xx')     // undefined
 * ```
 */
export function parseStatusSet(text: string): ((status: number) => boolean) | undefined {
  const ranges: [number, number][] = []
  for (const part of text.split(',')) {
    const m = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(part)
    if (!m) return undefined
    const low = Number(m[1])
    const high = m[2] === undefined ? low : Number(m[2])
    if (high < low) return undefined
    ranges.push([low, high])
  }
  return (status) => ranges.some(([low, high]) => status >= low && status <= high)
}

/**
 * Validates the `health` option; `undefined`/`false` means no active checks. Throws
 * `InvalidOptionError` naming the option.
 */
export function resolveHealthCheckOptions(option: HealthCheckOptions | boolean | undefined): ResolvedHealthCheck | false {
  if (option === undefined || option === false) return false
  const user: HealthCheckOptions = option === true ? {} : option
  if (!isPlainObject(user)) fail('health must be true, false or an object of health-check options')
  knownKeys(user, KNOWN, 'health')
  const method = oneOf('health.method', user.method, METHODS, HEALTH_CHECK_DEFAULTS.method)
  const path = absolutePath('health.path', user.path, HEALTH_CHECK_DEFAULTS.path)
  const expect: unknown = user.expect ?? HEALTH_CHECK_DEFAULTS.expect
  const passesStatus = typeof expect === 'string' ? parseStatusSet(expect) : undefined
  if (typeof expect !== 'string' || passesStatus === undefined) mustBe('health.expect', "statuses like '200-399' or '200,204'", expect)
  return Object.freeze({
    interval: ms('health.interval', user.interval, { min: 100, max: 3_600_000, default: HEALTH_CHECK_DEFAULTS.interval }),
    timeout: ms('health.timeout', user.timeout, { min: 1, max: 600_000, default: HEALTH_CHECK_DEFAULTS.timeout }),
    passes: int('health.passes', user.passes, { min: 1, max: 100, default: HEALTH_CHECK_DEFAULTS.passes }),
    fails: int('health.fails', user.fails, { min: 1, max: 100, default: HEALTH_CHECK_DEFAULTS.fails }),
    method,
    path,
    expect,
    passesStatus,
  })
}
