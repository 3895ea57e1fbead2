/**
 * A balancer member: one Tomcat node (URL, route, weight), its states and its counters.
 *
 * @module
 */
import { EventEmitter } from 'node:events'
import type { MemberFailureCode } from '../errors.js'
import type { MemberCounters, MemberProtocol, MemberView } from './member-view.js'
import type { AdminState, HealthState } from './member-state.js'
import { canTransition, takesNewRequests, takesStickyRequests } from './member-state.js'

export type { MemberCounters, MemberProtocol } from './member-view.js'

/**
 * Events of a {@link Member} (the balancer re-emits them as `member:state`).
 *
 * @example
 * ```ts
 * balancer.member('TomcatA')?.on('state', ({ member, previousHealth, health, reason }) => {
 *   console.log(`${member.id}: ${previousHealth} → ${health} (${reason})`)   // TomcatA: ok → error (LB_ERR_UPSTREAM_CONNECT)
 * })
 * ```
 */
export interface MemberEvents {
  /** The admin or health state changed; `reason` is an error code or what caused it. */
  state: [change: { member: Member; admin: AdminState; health: HealthState; previousAdmin: AdminState; previousHealth: HealthState; reason: string }]
}

/**
 * Settings a member is created with, already validated. The balancer builds them from
 * {@link MemberOptions}; build them yourself only to drive a {@link Member} outside a balancer
 * (a scheduler's tests).
 *
 * @example
 * ```ts
 * const a = new Member({ url: new URL('http://127.0.0.1:8081'), route: 'TomcatA', weight: 2, admin: 'active' })
 * const b = new Member({ url: new URL('http://127.0.0.1:8082'), route: 'TomcatB', weight: 1, admin: 'active', redirect: 'TomcatA' })
 * ```
 */
export interface MemberSettings {
  /** The member's URL (`http:`, `https:` or `ajp:`). */
  readonly url: URL
  /** The node's `jvmRoute`, or undefined. */
  readonly route: string | undefined
  /** Weight, 1..100. */
  readonly weight: number
  /** The admin state it starts in. */
  readonly admin: AdminState
  /** Route of the member that takes its sessions when it cannot (mod_jk `redirect`). */
  readonly redirect?: string | undefined
  /** Session-replication domain (mod_jk `domain`). */
  readonly domain?: string | undefined
  /** Priority group (mod_proxy `lbset`, mod_jk `distance`): lower groups are used first. Default: 0. */
  readonly group?: number
  /** Never enter `error` (mod_proxy status `I`). Default: false. */
  readonly ignoreErrors?: boolean
  /** Milliseconds over which the weight ramps up after recovery or being added. Default: 0 (off). */
  readonly slowStartMs?: number
}

/**
 * One member of a balancer. Mutable state lives here; schedulers read it, the balancer writes it.
 * Change a member through the balancer (`setMemberState`, `updateMember`), which validates and
 * logs the change.
 *
 * @example
 * ```ts
 * const a = balancer.member('TomcatA')
 * if (a && a.health === 'error') console.log(`${a.id} is out until ${new Date(a.retryAt).toISOString()}: ${a.lastError?.code}`)
 * balancer.members.map((m) => ({ id: m.id, url: m.url.href, weight: m.weight, busy: m.counters.inFlight }))
 * ```
 */
export class Member extends EventEmitter<MemberEvents> implements MemberView {
  /** Stable id: the route when set, otherwise `host:port` of the URL. */
  readonly id: string
  /** The member's URL. */
  readonly url: URL
  /** Its protocol, from the URL scheme. */
  readonly protocol: MemberProtocol
  /** The node's `jvmRoute`; changed only through the balancer (`updateMember`), which keeps routes unique. */
  route: string | undefined
  /** Route of the member that takes this member's sessions when it cannot (mod_jk `redirect`). */
  redirect: string | undefined
  /** Session-replication domain (mod_jk `domain`); see `domainOf` for the default. */
  domain: string | undefined
  /** The configured weight (1..100); see `effectiveWeight` (lib/members/effective-weight.ts) for the one schedulers use. */
  weight: number
  /** Priority group (mod_proxy `lbset`): a higher group is used only when no lower one can serve. */
  group: number
  /** Never enter `error` on failures (mod_proxy status `I`). */
  ignoreErrors: boolean
  /** Milliseconds over which the effective weight ramps up after recovery or being added; 0 = off. */
  slowStartMs: number
  /** When the current slow-start ramp began (ms since epoch); 0 = no ramp. */
  rampStart = 0
  /** Failures in a row since the last success (passive health). */
  consecutiveFailures = 0
  /** Its counters, updated in place. */
  readonly counters: MemberCounters = { requests: 0, inFlight: 0, upgraded: 0, bytesIn: 0, bytesOut: 0, errors: 0, clientAborts: 0, elected: 0 }
  /** The last failure seen, for operators. */
  lastError: { code: MemberFailureCode; message: string; at: number } | undefined
  /** Why requests came here, counted per sticky reason (`sticky`, `new`, `rescheduled:member-error`, …). */
  readonly reasons = new Map<string, number>()
  /** Exponentially weighted moving average of exchange duration, in ms. */
  latencyEwma = 0

  #admin: AdminState
  #health: HealthState = 'ok'
  /** When an `error` member may be tried again (ms since epoch). */
  #retryAt = 0
  /** Who waits for `inFlight` to reach 0 ({@link whenIdle}). */
  #idleWaiters: Array<() => void> | undefined

  constructor(settings: MemberSettings) {
    super()
    this.url = settings.url
    this.protocol = settings.url.protocol.slice(0, -1) as MemberProtocol
    this.route = settings.route
    this.weight = settings.weight
    this.redirect = settings.redirect
    this.domain = settings.domain
    this.group = settings.group ?? 0
    this.ignoreErrors = settings.ignoreErrors ?? false
    this.slowStartMs = settings.slowStartMs ?? 0
    this.#admin = settings.admin
    this.id = settings.route ?? settings.url.host
  }

  /** The admin state (`active`, `draining`, `stopped`, `standby`). */
  get admin(): AdminState {
    return this.#admin
  }

  /** The health state (`ok`, `error`, `recovering`). */
  get health(): HealthState {
    return this.#health
  }

  /** When a member in `error` becomes eligible for a probe request (ms since epoch); 0 when not in error. */
  get retryAt(): number {
    return this.#health === 'error' ? this.#retryAt : 0
  }

  /**
   * Whether the member may take a request now; `sticky` when the request's session lives here.
   * A pure query: a member in `error` whose `retry` time has passed counts as usable, and
   * {@link refresh} moves it to `recovering`.
   */
  isUsable(now: number, sticky = false): boolean {
    if (!(sticky ? takesStickyRequests(this.#admin) : takesNewRequests(this.#admin))) return false
    return this.#health !== 'error' || now >= this.#retryAt
  }

  /**
   * Applies what time alone changes, once per pick (the selector calls it): a member in `error`
   * whose `retry` time has passed becomes `recovering` (the next request probes it), and a
   * finished slow-start ramp ends.
   */
  refresh(now: number): void {
    if (this.rampStart !== 0 && now - this.rampStart >= this.slowStartMs) this.rampStart = 0
    if (this.#health === 'error' && now >= this.#retryAt && takesStickyRequests(this.#admin)) {
      this.#setState(this.#admin, 'recovering', 'retry interval elapsed')
    }
  }

  /** Counts one election of this member for an exchange or an upgrade, and why (a sticky reason). */
  countPick(reason: string): void {
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1)
    this.counters.requests++
    this.counters.elected++
  }

  /** An exchange starts (counted in `inFlight` until {@link endExchange}). */
  beginExchange(): void {
    this.counters.inFlight++
  }

  /** An exchange (or upgraded connection) begun with {@link beginExchange} ended. */
  endExchange(): void {
    if (--this.counters.inFlight === 0 && this.#idleWaiters !== undefined) {
      const waiters = this.#idleWaiters
      this.#idleWaiters = undefined
      for (const resolve of waiters) resolve()
    }
  }

  /** Resolves once no exchange or upgraded connection of this member is in flight. */
  whenIdle(): Promise<void> {
    if (this.counters.inFlight <= 0) return Promise.resolve()
    return new Promise((resolve) => (this.#idleWaiters ??= []).push(resolve))
  }

  /** A finished exchange: its bytes, and its duration into the latency average. */
  countExchange(exchange: { readonly bytesIn: number; readonly bytesOut: number; readonly durationMs: number }): void {
    this.counters.bytesIn += exchange.bytesIn
    this.counters.bytesOut += exchange.bytesOut
    const duration = exchange.durationMs
    this.latencyEwma = this.latencyEwma === 0 ? duration : this.latencyEwma * 0.9 + duration * 0.1
  }

  /** Bytes relayed by an upgraded connection (after its 101). */
  countBytes(bytesIn: number, bytesOut: number): void {
    this.counters.bytesIn += bytesIn
    this.counters.bytesOut += bytesOut
  }

  /** An upgraded connection passed its 101 (`open`), or such a connection closed. */
  countUpgraded(open: boolean): void {
    if (open) this.counters.upgraded++
    else this.counters.upgraded--
  }

  /** A failed exchange (the member's fault or not yet judged): counted, and kept as `lastError`. */
  countFailure(error: { readonly code: string; readonly message: string }, now = Date.now()): void {
    this.counters.errors++
    this.lastError = { code: error.code, message: error.message, at: now }
  }

  /** An exchange the client ended (gone, or stalled): never one of `errors`. */
  countClientAbort(): void {
    this.counters.clientAborts++
  }

  /**
   * Zeroes what operators reset (requests, elections, bytes, errors, reasons, the last error and
   * the latency average); `inFlight`, `upgraded` and `clientAborts` keep counting.
   */
  resetCounters(): void {
    const c = this.counters
    c.requests = 0
    c.elected = 0
    c.bytesIn = 0
    c.bytesOut = 0
    c.errors = 0
    this.reasons.clear()
    this.lastError = undefined
    this.latencyEwma = 0
  }

  /**
   * Ends the `retry` wait of a member in `error` now (`forceRecovery`: no member is usable): it is
   * `recovering`, and the request being chosen probes it. No effect in any other health state.
   */
  forceRecovery(reason = 'forced recovery: no member usable'): void {
    if (this.#health === 'error') this.#setState(this.#admin, 'recovering', reason)
  }

  /** Sets the admin state (emits `state` when it changes); the balancer's `setMemberState` calls this. */
  setAdmin(admin: AdminState, reason = 'admin'): void {
    this.#setState(admin, this.#health, reason)
  }

  /**
   * A failed exchange or probe. After `threshold` failures in a row the member goes into `error`
   * until `now + retryMs` (`Infinity`: until an active check passes); a member with
   * `ignoreErrors` never does. Returns whether the member is now in error.
   */
  markError(now: number, retryMs: number, error: { code: MemberFailureCode; message: string }, threshold = 1): boolean {
    this.lastError = { code: error.code, message: error.message, at: now }
    this.consecutiveFailures++
    if (this.ignoreErrors) return false
    if (this.#health === 'ok' && this.consecutiveFailures < threshold) return false
    this.#retryAt = now + retryMs
    this.#setState(this.#admin, 'error', error.code)
    return true
  }

  /**
   * A successful exchange or probe: a member in error or recovering is healthy again, and starts
   * its slow-start ramp.
   */
  markOk(now?: number, reason = 'request succeeded'): void {
    this.consecutiveFailures = 0
    if (this.#health === 'ok') return // every successful request: no clock read
    if (this.slowStartMs > 0) this.rampStart = now ?? Date.now()
    this.#setState(this.#admin, 'ok', reason)
  }

  /** Starts a slow-start ramp now (a member added at run time). */
  startRamp(now: number): void {
    if (this.slowStartMs > 0) this.rampStart = now
  }

  #setState(admin: AdminState, health: HealthState, reason: string): void {
    const previousAdmin = this.#admin
    const previousHealth = this.#health
    if (previousAdmin === admin && previousHealth === health) return
    if (!canTransition(previousHealth, health)) throw new Error(`member ${this.id}: no health transition from ${previousHealth} to ${health}`)
    this.#admin = admin
    this.#health = health
    this.emit('state', { member: this, admin, health, previousAdmin, previousHealth, reason })
  }
}
