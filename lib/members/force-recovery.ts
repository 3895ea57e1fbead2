/**
 * Recovery when every member is down (httpd `forcerecovery=On`, nginx "all servers failed: try
 * them all again"): when no member is usable because every candidate waits out its `retry` time in
 * `error`, the balancer tries one of them anyway instead of answering 503. A member that came back
 * serves at once; a member still dead fails that attempt, goes back into `error` for a fresh
 * `retry` time, and the request moves on to the next one (within `maxAttempts`).
 *
 * Pure choice over a read-only view of the members, tested without sockets.
 *
 * @module
 */
import type { AdminState, HealthState } from './member-state.js'
import { takesStickyRequests } from './member-state.js'

/**
 * What the choice reads of a member.
 *
 * @example
 * ```ts
 * const a: RecoveryTarget = { admin: 'active', health: 'error', retryAt: Date.now() + 50_000 }
 * ```
 */
export interface RecoveryTarget {
  readonly admin: AdminState
  readonly health: HealthState
  /** When its `retry` time ends (ms since epoch); the one that has been out longest ends first. */
  readonly retryAt: number
}

/**
 * The member to try when none is usable, or undefined when none may be forced.
 *
 * - `owner`, the member the request's session lives on, first when it is in `error` and its admin
 *   state takes its sessions (`active`, `draining`, `standby`): a session that can be kept is kept.
 * - otherwise the `active` members in `error`, then (when there is none) the `standby` ones in
 *   `error`; `stopped` and `draining` members are never forced for new requests: an operator put
 *   them there.
 * - among those, the one whose `retry` time ends first (out the longest, so the likeliest to be
 *   back; a member that fails again goes to the back of the line); ties in member order.
 * - members already tried for this request are skipped.
 *
 * @example
 * ```ts
 * // TomcatB failed 50 s ago, TomcatA just now: TomcatB is tried first
 * recoveryCandidate(balancer.members, [], undefined)
 * ```
 */
export function recoveryCandidate<T extends RecoveryTarget>(all: readonly T[], tried: readonly T[], owner: T | undefined): T | undefined {
  if (owner !== undefined && owner.health === 'error' && takesStickyRequests(owner.admin) && !tried.includes(owner)) return owner
  return earliest(all, tried, 'active') ?? earliest(all, tried, 'standby')
}

function earliest<T extends RecoveryTarget>(all: readonly T[], tried: readonly T[], admin: AdminState): T | undefined {
  let best: T | undefined
  for (let i = 0; i < all.length; i++) {
    const m = all[i] as T
    if (m.admin !== admin || m.health !== 'error' || tried.includes(m)) continue
    if (best === undefined || m.retryAt < best.retryAt) best = m
  }
  return best
}
