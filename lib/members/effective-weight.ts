/**
 * The weight a scheduler should use for a member right now.
 *
 * Today this is the configured weight; slow start (a ramp after recovery or after being added)
 * plugs in here, so every scheduler gets it without knowing about it.
 *
 * @module
 */
import type { Member } from './member.js'

/** The member's weight as schedulers should count it at `now` (ms since epoch). */
export function effectiveWeight(member: Member, now: number): number {
  void now
  return member.weight
}
