/**
 * `peakewma`: latency-aware power of two choices, after Finagle's `PeakEwma` and Linkerd
 * (tower's `PeakEwma`).
 *
 * - Cost of a member: its peak-EWMA latency × (requests in flight + 1) ÷ weight. Two candidates are
 *   drawn at random (weighted, without replacement, as in `random`) and the cheaper one wins; the
 *   first drawn on ties.
 * - Peak EWMA, updated by {@link Scheduler.record}: a sample above the current value is taken at
 *   once (a slowdown shows immediately); a lower one moves the value toward it with weight
 *   `1 − e^(−elapsed ÷ decayTime)`, where `elapsed` is the time since the previous sample (a
 *   recovery shows gradually).
 * - Between samples the value fades toward 0 with the same time constant, read lazily at the pick
 *   time (Finagle and tower do the same by observing 0 on read). A member that was slow long ago is
 *   tried again, and one sample tells whether it still is.
 * - A member with no sample yet costs 0 while idle, so new members get tried at once, and a
 *   prohibitive cost while it has requests in flight, so it does not get a burst before its first
 *   answer (Finagle's `Penalty`).
 *
 * Only exchanges that the balancer records count; see the guide for which ones it records.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import { ms } from '../validate.js'
import type { ExchangeResult, Scheduler } from './scheduler.js'
import { resolveDraws } from './random.js'
import { MemberStates, pickTime, resolveRandom, WeightedDraws } from './shared.js'

/**
 * Options of {@link createPeakEwma}.
 *
 * @example
 * ```ts
 * createBalancer({ members, scheduler: createPeakEwma({ decayTime: 5_000, draws: 2 }) })
 * ```
 */
export interface PeakEwmaOptions {
  /**
   * Time constant of the moving average, in ms (Finagle's `decayTime`): after this long a sample
   * has about 63 % of its effect.
   *
   * Default: `10000`.
   */
  decayTime?: number
  /**
   * Candidates drawn per pick (an integer 1–100).
   *
   * Default: `2`.
   */
  draws?: number
  /**
   * The random source: a function returning a number in [0, 1).
   *
   * Default: `Math.random`.
   */
  random?: () => number
}

/**
 * A `peakewma` scheduler, with its latency estimate readable for operators and tests.
 *
 * @example
 * ```ts
 * const scheduler = createPeakEwma()
 * const balancer = createBalancer({ members, scheduler })
 * balancer.on('exchange', (e) => console.log(e.member.id, scheduler.latencyOf(e.member)?.toFixed(1), 'ms'))
 * ```
 */
export interface PeakEwmaScheduler extends Scheduler {
  /** Adds the exchange's duration to the member's moving average (a slower one counts at once: the peak). */
  record(member: Member, result: ExchangeResult): void
  /** The member's peak-EWMA latency in ms at `now`; `undefined` before its first sample. */
  latencyOf(member: Member, now?: number): number | undefined
}

interface EwmaState {
  /** The estimate at `stamp`, in ms. */
  cost: number
  stamp: number
  sampled: boolean
}

/** The cost of an unsampled member with requests in flight (Finagle: `Long.MaxValue >> 16`). */
const PENALTY = 2 ** 47

/**
 * Creates a peak-EWMA scheduler.
 *
 * @throws {InvalidOptionError} naming `decayTime`, `draws` or `random`.
 *
 * @example
 * ```ts
 * const scheduler = createPeakEwma({ decayTime: 5_000 })
 * const member = scheduler.pick(candidates, { now: Date.now() }, all)
 * scheduler.record(member, { bytesIn: 0, bytesOut: 0, durationMs: 42, now: Date.now() })
 * ```
 */
export function createPeakEwma(options: PeakEwmaOptions = {}): PeakEwmaScheduler {
  const tau = ms('decayTime', options.decayTime, { min: 1, default: 10_000 })
  const draws = resolveDraws(options.draws, 2)
  const sampler = new WeightedDraws(resolveRandom(options.random))
  const states = new MemberStates<EwmaState>(() => ({ cost: 0, stamp: 0, sampled: false }))

  function latency(state: EwmaState, now: number): number {
    const elapsed = now - state.stamp
    return elapsed > 0 ? state.cost * Math.exp(-elapsed / tau) : state.cost
  }

  function costOf(member: Member, weight: number, now: number): number {
    if (weight <= 0) return Infinity
    const inFlight = member.counters.inFlight > 0 ? member.counters.inFlight : 0
    const state = states.peek(member)
    if (state === undefined || !state.sampled) return inFlight === 0 ? 0 : (PENALTY * inFlight) / weight
    return (latency(state, now) * (inFlight + 1)) / weight
  }

  return {
    name: 'peakewma',
    pick(candidates, ctx) {
      return sampler.lowestOf(candidates, draws, pickTime(ctx), costOf)
    },
    record(member, result: ExchangeResult) {
      const sample = result.durationMs
      if (typeof sample !== 'number' || !Number.isFinite(sample) || sample < 0) return
      const now = typeof result.now === 'number' && Number.isFinite(result.now) ? result.now : Date.now()
      const state = states.get(member)
      if (!state.sampled || sample > state.cost) {
        state.cost = sample
      } else {
        const elapsed = now - state.stamp
        const w = elapsed > 0 ? Math.exp(-elapsed / tau) : 1
        state.cost = state.cost * w + sample * (1 - w)
      }
      state.sampled = true
      if (now > state.stamp || !Number.isFinite(state.stamp)) state.stamp = now
    },
    forget(member) {
      states.delete(member)
    },
    latencyOf(member, now) {
      const state = states.peek(member)
      if (state === undefined || !state.sampled) return undefined
      return latency(state, now ?? Date.now())
    },
  }
}
