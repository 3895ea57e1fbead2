/**
 * The weight a scheduler should use for a member right now: the configured weight, ramped up
 * linearly during slow start (HAProxy `slowstart`, nginx-plus `slow_start`) from a tenth of it, so
 * a Tomcat that just came back warms its JIT and pools before it takes its full share.
 *
 * The weighted schedulers read weights through this function, so slow start applies to them. The
 * hash schedulers (`ip_hash`, the consistent hash) use the configured weight: a ramp would move keys
 * to other members and back.
 *
 * @module
 */
import type { Member } from './member.js'
import type { MemberView } from './member-view.js'

/** The smallest share of its weight a ramping member gets. */
export const SLOW_START_FLOOR = 0.1

/**
 * The member's weight as schedulers should count it at `now` (ms since epoch).
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA', weight: 10 }], slowStartMs: 60_000 })
 * const a = balancer.member('TomcatA')!
 * a.startRamp(Date.now())
 * effectiveWeight(a, Date.now() + 30_000)   // 5: half-way through the one-minute ramp
 * ```
 */
export function effectiveWeight(member: Member, now: number): number {
  return rampedWeight(member, now)
}

/**
 * The same weight as {@link effectiveWeight}, read without ending a finished ramp: for views
 * (snapshots, the admin page) that must not change the member they show.
 *
 * @example
 * ```ts
 * rampedWeight({ weight: 10, rampStart: Date.now() - 30_000, slowStartMs: 60_000 }, Date.now())   // 5
 * ```
 */
export function rampedWeight(member: Pick<MemberView, 'weight' | 'rampStart' | 'slowStartMs'>, now: number): number {
  if (member.rampStart === 0) return member.weight
  const elapsed = now - member.rampStart
  // A pure read: the ramp's end is recorded by `member.refresh(now)`.
  if (elapsed >= member.slowStartMs) return member.weight
  return member.weight * Math.max(SLOW_START_FLOOR, elapsed / member.slowStartMs)
}
