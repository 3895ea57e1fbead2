/**
 * Consistent hashing on any request key (a header, a cookie, the path, or a function), ketama style
 * like nginx `hash $key consistent` (160 points per weight unit), with optional bounded loads like
 * HAProxy `hash-balance-factor`.
 *
 * - The ring holds `round(weight × pointsPerWeight)` points per member of `all`, each at the hash of
 *   `<member id>#<n>`; a key goes to the member of the first point at or after the key's hash,
 *   wrapping around. Adding or removing a member moves only the keys of the points it gains or
 *   loses (about 1/n of them).
 * - The ring is built on the first pick and rebuilt only when the member list or a weight changes.
 *   A pick allocates nothing beyond the key string.
 * - A member that cannot take the request (not among `candidates`) is skipped: the walk goes on
 *   clockwise to the next member that can, so its keys spread over the others and come back to it
 *   when it returns.
 * - Bounded loads (`balanceFactor`): a member may take the request only while its in-flight count
 *   plus one stays within `ceil(balanceFactor × (in-flight of all candidates + 1) × weight ÷ sum of
 *   weights)`; the walk continues to the next member under the bound. Some member is always under it.
 * - No key (missing header or cookie, or the function returned `undefined` or `''`): weighted round
 *   robin over the candidates (HAProxy does the same; nginx would hash the empty string).
 *
 * The point hash is FNV-1a (32 bit) over the UTF-16 code units, finished with murmur3's `fmix32` for
 * avalanche; it is not nginx's CRC32, so keys map to other members than in nginx.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { fail, int, mustBe, TOKEN } from '../validate.js'
import type { Member } from '../members/member.js'
import { firstCookieValue } from '../session/cookie-values.js'
import { createByRequests } from './by-requests.js'
import type { Scheduler } from './scheduler.js'

/**
 * What to hash: `header:<name>`, `cookie:<name>`, `path` (without the query), or a function.
 *
 * @example
 * ```ts
 * const byTenant: HashKey = 'header:x-tenant-id'
 * const byUser: HashKey = (req) => new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? undefined
 * createConsistentHash({ key: byTenant })
 * ```
 */
export type HashKey = `header:${string}` | `cookie:${string}` | 'path' | ((req: IncomingMessage) => string | undefined)

/**
 * Options of {@link createConsistentHash}.
 *
 * @example
 * ```ts
 * // like nginx `hash $cookie_cart consistent` with HAProxy's hash-balance-factor 150
 * createBalancer({ members, scheduler: createConsistentHash({ key: 'cookie:cart', balanceFactor: 1.5 }) })
 * ```
 */
export interface ConsistentHashOptions {
  /** The request key. Required. */
  key: HashKey
  /**
   * Ring points per unit of weight (an integer 1–10000). Default: `160`, as nginx.
   */
  pointsPerWeight?: number
  /**
   * Bounded loads: no member takes more than this multiple of the weighted average in-flight
   * requests (a number ≥ 1; HAProxy's `hash-balance-factor 150` is `1.5`). Default: off.
   */
  balanceFactor?: number
}

/**
 * A consistent-hash scheduler, with two read-only figures for operators and tests.
 *
 * @example
 * ```ts
 * const scheduler = createConsistentHash({ key: 'path' })
 * const balancer = createBalancer({ members, scheduler })
 * // after the first pick: scheduler.ringPoints === 160 × the sum of the members' weights, scheduler.ringBuilds === 1
 * ```
 */
export interface ConsistentHashScheduler extends Scheduler {
  /** Points on the current ring (0 before the first pick). */
  readonly ringPoints: number
  /** How many times the ring was built. */
  readonly ringBuilds: number
}

/**
 * FNV-1a (32 bit) over UTF-16 code units, then murmur3 `fmix32`. Unsigned 32-bit result.
 *
 * @example
 * ```ts
 * hashKey('JSESSIONID=abc') === hashKey('JSESSIONID=abc') // true
 * ```
 */
export function hashKey(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}


function keyReader(key: unknown): (req: IncomingMessage) => string | undefined {
  if (typeof key === 'function') return key as (req: IncomingMessage) => string | undefined
  if (key === 'path') {
    return (req) => {
      const url = req.url
      if (typeof url !== 'string') return undefined
      const q = url.indexOf('?')
      return q < 0 ? url : url.slice(0, q)
    }
  }
  if (typeof key === 'string' && key.startsWith('header:') && TOKEN.test(key.slice(7))) {
    const name = key.slice(7).toLowerCase()
    return (req) => {
      const value = req.headers[name]
      return typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined
    }
  }
  if (typeof key === 'string' && key.startsWith('cookie:') && TOKEN.test(key.slice(7))) {
    const name = key.slice(7)
    return (req) => {
      const header = req.headers.cookie
      return typeof header === 'string' ? firstCookieValue(header, name, true) : undefined
    }
  }
  mustBe('key', "'header:<name>', 'cookie:<name>', 'path' or a function (req) => string | undefined", key)
}

/**
 * Creates a consistent-hash scheduler.
 *
 * @throws {InvalidOptionError} naming `key`, `pointsPerWeight` or `balanceFactor`.
 *
 * @example
 * ```ts
 * const byTenant = createConsistentHash({ key: 'header:x-tenant', balanceFactor: 1.25 })
 * const byPath = createConsistentHash({ key: 'path' })
 * const byUser = createConsistentHash({ key: (req) => req.headers.authorization })
 * ```
 */
export function createConsistentHash(options: ConsistentHashOptions): ConsistentHashScheduler {
  if (typeof options !== 'object' || options === null) fail('consistent hash options must be an object with a key')
  const readKey = keyReader(options.key)
  const pointsPerWeight = int('pointsPerWeight', options.pointsPerWeight, { min: 1, max: 10_000, default: 160 })
  const balanceFactor = options.balanceFactor
  if (balanceFactor !== undefined && !(typeof balanceFactor === 'number' && Number.isFinite(balanceFactor) && balanceFactor >= 1)) {
    mustBe('balanceFactor', 'a number ≥ 1 (1.5 = at most 150 % of the average load)', balanceFactor)
  }

  const fallback = createByRequests()

  // The ring, and what it was built from.
  let built = false
  let members: Member[] = []
  let weights: number[] = []
  let index = new Map<Member, number>()
  let ringHash = new Uint32Array(0)
  let ringMember = new Int32Array(0)
  let onRing = 0
  let builds = 0
  // Per-member stamps, reused by every pick: no allocation.
  let candidateStamp = new Uint32Array(0)
  let visitStamp = new Uint32Array(0)
  let epoch = 0

  function stale(all: readonly Member[]): boolean {
    if (!built || all.length !== members.length) return true
    for (let i = 0; i < all.length; i++) {
      const member = all[i] as Member
      if (member !== members[i] || member.weight !== weights[i]) return true
    }
    return false
  }

  function build(all: readonly Member[]): void {
    built = true
    members = [...all]
    weights = members.map((m) => m.weight)
    index = new Map(members.map((m, i) => [m, i]))
    const counts = weights.map((w) => (Number.isFinite(w) && w > 0 ? Math.round(w * pointsPerWeight) : 0))
    const total = counts.reduce((a, b) => a + b, 0)
    // hash × 2^16 + member index sorts by hash, then by index; exact in a double below 2^53.
    const packed = new Float64Array(total)
    let n = 0
    for (let i = 0; i < members.length && i < 65_536; i++) {
      const id = (members[i] as Member).id
      for (let p = 0; p < (counts[i] as number); p++) packed[n++] = hashKey(`${id}#${p}`) * 65_536 + i
    }
    const ring = packed.subarray(0, n).sort()
    ringHash = new Uint32Array(n)
    ringMember = new Int32Array(n)
    for (let k = 0; k < n; k++) {
      const v = ring[k] as number
      ringMember[k] = v % 65_536
      ringHash[k] = Math.floor(v / 65_536)
    }
    onRing = new Set(ringMember).size
    candidateStamp = new Uint32Array(members.length)
    visitStamp = new Uint32Array(members.length)
    epoch = 0
    builds++
  }

  function firstPointAtOrAfter(hash: number): number {
    let lo = 0
    let hi = ringHash.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((ringHash[mid] as number) < hash) lo = mid + 1
      else hi = mid
    }
    return lo === ringHash.length ? 0 : lo
  }

  return {
    name: 'consistent-hash',
    get ringPoints() {
      return ringHash.length
    },
    get ringBuilds() {
      return builds
    },
    pick(candidates, ctx, all) {
      if (candidates.length === 0) return undefined
      if (stale(all)) build(all)
      const key = ctx.req === undefined ? undefined : readKey(ctx.req)
      if (typeof key !== 'string' || key.length === 0 || ringHash.length === 0) return fallback.pick(candidates, ctx, all)

      if (++epoch === 0xffffffff) {
        candidateStamp.fill(0)
        visitStamp.fill(0)
        epoch = 1
      }
      let inFlight = 0
      let weight = 0
      for (const candidate of candidates) {
        const i = index.get(candidate)
        if (i === undefined) continue
        candidateStamp[i] = epoch
        inFlight += candidate.counters.inFlight
        weight += Math.max(0, weights[i] as number)
      }

      const length = ringHash.length
      const start = firstPointAtOrAfter(hashKey(key))
      let seen = 0
      for (let step = 0; step < length && seen < onRing; step++) {
        const at = start + step < length ? start + step : start + step - length
        const i = ringMember[at] as number
        if (visitStamp[i] === epoch) continue
        visitStamp[i] = epoch
        seen++
        if (candidateStamp[i] !== epoch) continue
        const member = members[i] as Member
        if (balanceFactor === undefined || weight <= 0) return member
        const cap = Math.ceil((balanceFactor * (inFlight + 1) * (weights[i] as number)) / weight)
        if (member.counters.inFlight + 1 <= cap) return member
      }
      return fallback.pick(candidates, ctx, all)
    },
    forget(member) {
      fallback.forget?.(member)
    },
  }
}
