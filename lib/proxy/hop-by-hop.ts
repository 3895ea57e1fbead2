/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and never cross a proxy.
 *
 * @module
 */

/** Always hop-by-hop, whatever `Connection` says. `expect` is answered by Node itself (100 Continue). */
const ALWAYS = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
])

/** None: what {@link connectionTokens} returns without a `Connection` header (shared, frozen). */
const NO_TOKENS: readonly string[] = Object.freeze([])

/** Lower-case names listed in a `Connection` header value (`close`, `keep-alive` and extensions). */
export function connectionTokens(value: string | string[] | undefined): readonly string[] {
  if (value === undefined) return NO_TOKENS
  const text = Array.isArray(value) ? value.join(',') : value
  const tokens: string[] = []
  for (const part of text.split(',')) {
    const token = part.trim().toLowerCase()
    if (token) tokens.push(token)
  }
  return tokens
}

/** Whether `name` (lower case) must not be forwarded, given the message's `Connection` tokens. */
export function isHopByHop(name: string, tokens: readonly string[]): boolean {
  return ALWAYS.has(name) || (tokens.length > 0 && tokens.includes(name))
}
