/**
 * `byrequests`: mod_proxy_balancer's default method (mod_lbmethod_byrequests), also mod_jk's
 * `method=Request` without decay.
 *
 * Each pick: every candidate's `lbstatus += weight`; the candidate with the highest `lbstatus` wins
 * (the first one on ties); the winner's `lbstatus -= sum of the candidates' weights`. With weights
 * 1:1 it alternates; with 3:1 it yields A A B A, repeating. This is also nginx's "smooth weighted
 * round robin" when nothing fails.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import type { Scheduler } from './scheduler.js'

export function createByRequests(): Scheduler {
  const lbstatus = new Map<Member, number>()
  return {
    name: 'byrequests',
    pick(candidates) {
      let best: Member | undefined
      let bestStatus = -Infinity
      let total = 0
      for (const member of candidates) {
        const status = (lbstatus.get(member) ?? 0) + member.weight
        lbstatus.set(member, status)
        total += member.weight
        if (status > bestStatus) {
          best = member
          bestStatus = status
        }
      }
      if (best) lbstatus.set(best, bestStatus - total)
      return best
    },
    forget(member) {
      lbstatus.delete(member)
    },
  }
}
