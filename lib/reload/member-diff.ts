/**
 * From the members a balancer has to the members it should have: the run-time commands that get
 * there (`addMember`, `updateMember`, `setMemberState`, `removeMember`), in an order the
 * balancer's validation accepts, and a function that applies them. Members changed in place keep
 * their health, counters, connection pools and upgraded connections.
 *
 * @module
 */
import type { BalancerControl, MemberSettingChanges } from '../control.js'
import type { AdminState } from '../members/member-state.js'
import type { MemberOptions } from '../options.js'
import type { ConfiguredMember, TargetMember } from './member-merge.js'

/** One command to a balancer. */
export type MemberOp =
  /** Add a member (without its `redirect`, set by a later `update` once every member exists). */
  | { readonly op: 'add'; readonly id: string; readonly options: MemberOptions; readonly source: TargetMember['source'] }
  /** Remove the member and add a new one with the same id (its URL or other options changed). */
  | { readonly op: 'replace'; readonly id: string; readonly options: MemberOptions; readonly source: TargetMember['source'] }
  | { readonly op: 'update'; readonly id: string; readonly changes: MemberSettingChanges }
  | { readonly op: 'state'; readonly id: string; readonly state: AdminState }
  | { readonly op: 'remove'; readonly id: string }

/** The options without `redirect`: the member it names may be added after this one. */
function withoutRedirect(options: MemberOptions): MemberOptions {
  const { redirect: _redirect, ...rest } = options
  return rest
}

/**
 * The commands that turn `current` into `target`: adds and replacements first (without
 * `redirect`), then updates (redirects included), state changes, and removals last, so a redirect
 * never names a member that is not there yet and the last member is never removed first.
 *
 * @example
 * ```ts
 * diffMembers([a, b], [a, { ...b, weight: 3 }, c])
 * // [{ op: 'add', id: 'C', … }, { op: 'update', id: 'B', changes: { weight: 3 } }]
 * ```
 */
export function diffMembers(current: readonly ConfiguredMember[], target: readonly TargetMember[]): MemberOp[] {
  const byId = new Map(current.map((m) => [m.id, m]))
  const wanted = new Set(target.map((m) => m.id))
  const created: MemberOp[] = []
  const updates: MemberOp[] = []
  const states: MemberOp[] = []
  for (const t of target) {
    const c = byId.get(t.id)
    if (c === undefined || c.url !== t.url || c.fixed !== t.fixed) {
      created.push({ op: c === undefined ? 'add' : 'replace', id: t.id, options: withoutRedirect(t.options), source: t.source })
      if (t.redirect !== undefined) updates.push({ op: 'update', id: t.id, changes: { redirect: t.redirect } })
      continue
    }
    const changes: MemberSettingChanges = {}
    if (c.weight !== t.weight) changes.weight = t.weight
    if (c.route !== t.route) changes.route = t.route
    if (c.redirect !== t.redirect) changes.redirect = t.redirect
    if (c.domain !== t.domain) changes.domain = t.domain
    if (Object.keys(changes).length > 0) updates.push({ op: 'update', id: t.id, changes })
    if (c.state !== t.state) states.push({ op: 'state', id: t.id, state: t.state })
  }
  const removals: MemberOp[] = current.filter((c) => !wanted.has(c.id)).map((c) => ({ op: 'remove', id: c.id }))
  return [...created, ...updates, ...states, ...removals]
}

/** A command that creates a member. */
export type CreateMemberOp = Extract<MemberOp, { readonly op: 'add' | 'replace' }>

/** A command the balancer refused, and why. */
export interface MemberOpFailure {
  readonly op: MemberOp
  readonly error: Error
}

/**
 * Applies `ops` to `balancer` in order; a refused command is reported and the others still run.
 * `addOptions` may adjust the options a member is added with (the admin surface's rule for AJP
 * settings of members added at run time, say). Removed members finish their requests first
 * (`removeMember`); their promises are not awaited.
 *
 * @example
 * ```ts
 * const failures = applyMemberOps(balancer, diffMembers(current, merge.members))
 * for (const { op, error } of failures) console.warn(`${op.op} ${op.id}: ${error.message}`)
 * ```
 */
export function applyMemberOps(balancer: BalancerControl, ops: readonly MemberOp[], addOptions: (op: CreateMemberOp) => MemberOptions = (op) => op.options): MemberOpFailure[] {
  const failures: MemberOpFailure[] = []
  const remove = (id: string): void => {
    // removeMember takes the member out at once and rejects only before doing so.
    balancer.removeMember(id).catch(() => {})
    if (balancer.member(id) !== undefined) throw new Error(`member ${id} could not be removed (the last member cannot be)`)
  }
  for (const op of ops) {
    try {
      switch (op.op) {
        case 'add':
          balancer.addMember(addOptions(op))
          break
        case 'replace':
          remove(op.id)
          balancer.addMember(addOptions(op))
          break
        case 'update':
          balancer.updateMember(op.id, op.changes)
          break
        case 'state':
          balancer.setMemberState(op.id, op.state)
          break
        case 'remove':
          remove(op.id)
          break
      }
    } catch (err) {
      failures.push({ op, error: err as Error })
    }
  }
  return failures
}
