/**
 * What anyone outside the balancer sees of a member: a read-only view of its settings, states
 * and counters. The admin surface, listeners and schedulers read members through it; changes go
 * through the balancer's commands (`updateMember`, `setMemberState`, `recoverMember`,
 * `resetCounters`).
 *
 * @module
 */
import type { MemberFailureCode } from '../errors.js'
import type { AdminState, HealthState } from './member-state.js'

/**
 * The upstream protocol of a member, from its URL scheme.
 *
 * @example
 * ```ts
 * const ajpMembers = balancer.members.filter((m) => m.protocol === 'ajp')
 * ```
 */
export type MemberProtocol = 'http' | 'https' | 'ajp'

/**
 * Counters kept per member; plain numbers so snapshots are cheap.
 *
 * @example
 * ```ts
 * for (const m of balancer.members) {
 *   const { requests, inFlight, errors } = m.counters
 *   console.log(`${m.id}: ${requests} requests, ${inFlight} in flight, ${errors} errors`)
 * }
 * ```
 */
export interface MemberCounters {
  /** Requests sent to this member (mod_jk "Acc"). */
  requests: number
  /**
   * Requests being served right now (mod_jk "Busy"), upgraded connections (WebSocket…) included:
   * busyness-based schedulers see long-lived tunnels as load.
   */
  inFlight: number
  /** Upgraded connections (WebSocket and other `Upgrade` tunnels) open now, after their 101; part of `inFlight`. */
  upgraded: number
  /** Bytes received from the member (response bodies). */
  bytesIn: number
  /** Bytes sent to the member (request bodies). */
  bytesOut: number
  /** Failed exchanges (connect, timeout, reset, protocol). */
  errors: number
  /**
   * Exchanges the client ended: it closed its connection, or stalled past `clientBodyTimeout` /
   * `clientSendTimeout`. Never part of `errors`.
   */
  clientAborts: number
  /** Times a scheduler or a session route chose this member (mod_proxy "Elected"). */
  elected: number
}

/**
 * A member as read from outside the balancer: settings, states and counters, all read-only.
 *
 * @example
 * ```ts
 * const a: MemberView | undefined = balancer.member('TomcatA')
 * if (a && a.health === 'error') console.log(`${a.id} is out until ${new Date(a.retryAt).toISOString()}: ${a.lastError?.code}`)
 * balancer.members.map((m) => ({ id: m.id, url: m.url.href, weight: m.weight, busy: m.counters.inFlight }))
 * ```
 */
export interface MemberView {
  /** Stable id: the route when set, otherwise `host:port` of the URL. */
  readonly id: string
  /** The member's URL. */
  readonly url: URL
  /** Its protocol, from the URL scheme. */
  readonly protocol: MemberProtocol
  /** The node's `jvmRoute`, or undefined. */
  readonly route: string | undefined
  /** Route of the member that takes this member's sessions when it cannot (mod_jk `redirect`). */
  readonly redirect: string | undefined
  /** Session-replication domain (mod_jk `domain`); undefined = the default (the route's text before its first `.`). */
  readonly domain: string | undefined
  /** The configured weight (1..100). */
  readonly weight: number
  /** Priority group (mod_proxy `lbset`): a higher group is used only when no lower one can serve. */
  readonly group: number
  /** Never enters `error` on failures (mod_proxy status `I`). */
  readonly ignoreErrors: boolean
  /** Milliseconds over which the effective weight ramps up after recovery or being added; 0 = off. */
  readonly slowStartMs: number
  /** When the current slow-start ramp began (ms since epoch); 0 = no ramp. */
  readonly rampStart: number
  /** Failures in a row since the last success (passive health). */
  readonly consecutiveFailures: number
  /** The admin state (`active`, `draining`, `stopped`, `standby`). */
  readonly admin: AdminState
  /** The health state (`ok`, `error`, `recovering`). */
  readonly health: HealthState
  /** When a member in `error` becomes eligible for a probe request (ms since epoch); 0 when not in error. */
  readonly retryAt: number
  /** Its counters. */
  readonly counters: Readonly<MemberCounters>
  /** The last failure seen, for operators. */
  readonly lastError: Readonly<{ code: MemberFailureCode; message: string; at: number }> | undefined
  /** Why requests came here, counted per sticky reason (`sticky`, `new`, `rescheduled:member-error`, …). */
  readonly reasons: ReadonlyMap<string, number>
  /** Exponentially weighted moving average of exchange duration, in ms. */
  readonly latencyEwma: number
  /**
   * Whether the member may take a request at `now` (ms since epoch); `sticky` when the request's
   * session lives here. A pure query: it changes nothing.
   */
  isUsable(now: number, sticky?: boolean): boolean
}
