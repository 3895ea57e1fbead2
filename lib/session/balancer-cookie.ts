/**
 * The balancer's own stickiness cookie, for backends whose session ids carry no route (no
 * `jvmRoute`): HAProxy `cookie … insert`, nginx `sticky cookie`, mod_jk `set_session_cookie`,
 * mod_proxy's `ROUTEID=.<route>` recipe.
 *
 * The value is `.<route>` (with the configured separator), the form the route parser already
 * reads (a session id that is only a route). Members without a route get an opaque one derived from a hash of their URL, so the
 * cookie never shows an address.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { serialize as serializeCookie } from 'cookie'
import { InvalidOptionError } from '../errors.js'

/**
 * The balancer cookie as the user writes it (`sticky.balancerCookie`).
 *
 * @example
 * ```ts
 * // mod_proxy's recipe: Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/"
 * createBalancer({ members, sticky: { balancerCookie: { name: 'ROUTEID', path: '/', sameSite: 'Lax', maxAge: 8 * 3600 } } })
 * ```
 */
export interface BalancerCookieOptions {
  /** Cookie name. Default: `'ROUTEID'`. */
  name?: string
  /** `Path` attribute. Default: `'/'`. */
  path?: string
  /** `HttpOnly` attribute. Default: `true`. */
  httpOnly?: boolean
  /** `Secure` attribute: always, never, or `'auto'` = when the client connection is TLS. Default: `'auto'`. */
  secure?: boolean | 'auto'
  /** `SameSite` attribute. Default: `'Lax'`. */
  sameSite?: 'Strict' | 'Lax' | 'None'
  /** `Max-Age` in seconds; none makes it a browser-session cookie. Default: none. */
  maxAge?: number
}

/**
 * The balancer cookie after validation and defaults.
 *
 * @example
 * ```ts
 * const sticky = createBalancer({ members, sticky: { balancerCookie: true } }).options.sticky
 * if (sticky && sticky.balancerCookie) sticky.balancerCookie
 * // { name: 'ROUTEID', path: '/', httpOnly: true, secure: 'auto', sameSite: 'Lax', maxAge: undefined }
 * ```
 */
export interface ResolvedBalancerCookie {
  /** Cookie name. */
  readonly name: string
  /** `Path` attribute. */
  readonly path: string
  /** `HttpOnly` attribute. */
  readonly httpOnly: boolean
  /** `Secure` attribute, or `'auto'` (when the client connection is TLS). */
  readonly secure: boolean | 'auto'
  /** `SameSite` attribute. */
  readonly sameSite: 'Strict' | 'Lax' | 'None'
  /** `Max-Age` in seconds, or undefined (a browser-session cookie). */
  readonly maxAge: number | undefined
}

const KNOWN = new Set(['name', 'path', 'httpOnly', 'secure', 'sameSite', 'maxAge'])
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Validates `sticky.balancerCookie` (`true` = all defaults). */
export function resolveBalancerCookie(option: BalancerCookieOptions | boolean | undefined): ResolvedBalancerCookie | false {
  if (option === undefined || option === false) return false
  const user: BalancerCookieOptions = option === true ? {} : option
  if (typeof user !== 'object' || user === null) throw new InvalidOptionError('sticky.balancerCookie must be true, false or an object')
  for (const key of Object.keys(user)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`sticky.balancerCookie.${key} is not an option (known: ${[...KNOWN].join(', ')})`)
  }
  const name = user.name ?? 'ROUTEID'
  if (typeof name !== 'string' || !TOKEN.test(name)) throw new InvalidOptionError(`sticky.balancerCookie.name must be a cookie name, got ${JSON.stringify(name)}`)
  const path = user.path ?? '/'
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\s\0-\x1f]/.test(path)) throw new InvalidOptionError(`sticky.balancerCookie.path must be a path starting with "/", got ${JSON.stringify(path)}`)
  const httpOnly = user.httpOnly ?? true
  if (typeof httpOnly !== 'boolean') throw new InvalidOptionError('sticky.balancerCookie.httpOnly must be true or false')
  const secure = user.secure ?? 'auto'
  if (secure !== true && secure !== false && secure !== 'auto') throw new InvalidOptionError(`sticky.balancerCookie.secure must be true, false or 'auto', got ${JSON.stringify(secure)}`)
  const sameSite = user.sameSite ?? 'Lax'
  if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') throw new InvalidOptionError(`sticky.balancerCookie.sameSite must be 'Strict', 'Lax' or 'None', got ${JSON.stringify(sameSite)}`)
  const maxAge = user.maxAge
  if (maxAge !== undefined && (!Number.isInteger(maxAge) || maxAge < 0)) throw new InvalidOptionError(`sticky.balancerCookie.maxAge must be a whole number of seconds ≥ 0, got ${JSON.stringify(maxAge)}`)
  return Object.freeze({ name, path, httpOnly, secure, sameSite, maxAge })
}

/** An opaque, stable route for a member that has none: `m` and 10 hex digits of a hash of its URL. */
export function opaqueRoute(url: URL): string {
  return `m${createHash('sha256').update(url.href).digest('hex').slice(0, 10)}`
}

/**
 * The `Set-Cookie` value that pins a client to `route`: `NAME=<separator><route>`, so the
 * route parser reads it like a session id that is only a route.
 */
export function balancerCookieHeader(cookie: ResolvedBalancerCookie, route: string, separator: string | false, secureConnection: boolean): string {
  const secure = cookie.secure === true || (cookie.secure === 'auto' && secureConnection) || cookie.sameSite === 'None'
  // Routes are tokens already (validated at construction): no percent-encoding, so the route
  // parser reads back exactly the route it names.
  return serializeCookie(cookie.name, `${separator === false ? '' : separator}${route}`, {
    path: cookie.path,
    ...(cookie.maxAge === undefined ? {} : { maxAge: cookie.maxAge }),
    httpOnly: cookie.httpOnly,
    secure,
    sameSite: cookie.sameSite === 'Strict' ? 'strict' : cookie.sameSite === 'None' ? 'none' : 'lax',
    encode: (value) => value,
  })
}
