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

/** What a scheduler may look at besides the members. */
export interface PickContext {
  /** The client request, for schedulers that hash on it (ip_hash, header hash). */
  readonly req?: IncomingMessage
  /** The time of the pick (ms since epoch), for decay and slow start; `Date.now()` when absent. */
  readonly now?: number
}

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
  /** An exchange finished: traffic-based methods count bytes here. */
  record?(member: Member, result: { bytesIn: number; bytesOut: number; durationMs: number }): void
}

/**
 * Built-in schedulers by name: `byrequests` (mod_proxy_balancer's default) and `ip_hash` (nginx's,
 * on the client address; see the `trustProxy` option). Others, such as the consistent hash, are
 * created with their factory and passed as objects.
 */
export type SchedulerName = 'byrequests' | 'ip_hash'
