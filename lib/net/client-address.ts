/**
 * The client's address for a request: the socket peer, or, when the peer is a trusted proxy, the
 * nearest untrusted hop in `X-Forwarded-For` (read from the right, as Express does with a
 * `trust proxy` list and nginx with `set_real_ip_from` + `real_ip_recursive on`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { IpFamily } from './ip-address.js'
import { formatIp, parseIpInto } from './ip-address.js'
import type { TrustProxy } from './trust-proxy.js'

/**
 * Parses one `X-Forwarded-For` entry into `out`: trims it and drops a port (`192.0.2.1:5678`,
 * `[2001:db8::1]:443`), which some proxies add. Returns the family, 0 for not an address.
 */
function parseForwarded(entry: string, out: Uint8Array): IpFamily {
  let text = entry.trim()
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0) return 0
    text = text.slice(1, close)
  } else {
    const colon = text.indexOf(':')
    if (colon > 0 && colon === text.lastIndexOf(':') && text.includes('.')) text = text.slice(0, colon)
  }
  return parseIpInto(text, out)
}

const hop = new Uint8Array(16)
const formatScratch = new Uint8Array(16)

/**
 * Like {@link clientAddress}, but writes the 16 address bytes (IPv4 as IPv4-mapped) to `out` and
 * returns the family, without building a string: for schedulers that hash the address.
 *
 * @returns 4 or 6, or 0 when the socket has no usable peer address (then `out` is garbage).
 *
 * @example
 * ```ts
 * const bytes = new Uint8Array(16)
 * if (clientAddressInto(req, trust, bytes) === 4) hashFirstOctets(bytes.subarray(12, 15))
 * ```
 */
export function clientAddressInto(req: IncomingMessage, trust: TrustProxy, out: Uint8Array): IpFamily {
  const peer = req.socket?.remoteAddress
  if (typeof peer !== 'string') return 0
  let family = parseIpInto(peer, out)
  if (family === 0 || !trust.enabled || !trust.trustsBytes(out)) return family

  const header = req.headers['x-forwarded-for']
  if (header === undefined) return family
  const lines = typeof header === 'string' ? [header] : header
  for (let l = lines.length - 1; l >= 0; l--) {
    const line = lines[l]
    if (typeof line !== 'string') return family
    let end = line.length
    for (;;) {
      const comma = end > 0 ? line.lastIndexOf(',', end - 1) : -1
      const entry = line.slice(comma + 1, end)
      if (entry.trim().length > 0) {
        const next = parseForwarded(entry, hop)
        if (next === 0) return family
        out.set(hop)
        family = next
        if (!trust.trustsBytes(out)) return family
      }
      if (comma < 0) break
      end = comma
    }
  }
  return family
}

/**
 * The client address of `req`, in canonical form (IPv4-mapped IPv6 as dotted IPv4), or `undefined`
 * when the socket has no peer address (a destroyed socket).
 *
 * Without trusted proxies: the socket peer. When the peer is trusted: walk `X-Forwarded-For` from
 * the right, skipping trusted addresses; the first untrusted one is the client. When every entry is
 * trusted, the left-most one. An entry that is not an address stops the walk, and the last address
 * that was verified (the hop that reported the garbage) is the client, so a forged header can
 * never yield a non-address. A peer address Node reports that does not parse is returned as is.
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
  const family = clientAddressInto(req, trust, formatScratch)
  return family === 0 ? peer : formatIp(formatScratch, family)
}
