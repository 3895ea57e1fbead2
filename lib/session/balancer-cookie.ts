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
import { bool, fail, int, isPlainObject, keysOf, knownKeys, mustBe, oneOf, path as absolutePath, renamed, token } from '../validate.js'

/**
 * The balancer cookie as the user writes it (`sticky.balancerCookie`).
 *
 * @example
 * ```ts
 * // mod_proxy's recipe: Header add Set-Cookie "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/"
 * createBalancer({ members, sticky: { balancerCookie: { name: 'ROUTEID', path: '/', sameSite: 'Lax', maxAgeMs: 8 * 3_600_000 } } })
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
  /**
   * Lifetime in milliseconds, sent as `Max-Age` in whole seconds (rounded down); none makes it a
   * browser-session cookie. Default: none.
   */
  maxAgeMs?: number
}

/**
 * The balancer cookie after validation and defaults.
 *
 * @example
 * ```ts
 * const sticky = createBalancer({ members, sticky: { balancerCookie: true } }).options.sticky
 * if (sticky && sticky.balancerCookie) sticky.balancerCookie
 * // { name: 'ROUTEID', path: '/', httpOnly: true, secure: 'auto', sameSite: 'Lax', maxAgeMs: undefined }
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
  /** Lifetime in milliseconds (`Max-Age` is its whole seconds), or undefined (a browser-session cookie). */
  readonly maxAgeMs: number | undefined
}

/** The keys of {@link BalancerCookieOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({ name: true, path: true, httpOnly: true, secure: true, sameSite: true, maxAgeMs: true } satisfies Record<keyof BalancerCookieOptions, true>)

/** Validates `sticky.balancerCookie` (`true` = all defaults). */
export function resolveBalancerCookie(option: BalancerCookieOptions | boolean | undefined): ResolvedBalancerCookie | false {
  if (option === undefined || option === false) return false
  const user: BalancerCookieOptions = option === true ? {} : option
  if (!isPlainObject(user)) fail('sticky.balancerCookie must be true, false or an object')
  if (Object.hasOwn(user, 'maxAge')) renamed('sticky.balancerCookie.maxAge', (user as Record<string, unknown>).maxAge, 'maxAgeMs', (seconds) => Math.round(seconds * 1000))
  knownKeys(user, KNOWN, 'sticky.balancerCookie')
  const name = token('sticky.balancerCookie.name', user.name ?? 'ROUTEID', 'a cookie name')
  const path = absolutePath('sticky.balancerCookie.path', user.path, '/')
  if (path.includes(';')) mustBe('sticky.balancerCookie.path', 'a path starting with "/" without ";"', path)
  return Object.freeze({
    name,
    path,
    httpOnly: bool('sticky.balancerCookie.httpOnly', user.httpOnly, true),
    secure: oneOf('sticky.balancerCookie.secure', user.secure, [true, false, 'auto'], 'auto'),
    sameSite: oneOf('sticky.balancerCookie.sameSite', user.sameSite, ['Strict', 'Lax', 'None'], 'Lax'),
    maxAgeMs: user.maxAgeMs === undefined ? undefined : int('sticky.balancerCookie.maxAgeMs', user.maxAgeMs, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  })
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
    ...(cookie.maxAgeMs === undefined ? {} : { maxAge: Math.floor(cookie.maxAgeMs / 1000) }),
    httpOnly: cookie.httpOnly,
    secure,
    sameSite: cookie.sameSite === 'Strict' ? 'strict' : cookie.sameSite === 'None' ? 'none' : 'lax',
    encode: (value) => value,
  })
}
