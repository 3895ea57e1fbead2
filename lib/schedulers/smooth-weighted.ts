/**
 * The smooth weighted round robin step shared by `byrequests`, `wrr`, and the tie-breaks of
 * `bybusyness` and `bytraffic`.
 *
 * Each pick: every candidate's `current += weight`; the candidate with the highest `current` wins
 * (the first one on ties); the winner's `current -= sum of the candidates' weights`. This is
 * mod_lbmethod_byrequests' `lbstatus` and nginx's `current_weight` (ngx_http_upstream_round_robin.c,
 * `ngx_http_upstream_get_peer`). Only candidates move, so a member that is out keeps its value,
 * and the values of all members always sum to 0: nobody builds up credit while out.
 *
 * @module
 * @internal
 */
import type { Member } from '../members/member.js'
import { weightOf } from './shared.js'
import type { MemberStates } from './shared.js'

/** Per-member state of the smooth step. */
export interface SmoothState {
  current: number
}

/**
 * One smooth-WRR pick over `candidates`; `score` (optional) ranks first, lower wins, and only
 * candidates with the lowest score compete on `current` — but every candidate's `current` moves,
 * as mod_proxy's bybusyness does with `lbstatus`.
 *
 * When every candidate has weight 0 they count as weight 1 each.
 */
export function smoothPick<T extends SmoothState>(
  candidates: readonly Member[],
  now: number,
  states: MemberStates<T>,
  score?: (member: Member, state: T, weight: number) => number,
): Member | undefined {
  const n = candidates.length
  if (n === 0) return undefined
  // One pass with the weights; a second, with weight 1 each, only when they were all 0.
  for (let equal = 0; equal < 2; equal++) {
    let total = 0
    let best: Member | undefined
    let bestState: T | undefined
    let bestScore = Infinity
    for (let i = 0; i < n; i++) {
      const member = candidates[i] as Member
      const state = states.get(member)
      const weight = equal === 1 ? 1 : weightOf(member, now)
      total += weight
      state.current += weight
      const s = score === undefined ? 0 : score(member, state, weight)
      if (bestState === undefined || s < bestScore || (s === bestScore && state.current > bestState.current)) {
        best = member
        bestState = state
        bestScore = s
      }
    }
    if (total <= 0) continue
    ;(bestState as T).current -= total
    return best
  }
  return undefined
}
