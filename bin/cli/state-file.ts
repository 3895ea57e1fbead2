/**
 * `--state-file <file>`: run-time admin changes kept across restarts, as httpd's
 * `BalancerPersist On` keeps balancer-manager changes and mod_jk keeps jkstatus changes.
 *
 * The file is JSON with a `version` (so a later format can be told apart, and an unknown one is
 * refused rather than misread), written whole after every admin change: to a temporary file in
 * the same directory, mode 0600, then renamed over the old one, so a crash or a kill at any moment
 * leaves the old state or the new one, never half of one. Per mount it holds the members the
 * configuration defined when it was last loaded (`file`: to tell at the next start what the
 * configuration changed since) and the members as they ran (`members`). No secret is written: an
 * AJP secret is kept as a digest, only to notice that it changed.
 *
 * Reading never stops the command: a missing file is a first start, an unreadable or corrupt one
 * is reported and the configuration is used as it is. A failed write is reported once until a
 * write succeeds again; the command keeps serving.
 *
 * @module
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Balancer } from '../../lib/balancer.js'
import { ADMIN_STATES } from '../../lib/members/member-state.js'
import type { ConfiguredMember, MemberRecord } from '../../lib/reload/member-merge.js'
import { memberRecord } from '../../lib/reload/member-records.js'
import type { Running } from './running.js'

/** The format this version writes and reads. */
export const STATE_VERSION = 1

/** One balancer in the state file. */
export interface SavedBalancer {
  readonly mount: string
  readonly name: string
  /** The members its configuration defined at the last load (no options, no secret). */
  readonly file: readonly ConfiguredMember[]
  /** Its members as they ran, run-time changes included. */
  readonly members: readonly MemberRecord[]
}

/** The state file's content. */
export interface SavedState {
  readonly version: typeof STATE_VERSION
  /** When it was written (ISO 8601), for operators. */
  readonly written: string
  readonly balancers: readonly SavedBalancer[]
}

const isText = (v: unknown): v is string => typeof v === 'string'
const isOptionalText = (v: unknown): boolean => v === undefined || typeof v === 'string'

function isRecord(v: unknown): v is MemberRecord {
  if (typeof v !== 'object' || v === null) return false
  const m = v as Record<string, unknown>
  return isText(m.id) && isText(m.url) && isOptionalText(m.route) && isOptionalText(m.redirect) && isOptionalText(m.domain) &&
    typeof m.weight === 'number' && Number.isInteger(m.weight) && m.weight >= 1 && m.weight <= 100 && ADMIN_STATES.includes(m.state as never)
}

/** Why `value` is not a state this version can use, or undefined when it is one. */
export function stateProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object'
  const state = value as Record<string, unknown>
  if (state.version !== STATE_VERSION) return `version ${JSON.stringify(state.version)} is not ${STATE_VERSION}`
  if (!Array.isArray(state.balancers)) return 'balancers is not a list'
  for (const [i, b] of (state.balancers as unknown[]).entries()) {
    const balancer = b as Record<string, unknown> | null
    if (typeof balancer !== 'object' || balancer === null || !isText(balancer.mount) || !isText(balancer.name)) return `balancers[${i}] has no mount or name`
    if (!Array.isArray(balancer.members) || !balancer.members.every(isRecord)) return `balancers[${i}].members is not a list of members`
    if (!Array.isArray(balancer.file) || !balancer.file.every((m: unknown) => isRecord(m) && isText((m as { fixed?: unknown }).fixed))) return `balancers[${i}].file is not a list of members`
  }
  return undefined
}

/** The state to write for the balancers running now. */
export function stateOf(running: readonly Running[], now = new Date()): SavedState {
  return {
    version: STATE_VERSION,
    written: now.toISOString(),
    balancers: running.map((r) => ({
      mount: r.mount,
      name: r.name,
      file: r.file.map(({ id, url, route, weight, state, redirect, domain, fixed }) => ({ id, url, route, weight, state, redirect, domain, fixed })),
      members: r.balancer.members.map(memberRecord),
    })),
  }
}

/** Writes one warning line (without the command's prefix). */
export type Warn = (line: string) => void

/** The state file of one command: read at start, written after every admin change. */
export class StateFile {
  readonly path: string
  readonly #warn: Warn
  readonly #running: () => readonly Running[]
  readonly #watched = new WeakSet<Balancer>()
  #scheduled = false
  #failing = false

  /** `running` gives the balancers to save at the time of a write. */
  constructor(path: string, running: () => readonly Running[], warn: Warn) {
    this.path = path
    this.#running = running
    this.#warn = warn
  }

  /** The saved state; undefined (with a warning unless the file does not exist) when there is none to use. */
  read(): SavedState | undefined {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#warn(`cannot read the state file ${this.path} (${(err as Error).message}); starting from the configuration`)
      return undefined
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      this.#warn(`the state file ${this.path} is not JSON (corrupt?); starting from the configuration, and it will be written anew`)
      return undefined
    }
    const problem = stateProblem(value)
    if (problem !== undefined) {
      this.#warn(`the state file ${this.path} cannot be used (${problem}); starting from the configuration, and it will be written anew`)
      return undefined
    }
    return value as SavedState
  }

  /** Saves on every admin change of these balancers (member state, settings, added, removed); watching one twice is harmless. */
  watch(running: readonly Running[]): void {
    for (const { balancer } of running) {
      if (this.#watched.has(balancer)) continue
      this.#watched.add(balancer)
      balancer.on('member:state', (change) => {
        if (change.admin !== change.previousAdmin) this.schedule()
      })
      balancer.on('member:added', () => this.schedule())
      balancer.on('member:removed', () => this.schedule())
      balancer.on('member:updated', () => this.schedule())
    }
  }

  /** Writes soon, once for every change made in the same turn. */
  schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.write()
    })
  }

  /** Writes the state now: temporary file (0600) then rename. Never throws. */
  write(): void {
    const temporary = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`)
    try {
      rmSync(temporary, { force: true })
      writeFileSync(temporary, `${JSON.stringify(stateOf(this.#running()), null, 2)}\n`, { mode: 0o600, flag: 'wx' })
      renameSync(temporary, this.path)
      if (this.#failing) this.#warn(`the state file ${this.path} is written again`)
      this.#failing = false
    } catch (err) {
      try {
        rmSync(temporary, { force: true })
      } catch {
        // the directory itself is out of reach: the warning below says so
      }
      if (!this.#failing) this.#warn(`cannot write the state file ${this.path} (${(err as Error).message}); run-time changes are not saved until it can be written (told once)`)
      this.#failing = true
    }
  }
}
