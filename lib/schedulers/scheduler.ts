/**
 * The scheduler contract: how a balancer chooses a member for a request that no session binds.
 *
 * A scheduler is pure policy: it gets the members that may take the request (already filtered by
 * state) and returns one. It owns whatever counters its algorithm needs and does no I/O, so every
 * scheduler can be tested with golden pick sequences and no sockets.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Member } from '../members/member.js'

/**
 * What a scheduler may look at besides the members.
 *
 * @example
 * ```ts
 * const ctx: PickContext = { req, now: Date.now() }
 * const member = scheduler.pick(candidates, ctx, balancer.members)
 * ```
 */
export interface PickContext {
  /** The client request, for schedulers that hash on it (ip_hash, header hash). */
  readonly req?: IncomingMessage
  /** The time of the pick (ms since epoch), for decay and slow start; `Date.now()` when absent. */
  readonly now?: number
}

/**
 * A scheduler: chooses the member for a request that no session binds. Pass an object of your
 * own as the `scheduler` option when no built-in method fits.
 *
 * @example
 * ```ts
 * // Active/passive by configuration order: always the first candidate (TomcatB only when TomcatA cannot serve).
 * const firstUsable: Scheduler = {
 *   name: 'first',
 *   pick: (candidates) => candidates[0],
 * }
 * const balancer = createBalancer({ members, scheduler: firstUsable })
 * ```
 */
export interface Scheduler {
  /** The method's name as shown to operators (`byrequests`, …). */
  readonly name: string
  /**
   * Chooses one of `candidates` (never empty when called by the balancer; a scheduler still returns
   * `undefined` for an empty list). `all` is the balancer's whole member list in a stable order, for
   * algorithms that need positions independent of state (hashing). The balancer reuses the
   * `candidates` array between picks: read it during the call, never keep it.
   */
  pick(candidates: readonly Member[], ctx: PickContext, all: readonly Member[]): Member | undefined
  /** A member left the balancer: forget its counters. */
  forget?(member: Member): void
  /**
   * An exchange finished: traffic-based methods count bytes here, latency-based ones the duration.
   * `now` is when it finished (ms since epoch, the same clock as {@link PickContext.now});
   * `Date.now()` when absent.
   */
  record?(member: Member, result: ExchangeResult): void
}

/**
 * What {@link Scheduler.record} learns about a finished exchange.
 *
 * @example
 * ```ts
 * const result: ExchangeResult = { bytesIn: 51_200, bytesOut: 320, durationMs: 42, now: Date.now() }
 * scheduler.record?.(member, result)
 * ```
 */
export interface ExchangeResult {
  /** Bytes received from the member. */
  readonly bytesIn: number
  /** Bytes sent to the member. */
  readonly bytesOut: number
  /** From the pick to the end of the response, in ms. */
  readonly durationMs: number
  /** When the exchange finished (ms since epoch); `Date.now()` when absent. */
  readonly now?: number
}

/**
 * Built-in schedulers by name (see docs/guide/schedulers.md), each with its default options:
 * - `byrequests`: mod_proxy_balancer's default (mod_jk `R` without decay);
 * - `bytraffic`: fewest bytes in + out per weight (mod_proxy `bytraffic`, mod_jk `T`, 60 s decay);
 * - `bybusyness`: fewest in-flight per weight (mod_proxy `bybusyness`, mod_jk `B`);
 * - `wrr`: nginx's smooth weighted round robin;
 * - `leastconn`: nginx `least_conn` / HAProxy `leastconn`;
 * - `random`: power of two choices (nginx `random two`, HAProxy `random(2)`);
 * - `peakewma`: peak-EWMA latency × (in-flight + 1), two choices (Finagle, Linkerd);
 * - `ip_hash`: nginx's, on the client address (see the `trustProxy` option).
 *
 * Others, such as the consistent hash or schedulers with non-default options, are created with
 * their factory and passed as objects.
 *
 * @example
 * ```ts
 * const scheduler: SchedulerName = process.env.LB_METHOD === 'nginx' ? 'wrr' : 'byrequests'
 * createBalancer({ members, scheduler })
 * ```
 */
export type SchedulerName = 'byrequests' | 'bytraffic' | 'bybusyness' | 'wrr' | 'leastconn' | 'random' | 'peakewma' | 'ip_hash'

/**
 * The built-in scheduler names ({@link SchedulerName}), for option validation; next to the type
 * so that validating a name does not load every scheduler.
 *
 * @example
 * ```ts
 * const method = process.env.LB_METHOD ?? 'byrequests'
 * if (!SCHEDULER_NAMES.includes(method as SchedulerName)) throw new Error(`LB_METHOD must be one of ${SCHEDULER_NAMES.join(', ')}`)
 * ```
 */
export const SCHEDULER_NAMES: readonly SchedulerName[] = Object.freeze(Object.keys({
  byrequests: true, bytraffic: true, bybusyness: true, wrr: true, leastconn: true, random: true, peakewma: true, ip_hash: true,
} satisfies Record<SchedulerName, true>) as SchedulerName[])
