/**
 * A configuration reload that keeps what operators changed at run time: the members a balancer
 * should have after it, from the file's previous members, its new members and the members
 * running now, with every decision reported. Pure: no balancer, no I/O.
 *
 * The rule (httpd's `BalancerPersist`, mod_jk's jkstatus changes kept in shared memory): a run-time
 * change survives unless the file changed the same member's same setting since it was last
 * loaded; then the file wins. A member is the same member when it has the same id (its route, or
 * `host:port` of its URL when it has no route; see `memberIdentity`). Only the settings an operator
 * can change at run time are merged (`state`, `weight`, `route`, `redirect`, `domain`); a member's
 * URL and its other options (group, AJP, TLS…) come from the file, and when the file changes them
 * the member is replaced by a new one.
 *
 * @module
 */
import type { AdminState } from '../members/member-state.js'
import type { MemberOptions } from '../options.js'

/** A member's run-time settings, and who it is. */
export interface MemberRecord {
  /** Its id: the route, or `host:port` of the URL when it has none. */
  readonly id: string
  /** `protocol://host:port` of its URL. */
  readonly url: string
  readonly route: string | undefined
  readonly weight: number
  /** Its admin state. */
  readonly state: AdminState
  readonly redirect: string | undefined
  readonly domain: string | undefined
}

/** A member as a configuration file defined it. */
export interface ConfiguredMember extends MemberRecord {
  /**
   * Its other options (group, AJP, TLS…) as canonical JSON, secrets blanked: a member whose
   * `fixed` changes is replaced, not updated.
   */
  readonly fixed: string
}

/** A member of the file being loaded: also the options to create it with. */
export interface FileMember extends ConfiguredMember {
  readonly options: MemberOptions
}

/** A member the balancer should have after the reload. */
export interface TargetMember extends ConfiguredMember {
  /** The options to create it with (its run-time settings applied). */
  readonly options: MemberOptions
  /** `file`: defined by the file; `runtime`: added at run time (an admin added it). */
  readonly source: 'file' | 'runtime'
}

/** The settings an operator can change at run time, which a reload merges one by one. */
export type RuntimeSetting = 'state' | 'weight' | 'route' | 'redirect' | 'domain'

export const RUNTIME_SETTINGS: readonly RuntimeSetting[] = ['state', 'weight', 'route', 'redirect', 'domain']

/** A setting's value (undefined: none). */
export type SettingValue = string | number | undefined

/** One decision of a merge, for the report. */
export type MemberChange =
  /** The file added the member (or defines again one removed at run time, and changed it). */
  | { readonly kind: 'added'; readonly id: string; readonly url: string }
  /** The file no longer has the member. */
  | { readonly kind: 'removed'; readonly id: string }
  /** The file changed the member's URL or other options: a new member takes its place. */
  | { readonly kind: 'replaced'; readonly id: string; readonly why: string }
  /** The file changed a setting the member still had from the file. */
  | { readonly kind: 'updated'; readonly id: string; readonly setting: RuntimeSetting; readonly from: SettingValue; readonly to: SettingValue }
  /** A run-time change undone: the file changed the same setting (or now defines a member added at run time). */
  | { readonly kind: 'overridden'; readonly id: string; readonly setting: RuntimeSetting; readonly runtime: SettingValue; readonly file: SettingValue }
  /** A run-time change kept: the file did not change that setting. */
  | { readonly kind: 'kept'; readonly id: string; readonly setting: RuntimeSetting; readonly runtime: SettingValue; readonly file: SettingValue }
  /** A member added at run time, kept: the file defines none with its id. */
  | { readonly kind: 'kept-added'; readonly id: string; readonly url: string }
  /** A member removed at run time stays removed: the file did not change it. */
  | { readonly kind: 'kept-removed'; readonly id: string }

/** What {@link mergeMembers} decided. */
export interface MemberMerge {
  /** The members to run, file order first, then those added at run time. */
  readonly members: readonly TargetMember[]
  readonly changes: readonly MemberChange[]
}

/** Whether two configured members differ in anything (settings, URL, other options). */
function differs(a: ConfiguredMember, b: ConfiguredMember): boolean {
  return a.url !== b.url || a.fixed !== b.fixed || RUNTIME_SETTINGS.some((s) => a[s] !== b[s])
}

/** The options of a member added at run time, from its record. */
function runtimeOptions(r: MemberRecord): MemberOptions {
  const options: MemberOptions = { url: r.url, weight: r.weight, state: r.state }
  if (r.route !== undefined) options.route = r.route
  if (r.redirect !== undefined) options.redirect = r.redirect
  if (r.domain !== undefined) options.domain = r.domain
  return options
}

/** `file`'s options with the merged settings where they differ from the file's. */
function withSettings(file: FileMember, settings: MemberRecord): MemberOptions {
  const options: MemberOptions = { ...file.options }
  const writable = options as unknown as Record<RuntimeSetting, SettingValue>
  for (const s of RUNTIME_SETTINGS) if (settings[s] !== file[s]) writable[s] = settings[s]
  return options
}

/**
 * The members to run after loading `next`, given the members `previous` defined (the last load;
 * empty when unknown) and those `running` now.
 *
 * For a member of `next` with the id of a running one, each run-time setting is the file's new
 * value when `previous` had another one for it (the file changed it; a run-time change is
 * `overridden`), else the running value (a run-time change is `kept`); a member `previous` did not
 * have (added at run time) takes every value from the file. A member of `next` not running is
 * `added`, unless `previous` had it exactly so: it was removed at run time and stays removed. A
 * running member not in `next` is `removed` when `previous` had it, else it was added at run time
 * and is kept.
 *
 * @example
 * ```ts
 * // TomcatA drained at run time; the file changed only TomcatB's weight
 * const { members, changes } = mergeMembers(previous, next, running)
 * // changes: [{ kind: 'kept', id: 'TomcatA', setting: 'state', runtime: 'draining', file: 'active' },
 * //           { kind: 'updated', id: 'TomcatB', setting: 'weight', from: 1, to: 3 }]
 * ```
 */
export function mergeMembers(previous: readonly ConfiguredMember[], next: readonly FileMember[], running: readonly MemberRecord[]): MemberMerge {
  const before = new Map(previous.map((m) => [m.id, m]))
  const now = new Map(running.map((m) => [m.id, m]))
  const defined = new Set(next.map((m) => m.id))
  const members: TargetMember[] = []
  const changes: MemberChange[] = []

  for (const file of next) {
    const was = before.get(file.id)
    const run = now.get(file.id)
    if (run === undefined) {
      if (was !== undefined && !differs(was, file)) {
        changes.push({ kind: 'kept-removed', id: file.id })
        continue
      }
      members.push({ ...file, source: 'file' })
      changes.push({ kind: 'added', id: file.id, url: file.url })
      continue
    }
    if (run.url !== file.url) changes.push({ kind: 'replaced', id: file.id, why: `url ${run.url} → ${file.url}` })
    else if (was !== undefined && was.fixed !== file.fixed) changes.push({ kind: 'replaced', id: file.id, why: 'options other than state, weight, route, redirect and domain changed' })
    const merged: Record<RuntimeSetting, SettingValue> = { state: file.state, weight: file.weight, route: file.route, redirect: file.redirect, domain: file.domain }
    for (const s of RUNTIME_SETTINGS) {
      const value = run[s]
      const fileValue = file[s]
      const fileChanged = was === undefined || was[s] !== fileValue
      if (fileChanged) {
        if (value === fileValue) continue
        if (was !== undefined && value === was[s]) changes.push({ kind: 'updated', id: file.id, setting: s, from: value, to: fileValue })
        else changes.push({ kind: 'overridden', id: file.id, setting: s, runtime: value, file: fileValue })
      } else {
        merged[s] = value
        if (value !== fileValue) changes.push({ kind: 'kept', id: file.id, setting: s, runtime: value, file: fileValue })
      }
    }
    const settings = { ...file, ...(merged as Pick<MemberRecord, RuntimeSetting>) }
    members.push({ ...settings, options: withSettings(file, settings), source: 'file' })
  }

  for (const run of running) {
    if (defined.has(run.id)) continue
    if (before.has(run.id)) {
      changes.push({ kind: 'removed', id: run.id })
      continue
    }
    members.push({ ...run, fixed: '', options: runtimeOptions(run), source: 'runtime' })
    changes.push({ kind: 'kept-added', id: run.id, url: run.url })
  }
  return { members, changes }
}
