/**
 * CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`, a bare address = one host) and membership tests.
 *
 * IPv4 blocks are held as IPv4-mapped IPv6 (`10.0.0.0/8` = `::ffff:10.0.0.0/104`), so an IPv4 block
 * matches both `10.1.2.3` and `::ffff:10.1.2.3`. An IPv6 block of fewer than 96 bits that covers
 * `::ffff:0:0/96` (such as `::/0`) therefore matches IPv4 addresses too.
 *
 * @module
 */
import { parseIpInto } from './ip-address.js'

/**
 * A parsed block: the network bytes (16) and the prefix length in IPv6 bits (0–128).
 *
 * @example
 * ```ts
 * // what resolveTrustProxy('10.0.0.0/8') holds for its one block:
 * const block: Cidr = { bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0), bits: 104, text: '10.0.0.0/8' }
 * ```
 */
export interface Cidr {
  /** The network address, 16 bytes (IPv4 as IPv4-mapped IPv6). */
  readonly bytes: Uint8Array
  /** The prefix length in IPv6 bits (an IPv4 `/8` is 104). */
  readonly bits: number
  /** The text it was parsed from, for messages. */
  readonly text: string
}

/**
 * Parses `address` or `address/prefix`. IPv4 prefixes are 0–32, IPv6 prefixes 0–128; host bits
 * below the prefix are allowed and ignored.
 *
 * @returns `undefined` when the text is not a block.
 *
 * @example
 * ```ts
 * parseCidr('10.0.0.0/8')   // { bits: 104, … }
 * parseCidr('::1')          // { bits: 128, … }
 * parseCidr('10.0.0.0/33')  // undefined
 * ```
 */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined
  const trimmed = text.trim()
  const slash = trimmed.indexOf('/')
  const address = slash < 0 ? trimmed : trimmed.slice(0, slash)
  const bytes = new Uint8Array(16)
  const family = parseIpInto(address, bytes)
  if (family === 0) return undefined
  // An IPv4 block written in IPv6 form (::ffff:10.0.0.0/104) keeps its IPv6 prefix length.
  const v4Text = !address.includes(':')
  const max = v4Text ? 32 : 128
  let bits = max
  if (slash >= 0) {
    const prefix = trimmed.slice(slash + 1)
    if (prefix.length === 0 || prefix.length > 3) return undefined
    bits = 0
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i)
      if (c < 0x30 || c > 0x39) return undefined
      bits = bits * 10 + (c - 0x30)
    }
    if (bits > max) return undefined
  }
  return { bytes, bits: v4Text ? 96 + bits : bits, text: trimmed }
}

/**
 * Whether the 16 address bytes `address` (from `parseIpInto`) lie in `cidr`.
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(16)
 * parseIpInto('::ffff:10.9.8.7', buf)
 * cidrContains(parseCidr('10.0.0.0/8')!, buf) // true
 * ```
 */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  const full = cidr.bits >> 3
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== address[i]) return false
  const rest = cidr.bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((cidr.bytes[full] ?? 0) & mask) === ((address[full] ?? 0) & mask)
}
