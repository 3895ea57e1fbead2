/**
 * The request headers a member receives: the client's end-to-end headers, a chosen `Host`, and
 * the forwarding headers httpd adds (`ProxyAddHeaders On`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { ClientConnection } from '../transports/transport.js'
import { KEPT_WHEN_NAMED } from './connection-options.js'
import { connectionTokens, isHopByHop } from './hop-by-hop.js'

export interface RequestHeaderPolicy {
  /** Keep the client's Host (`ProxyPreserveHost On`); otherwise the member's host:port. */
  readonly preserveHost: boolean
  readonly xForwarded: boolean
  /** Pseudonym for `Via`, or undefined for none. */
  readonly via: string | undefined
}

/**
 * Builds the member-bound headers.
 *
 * - Hop-by-hop headers are left out, with those `Connection` names, except `Cookie` and
 *   `Authorization` (see {@link KEPT_WHEN_NAMED}).
 *
 * - `X-Forwarded-For` gets the client address appended (a list, as httpd and nginx do).
 * - `X-Forwarded-Host`, `-Proto`, `-Port` are set from `client` and `publicHost`, replacing the
 *   request's values: what this proxy saw, or what a trusted proxy in front reported and the
 *   balancer validated (see `forwardedClient`). An untrusted client could otherwise claim `https`
 *   to an application that trusts the header.
 * - `Via: 1.1 <pseudonym>` is appended when enabled.
 */
export function buildRequestHeaders(
  req: IncomingMessage,
  client: ClientConnection,
  memberHost: string,
  publicHost: string,
  policy: RequestHeaderPolicy,
): Record<string, string | string[]> {
  const source = req.headers
  const tokens = connectionTokens(source.connection)
  const headers: Record<string, string | string[]> = {}
  for (const name in source) {
    const value = source[name]
    // What Connection names is dropped, except credentials (see connection-options.ts); the
    // names it may not drop (framing, Host, forwarding headers) were refused by checkRequest.
    if (value === undefined || (isHopByHop(name, tokens) && !KEPT_WHEN_NAMED.has(name))) continue
    headers[name] = value
  }
  if (!policy.preserveHost) headers.host = memberHost
  // The client's Host; behind a trusted proxy that reports one (X-Forwarded-Host), that one.
  else if (headers.host === undefined || client.forwardedHost !== undefined) headers.host = publicHost
  if (policy.xForwarded) {
    const prior = source['x-forwarded-for']
    headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client.address}` : client.address
    headers['x-forwarded-host'] = publicHost
    headers['x-forwarded-proto'] = client.secure ? 'https' : 'http'
    headers['x-forwarded-port'] = String(client.localPort)
  }
  if (policy.via !== undefined) {
    const entry = `${req.httpVersion} ${policy.via}`
    const prior = source.via
    headers.via = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${entry}` : entry
  }
  return headers
}
