/**
 * The balancer as the admin surface (and any other operator tool) sees it: read-only views of the
 * options and members, and the commands that change them. Every change goes through a command,
 * which validates and logs it; nothing outside the balancer writes a member.
 *
 * Admin depends on this interface, never on the `Balancer` class, so the admin modules and the
 * balancer do not import each other.
 *
 * @module
 */
import type { AuditRecord } from './access-log/audit-record.js'
import type { AdminState } from './members/member-state.js'
import type { MemberView } from './members/member-view.js'
import type { MemberOptions, ResolvedBalancerOptions } from './options.js'
import type { ExchangeEvent } from './types.js'

export type { MemberView } from './members/member-view.js'

/**
 * The settings of a member that can change at run time (`updateMember`); `undefined` clears
 * `route`, `redirect` or `domain`.
 *
 * @example
 * ```ts
 * const changes: MemberSettingChanges = { weight: 5, redirect: 'TomcatB' }
 * balancer.updateMember('TomcatA', changes)
 * ```
 */
export type MemberSettingChanges = Pick<MemberOptions, 'weight' | 'route' | 'redirect' | 'domain'>

/**
 * Read-only views of a balancer and the commands that change it. `Balancer` implements it.
 *
 * @example
 * ```ts
 * function drain(control: BalancerControl, id: string): void {
 *   if (control.member(id)?.admin === 'active') control.setMemberState(id, 'draining')
 * }
 * drain(balancer, 'TomcatA')
 * ```
 */
export interface BalancerControl {
  /** The options in force, after validation and defaults. */
  readonly options: ResolvedBalancerOptions
  /** The scheduler's name (`byrequests`, `ip_hash`, …). */
  readonly schedulerName: string
  /** The members, in configuration order. */
  readonly members: readonly MemberView[]
  /** The member with this id, or undefined. */
  member(id: string): MemberView | undefined
  /** Adds a member (validated like `members[i]`); throws `InvalidOptionError` naming the fault. */
  addMember(options: MemberOptions): MemberView
  /** Removes a member once the requests it serves have ended; throws `InvalidOptionError` for an unknown or the last member. */
  removeMember(id: string): Promise<void>
  /** Changes a member's weight, route, redirect or domain; throws `InvalidOptionError` naming the fault. */
  updateMember(id: string, changes: MemberSettingChanges): MemberView
  /** Changes a member's admin state (`active`, `draining`, `stopped`, `standby`). */
  setMemberState(id: string, state: AdminState): void
  /** Puts a member in `error` or `recovering` back in service now (jkstatus `cmd=recover`); no effect on a healthy one. */
  recoverMember(id: string): void
  /** Zeroes the counters of one member, or of every member without `id` (jkstatus `cmd=reset`). */
  resetCounters(id?: string): void
  /** Upstream socket counts per member id. */
  sockets(): Record<string, { open: number; idle: number }>
  /** Upgraded connections open now, per member id. */
  upgrades(): Record<string, number>
  /** Every finished exchange with a member. */
  on(event: 'exchange', listener: (event: ExchangeEvent) => void): this
  /** A member was removed. */
  on(event: 'member:removed', listener: (member: MemberView) => void): this
  /** Stops a listener. */
  off(event: 'exchange', listener: (event: ExchangeEvent) => void): this
  /** Stops a listener. */
  off(event: 'member:removed', listener: (member: MemberView) => void): this
  /** Reports an admin change or a refused admin request (the `audit` event). */
  emit(event: 'audit', record: AuditRecord): boolean
}
