/**
 * The client's address for a request: the socket peer, or, when the peer is a trusted proxy, the
 * nearest untrusted hop in `X-Forwarded-For` (read from the right, as Express does with a
 * `trust proxy` list and nginx with `set_real_ip_from` + `real_ip_recursive on`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { formatIp, parseIpInto } from './ip-address.js'
import type { TrustProxy } from './trust-proxy.js'

/**
 * Cleans one `X-Forwarded-For` entry: trims it and drops a port (`192.0.2.1:5678`,
 * `[2001:db8::1]:443`), which some proxies add. Returns the canonical address or `undefined`.
 */
function forwardedAddress(entry: string, scratch: Uint8Array): string | undefined {
  let text = entry.trim()
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0) return undefined
    text = text.slice(1, close)
  } else {
    const colon = text.indexOf(':')
    if (colon > 0 && colon === text.lastIndexOf(':') && text.includes('.')) text = text.slice(0, colon)
  }
  const family = parseIpInto(text, scratch)
  return family === 0 ? undefined : formatIp(scratch, family)
}

const scratch = new Uint8Array(16)

/**
 * The client address of `req`, in canonical form (IPv4-mapped IPv6 as dotted IPv4), or `undefined`
 * when the socket has no peer address (a destroyed socket).
 *
 * Without trusted proxies: the socket peer. When the peer is trusted: walk `X-Forwarded-For` from
 * the right, skipping trusted addresses; the first untrusted one is the client. When every entry is
 * trusted, the left-most one. An entry that is not an address stops the walk, and the last address
 * that was verified (the hop that reported the garbage) is the client, so a forged header can
 * never yield a non-address.
 *
 * @example
 * ```ts
 * const trust = resolveTrustProxy(['10.0.0.0/8'])
 * // peer 10.0.0.2, X-Forwarded-For: 203.0.113.9, 198.51.100.4, 10.0.0.7
 * clientAddress(req, trust) // '198.51.100.4'
 * ```
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string | undefined {
  const peer = req.socket?.remoteAddress
  if (typeof peer !== 'string') return undefined
  const peerFamily = parseIpInto(peer, scratch)
  let client = peerFamily === 0 ? peer : formatIp(scratch, peerFamily)
  if (!trust.enabled || !trust.trusts(peer)) return client

  const header = req.headers['x-forwarded-for']
  if (header === undefined) return client
  const lines = typeof header === 'string' ? [header] : header
  for (let l = lines.length - 1; l >= 0; l--) {
    const line = lines[l]
    if (typeof line !== 'string') return client
    let end = line.length
    for (;;) {
      const comma = end > 0 ? line.lastIndexOf(',', end - 1) : -1
      const entry = line.slice(comma + 1, end)
      if (entry.trim().length > 0) {
        const address = forwardedAddress(entry, scratch)
        if (address === undefined) return client
        client = address
        if (!trust.trusts(address)) return client
      }
      if (comma < 0) break
      end = comma
    }
  }
  return client
}
