/**
 * Helpers shared by the schedulers: the pick time, weights as schedulers count them, option checks,
 * lazy mod_jk-style decay, a seeded PRNG for tests, and weighted draws without replacement.
 *
 * Everything here is pure and allocation-free on the pick path.
 *
 * @module
 */
import { fn, ms } from '../validate.js'
import { effectiveWeight } from '../members/effective-weight.js'
import type { Member } from '../members/member.js'
import type { PickContext } from './scheduler.js'

/**
 * The time of a pick: `ctx.now`, or `Date.now()` when the caller gave none.
 *
 * @example
 * ```ts
 * pickTime({ now: 1000 }) // 1000
 * ```
 */
export function pickTime(ctx: PickContext): number {
  const now = ctx.now
  return typeof now === 'number' && Number.isFinite(now) ? now : Date.now()
}

/**
 * The weight a scheduler counts for `member` at `now`: {@link effectiveWeight} (so slow start
 * applies), with anything that is not a finite positive number counted as 0.
 *
 * @example
 * ```ts
 * weightOf(member, Date.now()) // 1 for a member configured with weight 1
 * ```
 */
export function weightOf(member: Member, now: number): number {
  const w = effectiveWeight(member, now)
  return w > 0 && w < Infinity ? w : 0
}

/** The candidates' weights at `now`, summed (0 means "all weights 0": treat them as equal). */
export function totalWeight(candidates: readonly Member[], now: number): number {
  let total = 0
  for (let i = 0; i < candidates.length; i++) total += weightOf(candidates[i] as Member, now)
  return total
}

/**
 * Validates a decay interval option (ms; `0` = off).
 *
 * @throws {InvalidOptionError} naming `decayInterval`.
 */
export function resolveDecayInterval(value: unknown, fallback: number): number {
  return ms('decayInterval', value, { min: 0, default: fallback })
}

/**
 * mod_jk's maintenance decay, applied lazily: once per whole `interval` elapsed since the clock
 * started, counters are halved (mod_jk `worker.maintain`, `lb_value >>= elapsed / maintain`).
 *
 * The clock starts at the first {@link Decay.halvings} call and advances by whole intervals, so a
 * pick that comes late catches up on every interval it missed. A time earlier than the last one
 * (a clock step back) halves nothing.
 */
export class Decay {
  readonly interval: number
  #last = Number.NaN

  /** `interval` in ms; 0 turns decay off. */
  constructor(interval: number) {
    this.interval = interval
  }

  /** How many halvings are due at `now` (0 when off or none is due); moves the clock past them. */
  halvings(now: number): number {
    if (this.interval <= 0) return 0
    if (Number.isNaN(this.#last)) {
      this.#last = now
      return 0
    }
    const elapsed = now - this.#last
    if (!(elapsed >= this.interval)) return 0
    const n = Math.floor(elapsed / this.interval)
    this.#last += n * this.interval
    return n
  }
}

/** `2^-n` without `Math.pow` edge cases: 0 once the factor underflows. */
export function halvingFactor(n: number): number {
  return n >= 1075 ? 0 : 2 ** -n
}

/**
 * A small seeded PRNG (mulberry32): uniform in [0, 1), the same sequence for the same seed. For
 * deterministic tests of the random schedulers; not for anything secret.
 *
 * @example
 * ```ts
 * const random = createSeededRandom(42)
 * const scheduler = createRandom({ random })
 * ```
 */
export function createSeededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Validates a `random` option: a function returning numbers in [0, 1).
 *
 * @throws {InvalidOptionError} naming `random`.
 */
export function resolveRandom(value: unknown): () => number {
  return fn<() => number>('random', value, 'returning a number in [0, 1)') ?? Math.random
}

/**
 * Weighted draws without replacement over a candidate list, reusing one buffer: no allocation per
 * pick once the buffer has grown to the number of draws.
 *
 * Each draw takes a member with probability weight ÷ (sum of the weights not drawn yet). When every
 * remaining candidate has weight 0, draws are uniform over them (all-zero weights count as equal).
 */
export class WeightedDraws {
  /** The members drawn by the last {@link WeightedDraws.draw}, in draw order; `length` of them are valid. */
  readonly drawn: Member[] = []
  length = 0
  readonly #random: () => number

  constructor(random: () => number) {
    this.#random = random
  }

  /**
   * Draws `count` distinct members (fewer when there are fewer candidates) into {@link drawn}.
   * `total` is the sum of `weightOf(candidate, now)` over the candidates.
   */
  draw(candidates: readonly Member[], count: number, total: number, now: number): number {
    const n = candidates.length
    const want = count < n ? count : n
    let remaining = total
    let k = 0
    for (; k < want; k++) {
      let chosen: Member | undefined
      if (remaining > 0) {
        let r = this.#random() * remaining
        let last: Member | undefined
        for (let i = 0; i < n; i++) {
          const m = candidates[i] as Member
          if (this.#taken(m, k)) continue
          const w = weightOf(m, now)
          if (w <= 0) continue
          last = m
          if (r < w) {
            chosen = m
            break
          }
          r -= w
        }
        chosen ??= last // rounding at the far end of the range
      }
      if (chosen === undefined) {
        // Only weight-0 members are left: uniform over them.
        let left = 0
        for (let i = 0; i < n; i++) if (!this.#taken(candidates[i] as Member, k)) left++
        let r = Math.floor(this.#random() * left)
        for (let i = 0; i < n; i++) {
          const m = candidates[i] as Member
          if (this.#taken(m, k)) continue
          if (r-- === 0) {
            chosen = m
            break
          }
        }
      }
      if (chosen === undefined) break
      this.drawn[k] = chosen
      remaining -= weightOf(chosen, now)
    }
    this.length = k
    return k
  }

  #taken(member: Member, upTo: number): boolean {
    for (let j = 0; j < upTo; j++) if (this.drawn[j] === member) return true
    return false
  }

  /**
   * Power of d choices: draws `count` members by weight and returns the one with the lowest
   * `cost(member, weight, now)` (the first drawn on ties). `weight` is 1 for every member when
   * all weights are 0. The cost function is passed once, not built per pick.
   */
  lowestOf(candidates: readonly Member[], count: number, now: number, cost: (member: Member, weight: number, now: number) => number): Member | undefined {
    const n = candidates.length
    if (n === 0) return undefined
    if (n === 1) return candidates[0]
    const total = totalWeight(candidates, now)
    const equal = total <= 0
    const k = this.draw(candidates, count, total, now)
    let best: Member | undefined
    let bestCost = Infinity
    for (let j = 0; j < k; j++) {
      const member = this.drawn[j] as Member
      const c = cost(member, equal ? 1 : weightOf(member, now), now)
      if (best === undefined || c < bestCost) {
        best = member
        bestCost = c
      }
    }
    this.clear()
    return best
  }

  /** Drops the references to the last draw's members. */
  clear(): void {
    this.drawn.fill(undefined as unknown as Member)
    this.length = 0
  }
}

/**
 * Per-member state objects, created on first use and reused by every later pick.
 *
 * @internal
 */
export class MemberStates<T> {
  readonly #states = new Map<Member, T>()
  readonly #create: () => T

  constructor(create: () => T) {
    this.#create = create
  }

  get(member: Member): T {
    let s = this.#states.get(member)
    if (s === undefined) {
      s = this.#create()
      this.#states.set(member, s)
    }
    return s
  }

  peek(member: Member): T | undefined {
    return this.#states.get(member)
  }

  delete(member: Member): void {
    this.#states.delete(member)
  }

  values(): IterableIterator<T> {
    return this.#states.values()
  }
}
