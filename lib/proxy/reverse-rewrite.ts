/**
 * Reverse rewriting of response headers, like httpd's `ProxyPassReverse` and
 * `ProxyPassReverseCookiePath`: what the member says about its own URLs is turned into the
 * public URL the client used.
 *
 * @module
 */
import type { ResponseHeaders } from '../transports/transport.js'

export interface ReverseMapping {
  /** Origins of the members (`http://127.0.0.1:8081`), for absolute `Location` values. */
  readonly memberOrigins: readonly string[]
  /** The path prefix on the members (`/testapp`), or `` for the root. */
  readonly upstreamPrefix: string
  /** The public origin the client used (`http://shop.example`). */
  readonly publicOrigin: string
  /** The public mount path (`/app`), or `` for the root. */
  readonly mountPath: string
}

/** Replaces `upstreamPrefix` at the start of a path with `mountPath`; other paths stay as they are. */
export function mapPathPrefix(path: string, from: string, to: string): string {
  if (from === to) return path
  if (from === '') return to + path
  if (path === from) return to || '/'
  const next = path.charAt(from.length)
  if (path.startsWith(from) && (next === '/' || next === '?' || next === ';' || next === '#')) {
    const rest = path.slice(from.length)
    return to === '' && !rest.startsWith('/') ? `/${rest}` : to + rest
  }
  return path
}

/** Rewrites a `Location`/`Content-Location` value that points at a member to the public URL. */
export function rewriteLocation(value: string, m: ReverseMapping): string {
  if (value.startsWith('/') && !value.startsWith('//')) return mapPathPrefix(value, m.upstreamPrefix, m.mountPath)
  for (const origin of m.memberOrigins) {
    const mapped = mapOrigin(value, origin, m)
    if (mapped !== undefined) return mapped
  }
  // A member that was given the client's Host (AJP, preserveHost) writes the public origin with its own path.
  return mapOrigin(value, m.publicOrigin.toLowerCase(), m) ?? value
}

function mapOrigin(value: string, origin: string, m: ReverseMapping): string | undefined {
  if (value.length < origin.length || value.slice(0, origin.length).toLowerCase() !== origin) return undefined
  const rest = value.slice(origin.length)
  if (rest !== '' && !rest.startsWith('/') && !rest.startsWith('?')) return undefined
  return m.publicOrigin + mapPathPrefix(rest.startsWith('/') ? rest : `/${rest}`, m.upstreamPrefix, m.mountPath)
}

/** A `Path` attribute; browsers trim the name, so `Path = /x` counts too. */
const PATH_ATTRIBUTE = /^\s*path\s*=/i

/** Rewrites the `Path=` attribute of one `Set-Cookie` value. */
export function rewriteCookiePath(cookie: string, m: ReverseMapping): string {
  if (m.upstreamPrefix === m.mountPath) return cookie
  let out = ''
  let start = 0
  while (start <= cookie.length) {
    let end = cookie.indexOf(';', start)
    if (end === -1) end = cookie.length
    const segment = cookie.slice(start, end)
    if (start > 0 && PATH_ATTRIBUTE.test(segment)) {
      const eq = segment.indexOf('=')
      const path = segment.slice(eq + 1).trim()
      out += `${segment.slice(0, eq + 1)}${mapPathPrefix(path, m.upstreamPrefix, m.mountPath)}`
    } else {
      out += segment
    }
    if (end === cookie.length) break
    out += ';'
    start = end + 1
  }
  return out
}

/** Applies every reverse rewrite to a response's headers, in place. */
export function rewriteResponseHeaders(headers: ResponseHeaders, m: ReverseMapping): void {
  const location = headers.location
  if (typeof location === 'string') headers.location = rewriteLocation(location, m)
  const contentLocation = headers['content-location']
  if (typeof contentLocation === 'string') headers['content-location'] = rewriteLocation(contentLocation, m)
  const cookies = headers['set-cookie']
  if (cookies !== undefined && m.upstreamPrefix !== m.mountPath) {
    headers['set-cookie'] = Array.isArray(cookies) ? cookies.map((c) => rewriteCookiePath(c, m)) : rewriteCookiePath(cookies, m)
  }
}
