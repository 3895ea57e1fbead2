/**
 * `bybusyness`: the member with the fewest requests in flight per unit of weight
 * (`member.counters.inFlight ÷ weight`), ties broken by `byrequests`.
 *
 * This is mod_lbmethod_bybusyness and mod_jk `method=B`:
 * - mod_proxy picks the fewest `busy` and breaks ties with the byrequests `lbstatus`, which moves for
 *   every candidate on every pick (`lbstatus += lbfactor`; the winner `-= total`). The same is done
 *   here, so with all members idle the picks follow the weights exactly as `byrequests` does.
 * - mod_jk divides by the weight (`busy × lb_mult`); mod_proxy compares raw `busy` and counts the
 *   weight only in the tie-break. Dividing is what is done here; with equal weights both agree.
 *
 * The balancer counts a request in flight from just after the pick to the end of the exchange, so
 * picks made before earlier requests finish see them. No decay: in-flight counts do not accumulate.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import type { Scheduler } from './scheduler.js'
import { MemberStates, pickTime } from './shared.js'
import { smoothPick } from './smooth-weighted.js'
import type { SmoothState } from './smooth-weighted.js'

function busyness(member: Member, _state: SmoothState, weight: number): number {
  const inFlight = member.counters.inFlight
  if (weight <= 0) return Infinity
  return (inFlight > 0 ? inFlight : 0) / weight
}

/**
 * Creates a `bybusyness` scheduler.
 *
 * @example
 * ```ts
 * const scheduler = createByBusyness()
 * scheduler.pick(candidates, { now: Date.now() }, all) // the least busy per weight
 * ```
 */
export function createByBusyness(): Scheduler {
  const states = new MemberStates<SmoothState>(() => ({ current: 0 }))
  return {
    name: 'bybusyness',
    pick(candidates, ctx) {
      return smoothPick(candidates, pickTime(ctx), states, busyness)
    },
    forget(member) {
      states.delete(member)
    },
  }
}
