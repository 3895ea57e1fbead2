/**
 * Which `Upgrade` offers a client may send through the balancer (`upgrade.protocols`, by default
 * `websocket` only). Pure: the balancer asks before it picks a member, and forwards only what this
 * returns, never the client's own text.
 *
 * @module
 */

/** An RFC 9110 token, optionally `/version` (`websocket`, `h2c`, `TLS/1.3`). */
const OFFER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\/[!#$%&'*+\-.^_`|~0-9A-Za-z]+)?$/

/**
 * Whether `name` can be an entry of `upgrade.protocols` (a token, no version).
 *
 * @example
 * ```ts
 * isProtocolToken('websocket')   // true
 * isProtocolToken('tls/1.3')     // false: the version is not part of the name
 * ```
 */
export function isProtocolToken(name: string): boolean {
  return OFFER.test(name) && !name.includes('/')
}

/**
 * The `Upgrade` value to send to the member: the client's offers whose protocol name (before any
 * `/version`) is in `allowed` (lower case), in the client's order, lower-cased and joined with
 * `, `; `undefined` when none is allowed or the header is not a valid list of offers (then the
 * upgrade is refused).
 *
 * @example
 * ```ts
 * const ws = new Set(['websocket'])
 * allowedUpgrade('WebSocket', ws)          // 'websocket'
 * allowedUpgrade('h2c, websocket', ws)     // 'websocket'
 * allowedUpgrade('h2c', ws)                // undefined
 * allowedUpgrade('websocket\u0000', ws)    // undefined (not a token)
 * ```
 */
export function allowedUpgrade(header: string | undefined, allowed: ReadonlySet<string>): string | undefined {
  if (header === undefined || header.length > 1024) return undefined
  let out: string | undefined
  for (const part of header.split(',')) {
    const offer = part.trim()
    if (offer === '') continue
    if (!OFFER.test(offer)) return undefined
    const lower = offer.toLowerCase()
    const slash = lower.indexOf('/')
    if (!allowed.has(slash < 0 ? lower : lower.slice(0, slash))) continue
    out = out === undefined ? lower : `${out}, ${lower}`
  }
  return out
}
