/**
 * Options of session stickiness: where the session id is looked for and how its route is cut out.
 *
 * Resolved once, at construction, by {@link resolveStickyOptions}; every error names the option
 * (`sticky.separator must be a single character or false`) and is an `InvalidOptionError`.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { bool, fail, fn, isPlainObject, keysOf, knownKeys, mustBe, TOKEN } from '../validate.js'
import type { BalancerCookieOptions, ResolvedBalancerCookie } from './balancer-cookie.js'
import { resolveBalancerCookie } from './balancer-cookie.js'

/**
 * Session stickiness as the user writes it. Every field is optional.
 *
 * @example
 * ```ts
 * // mod_proxy's stickysession=JSESSIONID|jsessionid nofailover=On
 * createBalancer({ members, sticky: { cookie: 'JSESSIONID', pathParam: 'jsessionid', queryParam: 'jsessionid', force: true } })
 * // backends without jvmRoute: the balancer's own ROUTEID cookie
 * createBalancer({ members, sticky: { balancerCookie: { name: 'ROUTEID', secure: true } } })
 * ```
 */
export interface StickyOptions {
  /**
   * Name of the session cookie, or several names tried in the order given (all cookies of the
   * first name, then all of the second, …). mod_jk `session_cookie`, the first half of mod_proxy
   * `stickysession=JSESSIONID|jsessionid`.
   *
   * Default: `'JSESSIONID'`.
   */
  cookie?: string | readonly string[]
  /**
   * Name of the path parameter that carries the session id (`/app/cart;jsessionid=ABC.TomcatA`),
   * without the leading `;` (a leading `;`, mod_jk's `session_path=;jsessionid` spelling, is
   * accepted and dropped). Matched case-sensitively, as Tomcat and both Apache modules do.
   * `false` turns the path lookup off.
   *
   * Default: `'jsessionid'`.
   */
  pathParam?: string | false
  /**
   * Name of a query parameter that carries the session id (`/app?jsessionid=ABC.TomcatA`), or
   * `false`. mod_proxy finds its "URL parameter" in the query too; mod_jk never looks there.
   *
   * Default: `false`.
   */
  queryParam?: string | false
  /**
   * The character between the session id and the route: the route is the text after the FIRST
   * separator (`ABC.node1.dc1` → `node1.dc1`). `false` = the whole value is the route (mod_proxy
   * `stickysessionsep=Off`). WebLogic uses `'!'`.
   *
   * Default: `'.'`.
   */
  separator?: string | false
  /**
   * A custom route for a request (mod_jk's `JK_ROUTE` environment variable). When it returns a
   * non-empty string that route is tried first, before the path, query and cookie routes; when it
   * returns `undefined` the built-in lookup runs as usual. It must not throw.
   *
   * Default: none.
   */
  routeOf?: ((req: IncomingMessage) => string | undefined) | undefined
  /**
   * When the session's member cannot take the request and neither its `redirect` nor its `domain`
   * can, answer 503 instead of choosing another member (mod_jk `sticky_session_force`, mod_proxy
   * `nofailover=On`). Requests without a session are never refused.
   *
   * Default: `false`.
   */
  force?: boolean
  /**
   * Whether cookie names are compared case-sensitively. Cookie names are case-sensitive (RFC 6265),
   * and so are mod_proxy and mod_jk; `false` also finds `jsessionid=` when `cookie` is
   * `JSESSIONID`.
   *
   * Default: `true`.
   */
  cookieCaseSensitive?: boolean
  /**
   * Have the balancer set its own cookie naming the member (`ROUTEID=.TomcatA`), for backends
   * whose session ids carry no route, and re-issue it after a failover (HAProxy `cookie insert`,
   * nginx `sticky cookie`, mod_jk `set_session_cookie`). `true` for the defaults. The cookie is
   * read after the `cookie` names. Members without a `route` get an opaque one, so the value never
   * shows an address.
   *
   * Default: `false`.
   */
  balancerCookie?: BalancerCookieOptions | boolean
}

/**
 * Session stickiness after validation: every field set (`balancer.options.sticky`, or `false`
 * when stickiness is off).
 *
 * @example
 * ```ts
 * const sticky = resolveStickyOptions({ cookie: 'JSESSIONID', balancerCookie: true })
 * sticky.cookies     // ['JSESSIONID', 'ROUTEID']: the balancer cookie is read after the session cookie
 * parseSessionRoute({ url: req.url ?? '/', cookieHeader: req.headers.cookie }, sticky)?.route
 * ```
 */
export interface ResolvedStickyOptions {
  /** Session cookie names, in the order they are read (the balancer cookie last). */
  readonly cookies: readonly string[]
  /** The path parameter (`jsessionid`), or `false`. */
  readonly pathParam: string | false
  /** The query parameter, or `false`. */
  readonly queryParam: string | false
  /** The character before the route, or `false` (the whole value is the route). */
  readonly separator: string | false
  /** The custom route hook, if any. */
  readonly routeOf: ((req: IncomingMessage) => string | undefined) | undefined
  /** Refuse (503) rather than move a session whose member cannot take it. */
  readonly force: boolean
  /** Whether cookie names are compared case-sensitively. */
  readonly cookieCaseSensitive: boolean
  /** The balancer cookie, or `false` when it is off. */
  readonly balancerCookie: ResolvedBalancerCookie | false
}

/**
 * The defaults: mod_jk's `JSESSIONID` cookie and `;jsessionid` path parameter, `.` separator.
 *
 * @example
 * ```ts
 * // also read the session from ?jsessionid=, keep every other default
 * createBalancer({ members, sticky: { cookie: [...STICKY_DEFAULTS.cookies], queryParam: 'jsessionid' } })
 * ```
 */
export const STICKY_DEFAULTS: Readonly<ResolvedStickyOptions> = Object.freeze({
  cookies: Object.freeze(['JSESSIONID']),
  pathParam: 'jsessionid',
  queryParam: false,
  separator: '.',
  routeOf: undefined,
  force: false,
  cookieCaseSensitive: true,
  balancerCookie: false,
})

/** The keys of {@link StickyOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({
  cookie: true, pathParam: true, queryParam: true, separator: true, routeOf: true, force: true, cookieCaseSensitive: true, balancerCookie: true,
} satisfies Record<keyof StickyOptions, true>)

function paramName(option: string, value: unknown, fallback: string | false): string | false {
  if (value === undefined) return fallback
  if (value === false) return false
  if (typeof value === 'string') {
    const name = option === 'pathParam' && value.startsWith(';') ? value.slice(1) : value
    if (TOKEN.test(name) && !name.includes('&') && !name.includes('=')) return name
  }
  mustBe(`sticky.${option}`, "a parameter name (letters, digits, !#$%'*+-.^_`|~) or false", value)
}

/**
 * Validates user options and fills in the defaults.
 *
 * @throws {InvalidOptionError} naming the option, for a wrong type, an empty or non-token name, a
 *   separator that is not exactly one character, or an unknown key (a likely typo).
 *
 * @example
 * ```ts
 * const sticky = resolveStickyOptions({ cookie: ['JSESSIONID', 'ROUTEID'], queryParam: 'jsessionid' })
 * sticky.separator // '.'
 * ```
 */
export function resolveStickyOptions(user?: StickyOptions): ResolvedStickyOptions {
  if (user === undefined) return STICKY_DEFAULTS
  if (!isPlainObject(user as unknown)) fail('sticky must be an object')
  knownKeys(user, KNOWN, 'sticky')

  let cookies: readonly string[] = STICKY_DEFAULTS.cookies
  if (user.cookie !== undefined) {
    const list: unknown[] = typeof user.cookie === 'string' ? [user.cookie] : Array.isArray(user.cookie) ? [...user.cookie] : [user.cookie]
    if (list.length === 0 || list.length > 8 || !list.every((n) => typeof n === 'string' && TOKEN.test(n))) {
      mustBe('sticky.cookie', 'a cookie name or a list of 1 to 8 cookie names', user.cookie)
    }
    cookies = Object.freeze([...new Set(list as string[])])
  }

  const pathParam = paramName('pathParam', user.pathParam, STICKY_DEFAULTS.pathParam)
  const queryParam = paramName('queryParam', user.queryParam, STICKY_DEFAULTS.queryParam)

  let separator: string | false = STICKY_DEFAULTS.separator
  if (user.separator !== undefined) {
    if (user.separator === false) separator = false
    else if (typeof user.separator === 'string' && user.separator.length === 1 && user.separator !== ';' && user.separator !== ',') separator = user.separator
    else mustBe('sticky.separator', "a single character (not ';' or ',') or false", user.separator)
  }

  fn('sticky.routeOf', user.routeOf, '(req) => string | undefined')
  const force = bool('sticky.force', user.force, STICKY_DEFAULTS.force)
  const cookieCaseSensitive = bool('sticky.cookieCaseSensitive', user.cookieCaseSensitive, STICKY_DEFAULTS.cookieCaseSensitive)

  const balancerCookie = resolveBalancerCookie(user.balancerCookie)
  if (balancerCookie !== false && !cookies.includes(balancerCookie.name)) cookies = Object.freeze([...cookies, balancerCookie.name])

  return Object.freeze({
    balancerCookie,
    cookies,
    pathParam,
    queryParam,
    separator,
    routeOf: user.routeOf,
    force,
    cookieCaseSensitive,
  })
}
