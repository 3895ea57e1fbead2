/**
 * Active health checks: every `interval`, each member that is not stopped is probed; `fails`
 * failed probes in a row put a healthy member in `error`, `passes` good probes in a row bring a
 * member in error back to `ok` (with its slow-start ramp). While checks run, a member in error is
 * brought back only by the checker, never by a user's request (mod_jk's "every recovery attempt is
 * done by a real request" is exactly what this avoids).
 *
 * The probe itself is injected, so the state logic is tested with fake timers and no sockets.
 *
 * @module
 */
import { HealthCheckError } from '../errors.js'
import type { MemberFailureCode } from '../errors.js'
import type { Member } from '../members/member.js'
import type { ResolvedHealthCheck } from './health-check-options.js'

/**
 * Resolves when the member passed the probe; rejects (with an Error that has a `code`) when not.
 *
 * @example
 * ```ts
 * const probe: Probe = async (member) => {
 *   const res = await fetch(new URL('/testapp/static.txt', member.url), { signal: AbortSignal.timeout(2000) })
 *   if (res.status !== 200) throw new HealthCheckError('LB_ERR_HEALTH_CHECK_STATUS', `status ${res.status}`, res.status)
 * }
 * ```
 */
export type Probe = (member: Member) => Promise<void>

/**
 * Callbacks of a {@link HealthChecker}.
 *
 * @example
 * ```ts
 * const events: HealthCheckerEvents = {
 *   onResult: (member, passed, error) => { if (!passed) console.warn(`${member.id} failed its check: ${error?.code}`) },
 * }
 * ```
 */
export interface HealthCheckerEvents {
  /** Called after each probe, for logs and metrics. */
  onResult?(member: Member, passed: boolean, error: { code: string; message: string } | undefined): void
}

interface Tally {
  passes: number
  fails: number
  running: boolean
}

/**
 * Runs active health checks over a changing list of members: the balancer makes one for its
 * `health` option, with probes over the member's own transport. Make one yourself to drive
 * members with a probe of your own.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members })
 * const settings = { ...HEALTH_CHECK_DEFAULTS, expect: '200', passesStatus: (s: number) => s === 200 }
 * const checker = new HealthChecker(() => balancer.members, settings, probe, {
 *   onResult: (member, passed) => console.log(member.id, passed ? 'passed' : 'failed'),
 * })
 * checker.start()
 * process.on('SIGTERM', () => checker.stop())
 * ```
 */
export class HealthChecker {
  readonly #members: () => readonly Member[]
  readonly #options: ResolvedHealthCheck
  readonly #probe: Probe
  readonly #events: HealthCheckerEvents
  readonly #tallies = new WeakMap<Member, Tally>()
  #timer: NodeJS.Timeout | undefined

  constructor(members: () => readonly Member[], options: ResolvedHealthCheck, probe: Probe, events: HealthCheckerEvents = {}) {
    this.#members = members
    this.#options = options
    this.#probe = probe
    this.#events = events
  }

  /** Starts probing; the first round runs at once. The timer does not keep the process alive. */
  start(): void {
    if (this.#timer) return
    void this.runOnce()
    this.#timer = setInterval(() => void this.runOnce(), this.#options.interval)
    this.#timer.unref()
  }

  /** Stops probing (a probe already running finishes). Idempotent. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Probes every member that is not stopped (a member whose last probe still runs is skipped). */
  async runOnce(): Promise<void> {
    await Promise.all(this.#members().filter((m) => m.admin !== 'stopped').map((m) => this.#check(m)))
  }

  async #check(member: Member): Promise<void> {
    let tally = this.#tallies.get(member)
    if (!tally) this.#tallies.set(member, (tally = { passes: 0, fails: 0, running: false }))
    if (tally.running) return
    tally.running = true
    let error: { code: MemberFailureCode; message: string } | undefined
    try {
      await withTimeout(this.#probe(member), this.#options.timeout)
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown }
      error = { code: typeof e.code === 'string' ? e.code : 'LB_ERR_HEALTH_CHECK', message: typeof e.message === 'string' ? e.message : String(err) }
    } finally {
      tally.running = false
    }
    const now = Date.now()
    if (error === undefined) {
      tally.fails = 0
      tally.passes++
      if (member.health !== 'ok' && tally.passes >= this.#options.passes) member.markOk(now, 'active check passed')
    } else {
      tally.passes = 0
      tally.fails++
      if (member.health === 'ok' && tally.fails >= this.#options.fails) member.markError(now, Infinity, error, 1)
      else if (member.health === 'recovering') member.markError(now, Infinity, error, 1)
    }
    this.#events.onResult?.(member, error === undefined, error)
  }
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HealthCheckError('LB_ERR_HEALTH_CHECK_TIMEOUT', `no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
