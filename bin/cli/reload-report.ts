/**
 * The lines a reload (or a state file applied at start) writes on stderr: one per decision, so an
 * operator sees what changed, what run-time change was kept and which one the file overrode.
 *
 * @module
 */
import type { MemberChange, SettingValue } from '../../lib/reload/member-merge.js'
import type { MemberOpFailure } from '../../lib/reload/member-diff.js'

function shown(value: SettingValue): string {
  return value === undefined ? '(none)' : String(value)
}

/**
 * One line for a merge decision, without the prefix naming the balancer.
 *
 * @example
 * ```ts
 * changeLine({ kind: 'kept', id: 'TomcatA', setting: 'state', runtime: 'draining', file: 'active' })
 * // 'member TomcatA: state draining kept (set at run time; the file did not change it, it says active)'
 * ```
 */
export function changeLine(change: MemberChange): string {
  const member = `member ${change.id}`
  switch (change.kind) {
    case 'added':
      return `${member}: added (${change.url})`
    case 'removed':
      return `${member}: removed`
    case 'replaced':
      return `${member}: replaced by a new member (${change.why})`
    case 'updated':
      return `${member}: ${change.setting} ${shown(change.from)} → ${shown(change.to)}`
    case 'overridden':
      return `${member}: ${change.setting} ${shown(change.runtime)} → ${shown(change.file)} (set at run time; overridden: the file changed it)`
    case 'kept':
      return `${member}: ${change.setting} ${shown(change.runtime)} kept (set at run time; the file did not change it, it says ${shown(change.file)})`
    case 'kept-added':
      return `${member}: kept (added at run time, ${change.url})`
    case 'kept-removed':
      return `${member}: stays removed (removed at run time; the file did not change it)`
  }
}

/** One line for a run-time command the balancer refused. */
export function failureLine({ op, error }: MemberOpFailure): string {
  return `member ${op.id}: could not ${op.op === 'state' ? 'set the state' : op.op}: ${error.message}`
}

/** The line naming the options that made a reload build a new balancer. */
export function rebuildLine(options: readonly string[], upgrades: number): string {
  return `${options.join(', ')} changed: a new balancer takes the requests; the old one finishes its requests` +
    (upgrades > 0 ? ` and keeps its ${upgrades} upgraded connection(s) until they close` : '')
}
