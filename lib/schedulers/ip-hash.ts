/**
 * `ip_hash`: nginx's client-address affinity, computed exactly as `ngx_http_upstream_ip_hash_module`
 * does, so a migrated upstream keeps sending each client network to the same member.
 *
 * - Key: the first three octets of an IPv4 address (a whole /24 lands on one member), all 16 bytes
 *   of an IPv6 address; 3 zero bytes when there is no address (nginx's pseudo address for unix
 *   sockets). IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack Node server reports) counts as
 *   IPv4, as nginx sees it on its IPv4 listener or after `real_ip`.
 * - `hash = 89`; for each key byte `hash = (hash * 113 + byte) % 6271`; `w = hash % total_weight`;
 *   walk the members in configuration order (`all`, whatever their state), subtracting weights,
 *   until `w < weight`.
 * - When that member cannot take the request (not among `candidates`), hash the key bytes again,
 *   continuing from the current hash; after 21 hashes that all missed (nginx: `++tries > 20`),
 *   or with fewer than two members, fall back to weighted round robin over the candidates.
 *
 * Weights count for every member in `all`, usable or not (nginx's `total_weight`), so a member going
 * down does not move the clients of the others. nginx forbids `backup` with `ip_hash`; here a
 * standby member simply is not a candidate until the balancer makes it one.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import { clientAddressInto } from '../net/client-address.js'
import type { IpFamily } from '../net/ip-address.js'
import { parseIpInto } from '../net/ip-address.js'
import type { TrustProxy, TrustProxyOption } from '../net/trust-proxy.js'
import { resolveTrustProxy } from '../net/trust-proxy.js'
import { createByRequests } from './by-requests.js'
import type { Scheduler } from './scheduler.js'

/**
 * Options of {@link createIpHash}.
 *
 * @example
 * ```ts
 * // clients behind a proxy in 10.0.0.0/8 are hashed on the address its X-Forwarded-For names
 * createBalancer({ members, scheduler: createIpHash({ trustProxy: ['10.0.0.0/8'] }) })
 * ```
 */
export interface IpHashOptions {
  /**
   * Proxies whose `X-Forwarded-For` names the client (see `resolveTrustProxy`); like nginx
   * `set_real_ip_from` + `real_ip_header X-Forwarded-For` + `real_ip_recursive on`.
   *
   * Default: `false` (the socket peer is the client).
   */
  trustProxy?: TrustProxyOption | TrustProxy
}

/** nginx gives up re-hashing once this many re-hashes have missed (`tries > 20`). */
const MAX_TRIES = 20

function weightOf(member: Member): number {
  const w = member.weight
  return Number.isFinite(w) && w > 0 ? w : 0
}

/**
 * The key bytes of an address, written to `out`: returns the key length (3 for IPv4 and for no
 * address, 16 for IPv6) and where in `out` the key starts.
 */
function keyInto(address: string | undefined, out: Uint8Array): { start: number; length: number } {
  return keyOf(address === undefined ? 0 : parseIpInto(address, out), out)
}

function keyOf(family: IpFamily, out: Uint8Array): { start: number; length: number } {
  if (family === 4) return IPV4_KEY
  if (family === 6) return IPV6_KEY
  out[0] = 0
  out[1] = 0
  out[2] = 0
  return PSEUDO_KEY
}
const IPV4_KEY = Object.freeze({ start: 12, length: 3 })
const IPV6_KEY = Object.freeze({ start: 0, length: 16 })
const PSEUDO_KEY = Object.freeze({ start: 0, length: 3 })

/**
 * The member nginx's ip_hash chooses for `address` among `weights` (configuration order), trying
 * again while `usable(index)` is false. Pure; for golden tables and the scheduler below.
 *
 * @returns the index, or -1 when nginx would fall back to round robin.
 *
 * @example
 * ```ts
 * ipHashIndex('192.0.2.7', [1, 1, 1], () => true) // same index as for 192.0.2.200 (same /24)
 * ```
 */
export function ipHashIndex(address: string | undefined, weights: readonly number[], usable: (index: number) => boolean): number {
  const bytes = new Uint8Array(16)
  const key = keyInto(address, bytes)
  let total = 0
  for (const w of weights) total += Number.isFinite(w) && w > 0 ? w : 0
  if (weights.length < 2 || total <= 0) return -1
  let hash = 89
  for (let tries = 0; ; ) {
    for (let k = 0; k < key.length; k++) hash = (hash * 113 + (bytes[key.start + k] ?? 0)) % 6271
    let w = hash % total
    let i = 0
    for (; i < weights.length - 1; i++) {
      const weight = weights[i] ?? 0
      const wi = Number.isFinite(weight) && weight > 0 ? weight : 0
      if (w < wi) break
      w -= wi
    }
    if (usable(i)) return i
    if (++tries > MAX_TRIES) return -1
  }
}

/**
 * Creates an nginx-compatible `ip_hash` scheduler.
 *
 * @throws {InvalidOptionError} when `trustProxy` is invalid (the message names `trustProxy`).
 *
 * @example
 * ```ts
 * const scheduler = createIpHash({ trustProxy: ['10.0.0.0/8'] })
 * scheduler.pick(usableMembers, { req }, allMembers)
 * ```
 */
export function createIpHash(options: IpHashOptions = {}): Scheduler {
  const trust = resolveTrustProxy(options.trustProxy)
  const fallback = createByRequests()
  const bytes = new Uint8Array(16)
  return {
    name: 'ip_hash',
    pick(candidates, ctx, all) {
      if (candidates.length === 0) return undefined
      let total = 0
      for (const member of all) total += weightOf(member)
      if (all.length < 2 || total <= 0) return fallback.pick(candidates, ctx, all)
      const key = keyOf(ctx.req === undefined ? 0 : clientAddressInto(ctx.req, trust, bytes), bytes)
      let hash = 89
      for (let tries = 0; ; ) {
        for (let k = 0; k < key.length; k++) hash = (hash * 113 + (bytes[key.start + k] ?? 0)) % 6271
        let w = hash % total
        let i = 0
        for (; i < all.length - 1; i++) {
          const wi = weightOf(all[i] as Member)
          if (w < wi) break
          w -= wi
        }
        const member = all[i] as Member
        if (candidates.includes(member)) return member
        if (++tries > MAX_TRIES) return fallback.pick(candidates, ctx, all)
      }
    },
    forget(member) {
      fallback.forget?.(member)
    },
  }
}
