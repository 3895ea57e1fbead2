/**
 * `leastconn`: the member with the fewest requests in flight per unit of weight, weighted round
 * robin among the members that tie.
 *
 * This is nginx `least_conn` (ngx_http_upstream_least_conn_module.c): find the lowest
 * `conns ÷ weight`; when several candidates share it, run the smooth weighted round robin step over
 * those only (`current_weight += weight` for the tied ones, the highest wins, `-= their total`).
 * HAProxy `balance leastconn` also round-robins among equally loaded servers.
 *
 * Compared with `bybusyness`: there the round robin state moves for every candidate on every
 * pick; here only the tied members move, so a member that was busy does not build up credit while
 * it was not eligible.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import type { Scheduler } from './scheduler.js'
import { MemberStates, pickTime, weightOf, totalWeight } from './shared.js'
import type { SmoothState } from './smooth-weighted.js'

/**
 * Creates a `leastconn` scheduler.
 *
 * @example
 * ```ts
 * const scheduler = createLeastConn()
 * scheduler.pick(candidates, { now: Date.now() }, all)
 * ```
 */
export function createLeastConn(): Scheduler {
  const states = new MemberStates<SmoothState>(() => ({ current: 0 }))
  return {
    name: 'leastconn',
    pick(candidates, ctx) {
      const n = candidates.length
      if (n === 0) return undefined
      if (n === 1) return candidates[0]
      const now = pickTime(ctx)
      const total = totalWeight(candidates, now)
      const equal = total <= 0
      // Pass 1: the lowest load, and how many share it.
      let best: Member | undefined
      let bestLoad = Infinity
      let ties = 0
      for (let i = 0; i < n; i++) {
        const member = candidates[i] as Member
        const load = loadOf(member, equal ? 1 : weightOf(member, now))
        if (best === undefined || load < bestLoad) {
          best = member
          bestLoad = load
          ties = 1
        } else if (load === bestLoad) ties++
      }
      if (ties === 1) return best
      // Pass 2: smooth weighted round robin among the tied members.
      let winner: SmoothState | undefined
      let tiedTotal = 0
      for (let i = 0; i < n; i++) {
        const member = candidates[i] as Member
        const weight = equal ? 1 : weightOf(member, now)
        if (loadOf(member, weight) !== bestLoad) continue
        const state = states.get(member)
        state.current += weight
        tiedTotal += weight
        if (winner === undefined || state.current > winner.current) {
          winner = state
          best = member
        }
      }
      if (winner !== undefined) winner.current -= tiedTotal
      return best
    },
    forget(member) {
      states.delete(member)
    },
  }
}

function loadOf(member: Member, weight: number): number {
  if (weight <= 0) return Infinity
  const inFlight = member.counters.inFlight
  return (inFlight > 0 ? inFlight : 0) / weight
}
