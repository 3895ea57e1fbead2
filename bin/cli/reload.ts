/**
 * SIGHUP: the configuration loaded again, applied to the running balancers the way httpd's
 * graceful restart with `BalancerPersist On` and mod_jk's jkstatus changes behave.
 *
 * - Per mount, the members are merged (`mergeMembers`: a run-time change survives unless the file
 *   changed the same member's same setting since the last load) and applied in place through the
 *   balancer's run-time commands, so members keep their health, counters, pools and upgraded
 *   connections.
 * - When options other than `members` changed (or the only member must be replaced), a new
 *   balancer is built from the file, the merged members are applied to it, and the old one
 *   retires: it takes nothing new, finishes its requests and keeps its upgraded connections until
 *   they end (`close({ keepUpgrades: true })`).
 * - A new mount starts a balancer; a mount gone from the file retires its balancer the same way.
 *
 * The same merge applies a state file at start ({@link applySavedState}).
 *
 * @module
 */
import { adminAddedMember } from '../../lib/admin/added-member-secret.js'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { ImportedBalancer } from '../../lib/config/types.js'
import { applyMemberOps, diffMembers } from '../../lib/reload/member-diff.js'
import type { CreateMemberOp } from '../../lib/reload/member-diff.js'
import { mergeMembers } from '../../lib/reload/member-merge.js'
import type { ConfiguredMember, MemberMerge } from '../../lib/reload/member-merge.js'
import { changedOptions, fileMembers, memberRecord } from '../../lib/reload/member-records.js'
import type { MemberOptions } from '../../lib/options.js'
import { changeLine, failureLine, rebuildLine } from './reload-report.js'
import { byPrefix, currentMembers, startBalancer } from './running.js'
import type { CreateBalancer, Running } from './running.js'
import type { SavedState } from './state-file.js'

/** Writes one report line (without the command's prefix). */
export type Say = (line: string) => void

/** What a reload leaves running, and the balancers it retired. */
export interface ReloadResult {
  readonly running: Running[]
  readonly retired: Running[]
}

/** Members added at run time are added again under the admin surface's rule for AJP settings. */
function addOptions(balancer: Balancer): (op: CreateMemberOp) => MemberOptions {
  return (op) => (op.source === 'runtime' ? adminAddedMember(balancer.options.members, op.options).options : op.options)
}

/** Reports the merge, and applies it to `balancer`, whose members are `current`. */
function apply(balancer: Balancer, merge: MemberMerge, current: readonly ConfiguredMember[], say: Say): void {
  for (const change of merge.changes) say(changeLine(change))
  for (const failure of applyMemberOps(balancer, diffMembers(current, merge.members), addOptions(balancer))) say(failureLine(failure))
}

/** Upgraded connections open on a balancer. */
function upgradesOf(balancer: Balancer): number {
  return Object.values(balancer.upgrades()).reduce((a, b) => a + b, 0)
}

/** One mount: in place when the options allow it, else a new balancer (the old one is retired). */
function reloadOne(entry: Running, loaded: ImportedBalancer, say: Say, retired: Running[], create: CreateBalancer): Running {
  const file = fileMembers(loaded.options)
  const merge = mergeMembers(entry.file, file, entry.balancer.members.map(memberRecord))
  const rebuild = changedOptions(entry.options, loaded.options)
  const current = currentMembers(entry)
  // The last member cannot be removed, so it cannot be replaced in place either.
  if (entry.balancer.members.length === 1 && diffMembers(current, merge.members).some((op) => op.op === 'replace')) rebuild.push('the only member\'s url or options')
  if (rebuild.length === 0) {
    apply(entry.balancer, merge, current, say)
    return { ...entry, name: loaded.name, options: loaded.options, file }
  }
  const fresh = startBalancer(loaded, create)
  apply(fresh.balancer, merge, fresh.file, say)
  say(rebuildLine(rebuild, upgradesOf(entry.balancer)))
  retired.push(entry)
  return fresh
}

/**
 * Applies a configuration loaded again to the running balancers; `say` gets one line per change,
 * each naming its balancer. Throws nothing the configuration's validation did not already rule out
 * (a command the balancer refuses is reported and skipped). New balancers are made by `create`.
 */
export function reloadBalancers(running: readonly Running[], loaded: readonly ImportedBalancer[], say: Say, create: CreateBalancer = createBalancer): ReloadResult {
  const byMount = new Map(running.map((r) => [r.mount, r]))
  const retired: Running[] = []
  const next: Running[] = []
  for (const imported of loaded) {
    const about: Say = (line) => say(`balancer ${imported.name} (${imported.mount}): ${line}`)
    const entry = byMount.get(imported.mount)
    byMount.delete(imported.mount)
    if (entry === undefined) {
      next.push(startBalancer(imported, create))
      about('added')
      continue
    }
    next.push(reloadOne(entry, imported, about, retired, create))
  }
  for (const gone of byMount.values()) {
    const upgrades = upgradesOf(gone.balancer)
    say(`balancer ${gone.name} (${gone.mount}): removed; it finishes its requests${upgrades > 0 ? ` and keeps its ${upgrades} upgraded connection(s) until they close` : ''}`)
    retired.push(gone)
  }
  return { running: byPrefix(next), retired }
}

/**
 * Applies a state file at start: each balancer whose mount the state names gets the run-time
 * changes saved there, by the rule of a reload (the state's `file` is the previous configuration).
 */
export function applySavedState(running: readonly Running[], saved: SavedState, say: Say): void {
  const byMount = new Map(saved.balancers.map((b) => [b.mount, b]))
  for (const entry of running) {
    const state = byMount.get(entry.mount)
    if (state === undefined) continue
    apply(entry.balancer, mergeMembers(state.file, entry.file, state.members), entry.file, (line) => say(`balancer ${entry.name} (${entry.mount}): ${line}`))
  }
}
