/**
 * `byrequests`: mod_proxy_balancer's default method (mod_lbmethod_byrequests), also mod_jk's
 * `method=Request` when its decay is turned on.
 *
 * Each pick: every candidate's `lbstatus += weight`; the candidate with the highest `lbstatus` wins
 * (the first one on ties); the winner's `lbstatus -= sum of the candidates' weights`. With weights
 * 1:1 it alternates; with 3:1 it yields A A B A, repeating. This is also nginx's "smooth weighted
 * round robin" when nothing fails (see `wrr`).
 *
 * Weights are read through `effectiveWeight()` at the pick time (`ctx.now`), so slow start applies.
 *
 * `decayInterval` (default 0 = off, as mod_proxy): every whole interval elapsed since the first
 * pick, all `lbstatus` values are halved, lazily at the next pick. mod_jk halves its request
 * counters at each `worker.maintain` (60 s) because they only grow; `lbstatus` values stay bounded
 * (they sum to 0), so here decay only shrinks the credit or debt a member carries, e.g. out of the
 * candidates or across a weight change.
 *
 * @module
 */
import type { Scheduler } from './scheduler.js'
import { Decay, halvingFactor, MemberStates, pickTime, resolveDecayInterval } from './shared.js'
import { smoothPick } from './smooth-weighted.js'
import type { SmoothState } from './smooth-weighted.js'

/**
 * Options of {@link createByRequests}.
 *
 * @example
 * ```ts
 * // mod_jk's "R" method with its worker.maintain=60 decay
 * createBalancer({ members, scheduler: createByRequests({ decayInterval: 60_000 }) })
 * ```
 */
export interface ByRequestsOptions {
  /**
   * Halve every member's `lbstatus` once per this many ms (mod_jk `worker.maintain`, lazily from
   * the pick time). `0` turns decay off.
   *
   * Default: `0` (off; mod_proxy_balancer has no decay).
   */
  decayInterval?: number
}

/**
 * Creates a `byrequests` scheduler.
 *
 * @throws {InvalidOptionError} when `decayInterval` is not a number ≥ 0.
 *
 * @example
 * ```ts
 * const scheduler = createByRequests()
 * const jkLike = createByRequests({ decayInterval: 60_000 })
 * ```
 */
export function createByRequests(options: ByRequestsOptions = {}): Scheduler {
  const decay = new Decay(resolveDecayInterval(options.decayInterval, 0))
  const states = new MemberStates<SmoothState>(() => ({ current: 0 }))
  return {
    name: 'byrequests',
    pick(candidates, ctx) {
      if (candidates.length === 0) return undefined
      const now = pickTime(ctx)
      const halvings = decay.halvings(now)
      if (halvings > 0) {
        const f = halvingFactor(halvings)
        for (const s of states.values()) s.current *= f
      }
      return smoothPick(candidates, now, states)
    },
    forget(member) {
      states.delete(member)
    },
  }
}
