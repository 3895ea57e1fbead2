/**
 * `bytraffic`: the member that moved the fewest bytes (in + out) per unit of weight, counted from
 * {@link Scheduler.record}; ties broken by `byrequests`.
 *
 * Peers: mod_lbmethod_bytraffic (`(transferred + read) ÷ lbfactor`, lowest wins, never decays) and
 * mod_jk `method=T` (`lb_value += bytes × lb_mult`, lowest wins, halved at each `worker.maintain`).
 * Here:
 * - Score: `(bytes + inFlight × mean bytes per exchange) ÷ weight`. Bytes are only known when an
 *   exchange ends, so without the in-flight term every request that starts before the next one
 *   finishes would go to the same member; each request in flight counts as the member's mean
 *   exchange size (`countInFlight: false` turns this off, as the peers do).
 * - Ties (for instance before any traffic, or with `countInFlight: false` and no finished exchange)
 *   go by the byrequests `lbstatus`, as mod_proxy's bybusyness does, so idle members share by weight.
 * - Decay (`decayInterval`, default 60 s like mod_jk): once per whole interval elapsed, all byte
 *   counts are halved, lazily at the next pick or record. Old traffic weighs less, so one huge
 *   download an hour ago does not keep a member idle now.
 * - Rejoining: a member that was not a candidate at the previous pick (back from error, drained,
 *   new, or forgotten) starts at the lowest bytes-per-weight among the members that were, never
 *   below its own count. mod_jk sets a recovering worker's value to the current maximum for the
 *   same reason: otherwise a member that was out while the others moved gigabytes would take every
 *   request until it caught up.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import type { ExchangeResult, Scheduler } from './scheduler.js'
import { bool } from '../validate.js'
import { Decay, halvingFactor, MemberStates, pickTime, resolveDecayInterval, weightOf } from './shared.js'
import { smoothPick } from './smooth-weighted.js'
import type { SmoothState } from './smooth-weighted.js'

/**
 * Options of {@link createByTraffic}.
 *
 * @example
 * ```ts
 * // mod_proxy's bytraffic: no decay, and no estimate for requests in flight
 * createBalancer({ members, scheduler: createByTraffic({ decayInterval: 0, countInFlight: false }) })
 * ```
 */
export interface ByTrafficOptions {
  /**
   * Halve every member's byte count once per this many ms (mod_jk `worker.maintain`), lazily from
   * the pick time. `0` turns decay off (mod_proxy's bytraffic never decays).
   *
   * Default: `60000`.
   */
  decayInterval?: number
  /**
   * Count each request in flight as the member's mean bytes per finished exchange, so requests that
   * start together spread out before their sizes are known.
   *
   * Default: `true`.
   */
  countInFlight?: boolean
}

/**
 * A `bytraffic` scheduler, with its byte counts readable for operators and tests.
 *
 * @example
 * ```ts
 * const scheduler = createByTraffic()
 * const balancer = createBalancer({ members, scheduler })
 * setInterval(() => {
 *   for (const m of balancer.members) console.log(m.id, scheduler.trafficOf(m))
 * }, 60_000).unref()
 * ```
 */
export interface ByTrafficScheduler extends Scheduler {
  /** Counts the exchange's bytes in and out against the member. */
  record(member: Member, result: ExchangeResult): void
  /** The member's current (decayed) byte count; 0 for a member this scheduler has not seen. */
  trafficOf(member: Member): number
}

interface TrafficState extends SmoothState {
  bytes: number
  /** Finished exchanges, decayed with `bytes`, so `bytes ÷ exchanges` is the mean size. */
  exchanges: number
  /** The pick serial at which the member was last a candidate (0: never). */
  seen: number
}

/**
 * Creates a `bytraffic` scheduler.
 *
 * @throws {InvalidOptionError} naming `decayInterval` or `countInFlight`.
 *
 * @example
 * ```ts
 * const scheduler = createByTraffic({ decayInterval: 30_000 })
 * const member = scheduler.pick(candidates, { now: Date.now() }, all)
 * scheduler.record(member, { bytesIn: 51_200, bytesOut: 300, durationMs: 12 })
 * ```
 */
export function createByTraffic(options: ByTrafficOptions = {}): ByTrafficScheduler {
  const decay = new Decay(resolveDecayInterval(options.decayInterval, 60_000))
  const countInFlight = bool('countInFlight', options.countInFlight, true)
  const states = new MemberStates<TrafficState>(() => ({ current: 0, bytes: 0, exchanges: 0, seen: 0 }))
  let serial = 0

  function maintain(now: number): void {
    const halvings = decay.halvings(now)
    if (halvings === 0) return
    const f = halvingFactor(halvings)
    for (const s of states.values()) {
      s.bytes *= f
      s.exchanges *= f
    }
  }

  function score(member: Member, state: TrafficState, weight: number): number {
    if (weight <= 0) return Infinity
    let bytes = state.bytes
    const inFlight = member.counters.inFlight
    if (countInFlight && inFlight > 0 && state.exchanges > 0) bytes += (inFlight * state.bytes) / state.exchanges
    return bytes / weight
  }

  return {
    name: 'bytraffic',
    pick(candidates, ctx) {
      const n = candidates.length
      if (n === 0) return undefined
      const now = pickTime(ctx)
      maintain(now)
      const previous = serial++
      // The lowest bytes per weight among the members that were candidates last time.
      let level = Infinity
      for (let i = 0; i < n; i++) {
        const member = candidates[i] as Member
        const state = states.peek(member)
        if (state === undefined || state.seen !== previous || previous === 0) continue
        const w = weightOf(member, now)
        if (w > 0 && state.bytes / w < level) level = state.bytes / w
      }
      for (let i = 0; i < n; i++) {
        const member = candidates[i] as Member
        const state = states.get(member)
        if (state.seen !== previous && level < Infinity) {
          const floor = level * weightOf(member, now)
          if (state.bytes < floor) {
            // Scale the exchange count along, so the mean exchange size is kept.
            if (state.exchanges > 0 && state.bytes > 0) state.exchanges *= floor / state.bytes
            state.bytes = floor
          }
        }
        state.seen = serial
      }
      return smoothPick(candidates, now, states, score)
    },
    record(member, result: ExchangeResult) {
      maintain(typeof result.now === 'number' && Number.isFinite(result.now) ? result.now : Date.now())
      const bytes = (result.bytesIn > 0 ? result.bytesIn : 0) + (result.bytesOut > 0 ? result.bytesOut : 0)
      if (!Number.isFinite(bytes)) return
      const state = states.get(member)
      state.bytes += bytes
      state.exchanges += 1
    },
    forget(member) {
      states.delete(member)
    },
    trafficOf(member) {
      return states.peek(member)?.bytes ?? 0
    },
  }
}
