/**
 * The path a request is forwarded to, built in one place for requests, upgrades, `bypass()` and
 * the CLI's mounts, and confined to the mount the way a servlet container maps it.
 *
 * **How Tomcat maps a path** (10.1, `CoyoteAdapter.postParseRequest` with the connector's
 * defaults): it first removes every path parameter (`;` up to the next `/`) from every segment,
 * then decodes `%xx` once (an invalid escape is 400; `%2f` is 400 with the default
 * `encodedSolidusHandling="reject"`; `%5c` is decoded to `\`), then normalises: a `\` is 400
 * (`allowBackslash="false"`), so is a NUL; runs of `/` become one; `.` segments go and `..`
 * segments take the segment before them, and a `..` above the root is 400. A path that ends in a
 * dot segment loses its final `/`. Only then is the context chosen. So `..;x`, `%2e%2e`,
 * `%2E%2e`, `.%2e` and `/;x/..` are all `..` to Tomcat, and `/app/../examples/` reaches
 * another web application.
 *
 * **What is decided here.** The path after the mount (`relative`) is normalised by exactly those
 * rules, with the mount as its root: a `..` that would climb above the mount is refused
 * ({@link PathRefusal}, `LB_ERR_PATH_OUTSIDE_MOUNT`, 400), and what Tomcat would refuse with 400
 * (`%2f`, `%5c`, `\`, NUL, an invalid escape) is refused by the balancer with 400 as well
 * (`LB_ERR_BAD_REQUEST`), whatever the member's own settings, so that a member configured with
 * `encodedSolidusHandling="decode"` or `allowBackslash="true"` cannot read a separator the
 * balancer did not see. `exclude` is matched against the same result ({@link RequestTarget.mapped}).
 *
 * **What is forwarded: the normalised path, not the raw one.** The member gets the mount's
 * upstream prefix followed by the surviving segments, each in the client's own spelling with its
 * own path parameters (`;jsessionid=` included), a final `/` when Tomcat keeps one, and the query
 * as sent. That path has no dot segment (neither `..` nor `%2e%2e` nor `..;x`), no empty segment,
 * no encoded or literal separator, so any servlet container, whatever its connector settings,
 * maps it to the path decided here: the decision and what Tomcat maps cannot drift apart. The
 * raw path would be safe only as long as this module and the member normalise identically. Peers:
 * mod_jk (after CVE-2018-11759, in 1.2.46) maps by a servlet-style normalisation of httpd's
 * decoded URI (path parameters removed, `//` merged, dot segments resolved, 400 above the root)
 * and forwards httpd's normalised URI re-encoded (`ForwardURIProxy`), leaving `..;` segments for
 * Tomcat to resolve the same way; httpd's `mod_proxy_http` and `mod_proxy_ajp` forward their own
 * normalised, re-encoded URI (or the raw one with `nocanon`) and do not treat `..;x` as `..`,
 * which is how `ProxyPass /app` in front of Tomcat reaches `/manager`; nginx forwards its
 * normalised URI when `proxy_pass` has a path, the raw one when it has none, with the same blind
 * spot for `;`.
 *
 * What changes for the member: dot segments and runs of `/` no longer appear in its
 * `getRequestURI()`, and path parameters on a segment that disappears (`/x/..;a=1/y`) go with it.
 * Everything else (escapes such as `%20`, `%C3%A9` or an encoded CRLF, `;jsessionid=`, the
 * query) reaches it as the client sent it. Requests to the mount itself keep their form: with
 * `upstreamPath: '/testapp'`, `/app` goes to `/testapp` and `/app/` to `/testapp/`.
 *
 * Pure; a path without `%`, `;`, `\`, `//` or `/.` (the common case) costs two short
 * regular-expression tests (prefix and path) and is forwarded as it is.
 *
 * @module
 */
import { BadRequestError, PathOutsideMountError } from '../errors.js'
import type { LbError } from '../errors.js'
import { CLOSE_CONNECTION } from './request-guard.js'

/** A path that may be forwarded. */
export interface RequestTarget {
  /** Path and query for the member: the upstream prefix, the normalised relative path, the query as sent. */
  readonly path: string
  /**
   * The path below the mount as the member maps it: path parameters removed, `%xx` decoded
   * (UTF-8), dot segments resolved, runs of `/` merged, no query; `/` for the mount itself. What
   * `exclude` is matched against.
   */
  readonly mapped: string
}

/** A path the balancer answers itself with 400 instead of forwarding. */
export interface PathRefusal {
  /** `LB_ERR_PATH_OUTSIDE_MOUNT`: a `..` climbs above the mount; `LB_ERR_BAD_REQUEST`: a path Tomcat refuses too. */
  readonly code: 'LB_ERR_PATH_OUTSIDE_MOUNT' | 'LB_ERR_BAD_REQUEST'
  /** A fixed text, safe to show (it repeats nothing the client sent). */
  readonly reason: string
}

const OUTSIDE: PathRefusal = Object.freeze({ code: 'LB_ERR_PATH_OUTSIDE_MOUNT', reason: 'the path leaves the mount' })
const ENCODED_SLASH: PathRefusal = Object.freeze({ code: 'LB_ERR_BAD_REQUEST', reason: 'the path contains an encoded slash (%2f)' })
const BACKSLASH: PathRefusal = Object.freeze({ code: 'LB_ERR_BAD_REQUEST', reason: 'the path contains a backslash (\\ or %5c)' })
const NUL: PathRefusal = Object.freeze({ code: 'LB_ERR_BAD_REQUEST', reason: 'the path contains a NUL character' })
const BAD_ESCAPE: PathRefusal = Object.freeze({ code: 'LB_ERR_BAD_REQUEST', reason: 'the path contains an invalid %-escape' })
const NOT_A_PATH: PathRefusal = Object.freeze({ code: 'LB_ERR_BAD_REQUEST', reason: 'the request target must be a path (origin-form)' })

/** Whether `result` is a refusal. */
export function isPathRefusal<T extends object>(result: T | PathRefusal): result is PathRefusal {
  return (result as PathRefusal).code !== undefined
}

/** Anything that may change how the path maps: the fast path forwards paths without any of it as they are. */
const NEEDS_NORMALISING = /[%;\\\0]|\/\/|\/\./

/**
 * Builds the member-bound path of a request and decides whether it stays below the mount.
 *
 * @param prefix - the upstream prefix the mount maps to (`upstreamPath`, else the mount path;
 *   `''` for none). It is normalised as well; a trailing `/` is ignored.
 * @param relative - the request target after the mount path (`/x?y`, `?y`, `''`, or `;params…`
 *   right after the mount), as the client sent it.
 * @returns the {@link RequestTarget}, or the {@link PathRefusal} to answer 400 with.
 *
 * @example
 * ```ts
 * requestTarget('/testapp', '/echo.jsp;jsessionid=A.TomcatA?x=1')
 * // { path: '/testapp/echo.jsp;jsessionid=A.TomcatA?x=1', mapped: '/echo.jsp' }
 * requestTarget('/testapp', '/x/%2e%2e/echo.jsp')   // { path: '/testapp/echo.jsp', mapped: '/echo.jsp' }
 * requestTarget('/testapp', '/..;x/examples/')      // { code: 'LB_ERR_PATH_OUTSIDE_MOUNT', … }
 * ```
 */
export function requestTarget(prefix: string, relative: string): RequestTarget | PathRefusal {
  const q = relative.indexOf('?')
  const path = q === -1 ? relative : relative.slice(0, q)
  const query = q === -1 ? '' : relative.slice(q)
  let base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  if (NEEDS_NORMALISING.test(base)) {
    const normalised = normalise(base)
    if (isPathRefusal(normalised)) return normalised
    base = normalised.canonical.endsWith('/') ? normalised.canonical.slice(0, -1) : normalised.canonical
  }
  if (path === '' || (path.charCodeAt(0) === 0x2f /* / */ && !NEEDS_NORMALISING.test(path))) {
    return { path: (base + path || '/') + query, mapped: path || '/' }
  }
  if (path.charCodeAt(0) === 0x3b /* ; */ && base === '') return NOT_A_PATH
  const normalised = normalise(path)
  if (isPathRefusal(normalised)) return normalised
  return { path: (base + normalised.canonical || '/') + query, mapped: normalised.mapped }
}

/** Whether `path` is already as the member maps it (no dot or empty segment, no `;`, no escape that changes structure). */
export function isNormalisedPath(path: string): boolean {
  if (!path.startsWith('/') && path !== '') return false
  if (path.includes(';') || path.includes('?') || path.includes('#')) return false
  const result = requestTarget('', path)
  return !isPathRefusal(result) && (result.path === path || (path === '' && result.path === '/'))
}

interface Normalised {
  /** The surviving segments in the client's spelling, with their path parameters. */
  readonly canonical: string
  readonly mapped: string
}

/**
 * Tomcat's normalisation of `path` (`''`, `/…`, or `;params` followed by `/…`), with `path`'s
 * root as the floor.
 */
function normalise(path: string): Normalised | PathRefusal {
  let leading = ''
  let rest = path
  if (path.charCodeAt(0) === 0x3b /* ; */) {
    // Path parameters on the mount's own last segment (`/app;jsessionid=…/x`).
    const slash = path.indexOf('/')
    leading = slash === -1 ? path : path.slice(0, slash)
    rest = slash === -1 ? '' : path.slice(slash)
  }
  if (rest !== '' && rest.charCodeAt(0) !== 0x2f /* / */) return rest.charCodeAt(0) === 0x5c /* \ */ ? BACKSLASH : NOT_A_PATH
  const parts = rest.split('/')
  const kept: string[] = []
  const names: string[] = []
  let trailing: string | undefined
  const last = parts.length - 1
  for (let i = 1; i <= last; i++) {
    const part = parts[i] as string
    const semi = part.indexOf(';')
    const name = semi === -1 ? part : part.slice(0, semi)
    const decoded = decodeSegment(name)
    if (typeof decoded !== 'string') return decoded
    if (decoded === '' ) {
      // Tomcat merges runs of `/`; only a final empty segment (a trailing `/`) remains, with its
      // parameters (`/testapp/;jsessionid=…` is how Tomcat rewrites a URL ending in `/`).
      if (i === last) trailing = semi === -1 ? '' : part.slice(semi)
    } else if (decoded === '.') {
      // dropped; a final dot segment leaves no trailing `/`
    } else if (decoded === '..') {
      if (kept.length === 0) return OUTSIDE
      kept.pop()
      names.pop()
    } else {
      kept.push(part)
      names.push(decoded)
    }
  }
  const canonical = leading + (kept.length === 0 ? '' : `/${kept.join('/')}`) + (trailing === undefined ? '' : `/${trailing}`)
  const mapped = names.length === 0 ? '/' : `/${names.map(toText).join('/')}${trailing === undefined ? '' : '/'}`
  return { canonical, mapped }
}

const NON_ASCII = /[^\x00-\x7f]/

/**
 * One segment's name decoded as Tomcat's `UDecoder` does, to a string of byte values (chars
 * 0–255), or the refusal.
 */
function decodeSegment(name: string): string | PathRefusal {
  if (name.indexOf('%') === -1 && !NON_ASCII.test(name)) {
    if (name.indexOf('\\') !== -1) return BACKSLASH
    if (name.indexOf('\0') !== -1) return NUL
    return name
  }
  let out = ''
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c === 0x25 /* % */) {
      const hi = hexValue(name.charCodeAt(i + 1))
      const lo = hexValue(name.charCodeAt(i + 2))
      if (hi < 0 || lo < 0) return BAD_ESCAPE
      const byte = (hi << 4) | lo
      if (byte === 0x2f) return ENCODED_SLASH
      if (byte === 0x5c) return BACKSLASH
      if (byte === 0) return NUL
      out += String.fromCharCode(byte)
      i += 2
    } else if (c === 0x5c) {
      return BACKSLASH
    } else if (c === 0) {
      return NUL
    } else if (c < 0x80) {
      out += name[i]
    } else {
      // unescaped non-ASCII (Node's parser refuses it; a host may not): its UTF-8 bytes
      const point = name.codePointAt(i) as number
      if (point > 0xffff) i++
      for (const byte of Buffer.from(String.fromCodePoint(point), 'utf8')) out += String.fromCharCode(byte)
    }
  }
  return out
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  return -1
}

/** A decoded segment as text: its bytes read as UTF-8 (invalid sequences become U+FFFD, as in Tomcat). */
function toText(decoded: string): string {
  return NON_ASCII.test(decoded) ? Buffer.from(decoded, 'latin1').toString('utf8') : decoded
}

/**
 * The part of a root-level target (`requestTarget('', url)`) below `mountPrefix`, to hand to the
 * balancer of that mount: the surviving segments after the prefix's, in the client's spelling,
 * with the query; path parameters on the prefix's last segment are kept (`;jsessionid=…/x`).
 * Undefined when the mapped path is not at or below `mountPrefix` (compared as Tomcat maps both:
 * decoded, segment by segment). For hosts that choose the mount by path, as the CLI does.
 *
 * @param mountPrefix - a mount path such as `/testapp` (`''` or `/` for the root).
 *
 * @example
 * ```ts
 * const target = requestTarget('', '/x/../testapp/echo.jsp?y=1')     // { path: '/testapp/echo.jsp?y=1', … }
 * relativeTo(target, '/testapp')                                      // '/echo.jsp?y=1'
 * relativeTo(requestTarget('', '/%74estapp;jsessionid=A/'), '/testapp')  // ';jsessionid=A/'
 * ```
 */
export function relativeTo(target: RequestTarget, mountPrefix: string): string | undefined {
  const prefix = mountPrefix.endsWith('/') ? mountPrefix.slice(0, -1) : mountPrefix
  if (prefix === '') return target.path
  const mappedPrefix = NEEDS_NORMALISING.test(prefix) ? requestTarget('', prefix) : { mapped: prefix }
  if (isPathRefusal(mappedPrefix)) return undefined
  const wanted = mappedPrefix.mapped.endsWith('/') ? mappedPrefix.mapped.slice(0, -1) : mappedPrefix.mapped
  const mapped = target.mapped
  if (mapped !== wanted && !mapped.startsWith(`${wanted}/`)) return undefined
  const q = target.path.indexOf('?')
  const path = q === -1 ? target.path : target.path.slice(0, q)
  let start = 0
  let end = 0
  for (let segments = wanted.split('/').length - 1; segments > 0; segments--) {
    start = end
    end = path.indexOf('/', start + 1)
    if (end === -1) end = path.length
  }
  const semi = path.indexOf(';', start)
  const from = semi !== -1 && semi < end ? semi : end
  return path.slice(from) + (q === -1 ? '' : target.path.slice(q))
}

/** Printable ASCII without `#`: what a path chosen by a hook may contain (escape anything else as `%xx`). */
const PATH_TEXT = /^[\x21\x22\x24-\x7e]*$/

/** Whether `text` may be sent as (part of) a request target: printable ASCII, no space, no `#`. */
export function isRequestTargetText(text: string): boolean {
  return PATH_TEXT.test(text)
}

/**
 * The normalised form of `prefix` as {@link requestTarget} uses it (`''` for the root), or the
 * refusal when the prefix itself is one.
 */
export function normalisedPrefix(prefix: string): string | PathRefusal {
  if (prefix === '' || prefix === '/') return ''
  const root = requestTarget(prefix, '')
  if (isPathRefusal(root)) return root
  return root.path === '/' ? '' : root.path
}

/**
 * A whole member-bound path chosen by configuration code (an `onRequest` hook), checked as a
 * client's path is: origin-form, printable ASCII without `#`, starting with the mount's upstream
 * prefix `prefix` (byte for byte, followed by `/`, `;`, `?` or nothing), and below it normalised
 * with the prefix as its floor by {@link requestTarget}. Returns what to forward, or the refusal.
 *
 * @example
 * ```ts
 * targetWithin('/testapp', '/testapp/x/../echo.jsp?a=1')   // { path: '/testapp/echo.jsp?a=1', mapped: '/echo.jsp' }
 * targetWithin('/testapp', '/testapp/../examples/')         // { code: 'LB_ERR_PATH_OUTSIDE_MOUNT', … }
 * targetWithin('/testapp', '/examples/')                    // { code: 'LB_ERR_PATH_OUTSIDE_MOUNT', … }
 * ```
 */
export function targetWithin(prefix: string, path: string): RequestTarget | PathRefusal {
  if (path.charCodeAt(0) !== 0x2f /* / */ || !PATH_TEXT.test(path)) return NOT_A_PATH
  const base = normalisedPrefix(prefix)
  if (typeof base !== 'string') return base
  if (base !== '') {
    const next = path.charCodeAt(base.length)
    if (!path.startsWith(base) || !(Number.isNaN(next) || next === 0x2f || next === 0x3b || next === 0x3f)) return OUTSIDE
  }
  return requestTarget(base, path.slice(base.length))
}

/**
 * The error a refused path is answered with: `PathOutsideMountError` or `BadRequestError` (400,
 * our own words), closing the connection after it as the request guard's refusals do.
 */
export function pathRefusalError(refusal: PathRefusal): LbError {
  return refusal.code === 'LB_ERR_PATH_OUTSIDE_MOUNT' ? new PathOutsideMountError(CLOSE_CONNECTION) : new BadRequestError(refusal.reason, undefined, CLOSE_CONNECTION)
}
