/**
 * `wrr`: nginx's default upstream method, smooth weighted round robin
 * (`ngx_http_upstream_get_peer` in ngx_http_upstream_round_robin.c).
 *
 * Each pick: for every candidate `current_weight += effective_weight`; the best is the candidate with
 * the highest `current_weight` (the first on ties); `best.current_weight -= total`. Weights 5:1:1
 * give `a a b a c a a`, nginx's own example; 3:1 gives `a a b a`.
 *
 * The step is the same as `byrequests` (mod_lbmethod_byrequests computes exactly this), so the two
 * produce the same sequences. What differs is around it:
 * - nginx lowers a peer's `effective_weight` by `weight / max_fails` on each failure and raises it by
 *   1 per pick back to `weight`. That is not done here: passive health takes a failing member out of
 *   the candidates instead, and slow start (`effectiveWeight()`) ramps it back.
 * - `wrr` has no decay option (nginx has none); `byrequests` offers mod_jk's.
 *
 * @module
 */
import type { Scheduler } from './scheduler.js'
import { MemberStates, pickTime } from './shared.js'
import { smoothPick } from './smooth-weighted.js'
import type { SmoothState } from './smooth-weighted.js'

/**
 * Creates an nginx smooth weighted round robin scheduler.
 *
 * @example
 * ```ts
 * const scheduler = createWrr()
 * scheduler.pick(candidates, { now: Date.now() }, all)
 * ```
 */
export function createWrr(): Scheduler {
  const states = new MemberStates<SmoothState>(() => ({ current: 0 }))
  return {
    name: 'wrr',
    pick(candidates, ctx) {
      return smoothPick(candidates, pickTime(ctx), states)
    },
    forget(member) {
      states.delete(member)
    },
  }
}
