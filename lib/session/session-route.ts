/**
 * Finds the session routes a request carries: Tomcat appends its `jvmRoute` to every session id
 * (`8F3A…C2.TomcatA`), and the route names the member that owns the session.
 *
 * Pure and linear-time; a malformed header or URL never throws, it just yields no route.
 *
 * Where we look, in this order (each source may give several routes, all returned in order):
 * 1. `routeOf(req)`, the user's hook (mod_jk `JK_ROUTE`), when set and it returns a route;
 * 2. the `;jsessionid=` path parameter: **the URL beats the cookie** in both mod_jk and
 *    mod_proxy_balancer;
 * 3. the query parameter, when configured (mod_proxy scans the whole URL, so its query also beats
 *    the cookie);
 * 4. the cookies, each configured name in turn, every cookie of that name in header order (mod_jk;
 *    mod_proxy only takes the first).
 *
 * Unlike mod_jk, a URL route does not hide the cookie routes: they follow it in the list, so a
 * stale bookmarked `;jsessionid=` that names no member still lets the cookie's route win. The
 * resolver tries the routes in order and takes the first that leads to a member.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { cookieValueAt, cookieValueEnd, findCookie } from './cookie-values.js'
import type { ResolvedStickyOptions } from './sticky-options.js'
import { findPathParam, findQueryParam, pathEnd, pathParamValueEnd, queryValueEnd } from './url-params.js'

/**
 * Where a route was found: the `routeOf` hook, the `;jsessionid=` path parameter, the query, or a
 * cookie.
 *
 * @example
 * ```ts
 * const source: RouteSource | undefined = parseSessionRoute({ url: req.url ?? '/', cookieHeader: req.headers.cookie }, sticky)?.source
 * if (source === 'path') urlSessions.inc()   // clients without cookies
 * ```
 */
export type RouteSource = 'custom' | 'path' | 'query' | 'cookie'

/**
 * One route a request carries, with the session id it came with.
 *
 * @example
 * ```ts
 * const route: SessionRoute | undefined = parseSessionRoute({ url: '/testapp/index.jsp;jsessionid=8F3A.TomcatB' }, resolveStickyOptions())
 * // { sessionId: '8F3A', route: 'TomcatB', source: 'path' }
 * ```
 */
export interface SessionRoute {
  /** The session id without the separator and route (`8F3A…C2`); empty for a route-only value (`.TomcatA`). */
  readonly sessionId: string
  /** The route (`TomcatA`): the text after the FIRST separator. */
  readonly route: string
  /** Where it was found. */
  readonly source: RouteSource
}

/**
 * What the parser reads from a request.
 *
 * @example
 * ```ts
 * const input: SessionRouteInput = { url: req.url ?? '/', cookieHeader: req.headers.cookie, req }
 * parseSessionRoutes(input, sticky).map((r) => r.route)   // ['TomcatA']
 * ```
 */
export interface SessionRouteInput {
  /** The `Cookie` header(s): `req.headers.cookie`, or each header line when there are several. */
  readonly cookieHeader?: string | readonly string[] | undefined
  /** The request target as received: `req.url`. */
  readonly url: string
  /** The request, only for the `routeOf` hook. */
  readonly req?: IncomingMessage | undefined
}

/**
 * At most this many distinct routes are returned; more are ignored. Bounds the work a hostile
 * `Cookie` header with thousands of session cookies can cause downstream.
 *
 * @example
 * ```ts
 * const cookieHeader = Array.from({ length: 100 }, (_, i) => `JSESSIONID=s${i}.n${i}`).join('; ')
 * parseSessionRoutes({ url: '/', cookieHeader }, resolveStickyOptions()).length === MAX_SESSION_ROUTES   // true: 16
 * ```
 */
export const MAX_SESSION_ROUTES = 16

/**
 * Splits a session id value at the first separator.
 *
 * @returns `undefined` when there is no separator or the route after it is empty. With
 *   `separator: false` the whole value is the route and the session id is empty.
 *
 * @example
 * ```ts
 * splitSessionId('ABC.node1.dc1', '.') // { sessionId: 'ABC', route: 'node1.dc1' }
 * splitSessionId('.TomcatA', '.')      // { sessionId: '', route: 'TomcatA' } (mod_jk set_session_cookie form)
 * splitSessionId('ABC', '.')           // undefined
 * ```
 */
export function splitSessionId(value: string, separator: string | false): { sessionId: string; route: string } | undefined {
  if (separator === false) return value.length > 0 ? { sessionId: '', route: value } : undefined
  const at = value.indexOf(separator)
  if (at < 0 || at === value.length - 1) return undefined
  return { sessionId: value.slice(0, at), route: value.slice(at + 1) }
}

/**
 * Every route the request carries, in the order they should be tried, without duplicate routes
 * (the first occurrence is kept) and at most {@link MAX_SESSION_ROUTES}.
 *
 * @example
 * ```ts
 * const sticky = resolveStickyOptions()
 * parseSessionRoutes({ url: '/app', cookieHeader: 'JSESSIONID=a.n1; JSESSIONID=b.n2' }, sticky)
 * // [{ sessionId: 'a', route: 'n1', source: 'cookie' }, { sessionId: 'b', route: 'n2', source: 'cookie' }]
 * parseSessionRoutes({ url: '/app;jsessionid=c.n3?x=1', cookieHeader: 'JSESSIONID=a.n1' }, sticky)
 * // [{ sessionId: 'c', route: 'n3', source: 'path' }, { sessionId: 'a', route: 'n1', source: 'cookie' }]
 * ```
 */
export function parseSessionRoutes(input: SessionRouteInput, options: ResolvedStickyOptions): SessionRoute[] {
  const list: SessionRoute[] = []
  collectRoutes(input, options, { list, names: false })
  return list
}

/**
 * The routes alone, in the order {@link parseSessionRoutes} gives them: what the balancer needs on
 * every request, without a `SessionRoute` object and a session id string per route.
 *
 * @example
 * ```ts
 * sessionRouteNames({ url: '/app;jsessionid=c.n3', cookieHeader: 'JSESSIONID=a.n1' }, resolveStickyOptions())
 * // ['n3', 'n1']
 * ```
 */
export function sessionRouteNames(input: SessionRouteInput, options: ResolvedStickyOptions): string[] {
  const list: string[] = []
  collectRoutes(input, options, { list, names: true })
  return list
}

/**
 * Where routes are gathered: full {@link SessionRoute}s, or (`names`) only the route strings.
 * @internal
 */
interface Sink {
  readonly list: SessionRoute[] | string[]
  readonly names: boolean
}

function collectRoutes(input: SessionRouteInput, options: ResolvedStickyOptions, found: Sink): void {
  const separator = options.separator

  if (options.routeOf !== undefined && input.req !== undefined) {
    const route = options.routeOf(input.req)
    if (typeof route === 'string' && route.length > 0) add(found, '', route, 'custom')
  }

  const url = typeof input.url === 'string' ? input.url : ''
  const pathParam = options.pathParam
  // Most URLs carry no ';': skip the path parameter scan for them.
  if (pathParam !== false && url.includes(';')) {
    const end = pathEnd(url)
    for (let from = 0; found.list.length < MAX_SESSION_ROUTES; ) {
      const start = findPathParam(url, pathParam, from, end)
      if (start < 0) break
      from = pathParamValueEnd(url, start, end)
      if (from > start) addRoute(found, url.slice(start, from), separator, 'path')
    }
  }

  const queryParam = options.queryParam
  if (queryParam !== false) {
    for (let from = 0; found.list.length < MAX_SESSION_ROUTES; ) {
      const start = findQueryParam(url, queryParam, from)
      if (start < 0) break
      const stop = queryValueEnd(url, start)
      if (stop > start) addRoute(found, url.slice(start, stop), separator, 'query')
      if (stop >= url.length || url.charCodeAt(stop) === 0x23 /* # */) break
      from = stop + 1
    }
  }

  const headers = input.cookieHeader
  if (headers !== undefined) {
    for (const name of options.cookies) {
      if (typeof headers === 'string') addCookieRoutes(found, headers, name, options)
      else for (const header of headers) if (typeof header === 'string') addCookieRoutes(found, header, name, options)
    }
  }
}

/** Adds the routes of every cookie `name` in one header line. */
function addCookieRoutes(found: Sink, header: string, name: string, options: ResolvedStickyOptions): void {
  for (let from = 0; found.list.length < MAX_SESSION_ROUTES; ) {
    const start = findCookie(header, name, options.cookieCaseSensitive, from)
    if (start < 0) return
    const end = cookieValueEnd(header, start)
    const value = cookieValueAt(header, start, end)
    if (value.length > 0) addRoute(found, value, options.separator, 'cookie')
    from = end + 1
  }
}

/** Adds the route of `value` unless it has none or it is already in the list. */
function addRoute(found: Sink, value: string, separator: string | false, source: RouteSource): void {
  if (separator === false) {
    if (value.length > 0) add(found, '', value, source)
    return
  }
  const at = value.indexOf(separator)
  if (at < 0 || at === value.length - 1) return
  add(found, value, value.slice(at + 1), source, at)
}

/** Appends `route` unless it is already there; the session id is `value` up to `idEnd`. */
function add(found: Sink, value: string, route: string, source: RouteSource, idEnd = 0): void {
  if (route.length === 0) return
  if (found.names) {
    const names = found.list as string[]
    if (!names.includes(route)) names.push(route)
    return
  }
  const list = found.list as SessionRoute[]
  for (const seen of list) if (seen.route === route) return
  list.push({ sessionId: value.slice(0, idEnd), route, source })
}

/**
 * The first route the request carries (see {@link parseSessionRoutes} for the order), or
 * `undefined`.
 *
 * @example
 * ```ts
 * parseSessionRoute({ url: '/', cookieHeader: 'JSESSIONID=8F3A.TomcatA; other=1' }, resolveStickyOptions())
 * // { sessionId: '8F3A', route: 'TomcatA', source: 'cookie' }
 * ```
 */
export function parseSessionRoute(input: SessionRouteInput, options: ResolvedStickyOptions): SessionRoute | undefined {
  return parseSessionRoutes(input, options)[0]
}
