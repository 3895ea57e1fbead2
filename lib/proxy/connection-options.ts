/**
 * What a request's `Connection` header may name (RFC 9110 §7.6.1).
 *
 * A field named in `Connection` is hop-by-hop: a proxy removes it before forwarding. That lets a
 * client remove any header by naming it, also headers a proxy in front of the balancer added and
 * the member relies on. So, for requests (normal and upgrades):
 *
 * - **Refused with 400** ({@link isRefusedConnectionOption}): names whose removal changes how the
 *   request is framed or routed, or who the member thinks sent it. RFC 9110 forbids naming a field
 *   meant for every recipient; a client that does is broken or hostile.
 *   - `Content-Length`, `Transfer-Encoding`: the body's framing; without it a body reads as the
 *     next request on a pooled connection.
 *   - `Host`: the member's virtual host and redirects.
 *   - the headers the balancer writes or a proxy in front adds to tell the member who the client
 *     is and how it came: every `X-Forwarded-*` (`-For`, `-Host`, `-Proto`, `-Port`, `-Prefix`,
 *     `-Server`, `-Client-Cert` …), `Forwarded`, `Via`, `X-Real-IP`, `X-Client-IP`,
 *     `True-Client-IP`, `CF-Connecting-IP`, `Fastly-Client-IP`, `X-Cluster-Client-IP`,
 *     `X-Original-Forwarded-For`. Without them Tomcat's `RemoteIpValve` sees the balancer's own
 *     (loopback) address as the client: the manager's default `RemoteAddrValve` lets that in.
 *     Envoy refuses `X-Forwarded-For/-Host/-Proto` the same way; httpd 2.4.53 and earlier dropped
 *     them (CVE-2022-31813).
 * - **Kept, the token ignored** ({@link KEPT_WHEN_NAMED}): credentials, `Cookie` and
 *   `Authorization`. Removing them never helps the client against the member (it could leave them
 *   out itself) but could against a proxy in front that adds them (an authenticating gateway), and
 *   no connection-level meaning exists for them: they are forwarded as sent, as nginx and HAProxy
 *   forward every named header. (`Proxy-Authorization` is always hop-by-hop: it is for the
 *   balancer, never the member.)
 * - Anything else named (`X-Custom`, `TE`, `Keep-Alive` …) is dropped, as RFC 9110 asks.
 *
 * @module
 */

/** Names refused as connection options (lower case); every `x-forwarded-*` is refused too. */
const REFUSED = new Set([
  'content-length', 'transfer-encoding', 'host',
  'forwarded', 'via', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip',
  'fastly-client-ip', 'x-cluster-client-ip', 'x-original-forwarded-for',
])

/** Request headers forwarded even when `Connection` names them (lower case). */
export const KEPT_WHEN_NAMED: ReadonlySet<string> = new Set(['cookie', 'authorization'])

/**
 * Whether a request naming `token` (lower case, trimmed) in `Connection` is refused with 400.
 *
 * @example
 * ```ts
 * isRefusedConnectionOption('content-length')   // true
 * isRefusedConnectionOption('x-forwarded-user') // true
 * isRefusedConnectionOption('keep-alive')       // false
 * ```
 */
export function isRefusedConnectionOption(token: string): boolean {
  return REFUSED.has(token) || token.startsWith('x-forwarded-')
}

/**
 * The first refused name in one raw `Connection` value, or `undefined`. Cheap for the common
 * values (`keep-alive`, `close`, `Upgrade`): no list is built. Tokens are split and trimmed as
 * `connectionTokens` splits them for the header filter.
 *
 * @example
 * ```ts
 * refusedConnectionOption('close, Content-Length') // 'content-length'
 * refusedConnectionOption('keep-alive, Upgrade')   // undefined
 * ```
 */
export function refusedConnectionOption(value: string): string | undefined {
  if (value === 'keep-alive' || value === 'Keep-Alive' || value === 'close') return undefined // nearly every request
  let from = 0
  while (from <= value.length) {
    let to = value.indexOf(',', from)
    if (to < 0) to = value.length
    const token = value.slice(from, to).trim().toLowerCase()
    if (token !== '' && isRefusedConnectionOption(token)) return token
    from = to + 1
  }
  return undefined
}
