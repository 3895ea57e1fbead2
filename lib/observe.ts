/**
 * What the balancer tells the outside world, one function per event: each writes the log line,
 * publishes on its `diagnostics_channel` and emits the `EventEmitter` event in one place, with
 * the cheap guard (`hasSubscribers`, `listenerCount`) that keeps an unobserved event free.
 *
 * @module
 */
import type { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { channels } from './diagnostics.js'
import type { HookError, LbError } from './errors.js'
import type { Logger } from './logger.js'
import type { Member, MemberEvents } from './members/member.js'
import type { StickyReason } from './session/sticky-resolver.js'
import type { BalancerEvents, UpgradeEvent } from './types.js'

/** The low-level code under an error (`ECONNREFUSED`…), for the log. */
function causeCode(error: LbError): string | undefined {
  const cause = error.cause as { code?: unknown } | undefined
  return typeof cause?.code === 'string' ? cause.code : undefined
}

/**
 * The balancer's log, channels and events behind one object.
 *
 * @example
 * ```ts
 * const observe = new Observer(logger, balancer)
 * observe.exchange(req, member, 'sticky', 200, 3.2, 5120, 0)
 * ```
 */
export class Observer {
  /** The logger, for the plain debug lines that have no channel or event. */
  readonly log: Logger
  readonly #events: EventEmitter<BalancerEvents>

  constructor(log: Logger, events: EventEmitter<BalancerEvents>) {
    this.log = log
    this.#events = events
  }

  /** A member's admin or health state changed. */
  memberState(change: MemberEvents['state'][0]): void {
    const level = change.health === 'error' ? 'warn' : 'info'
    this.log[level]({ member: change.member.id, admin: change.admin, health: change.health, was: `${change.previousAdmin}/${change.previousHealth}`, reason: change.reason }, 'member state changed')
    if (channels.memberState.hasSubscribers) channels.memberState.publish(change)
    this.#events.emit('member:state', change)
  }

  /** A member was added at run time. */
  memberAdded(member: Member): void {
    this.log.info({ member: member.id, url: member.url.href }, 'member added')
    this.#events.emit('member:added', member)
  }

  /** A member was removed; it takes no new request. */
  memberRemoved(member: Member): void {
    this.log.info({ member: member.id }, 'member removed')
    this.#events.emit('member:removed', member)
  }

  /** A member's weight, route, redirect or domain changed. */
  memberUpdated(member: Member): void {
    this.log.info({ member: member.id, weight: member.weight, route: member.route, redirect: member.redirect, domain: member.domain }, 'member updated')
    this.#events.emit('member:updated', member)
  }

  /** An attempt of a request starts on `member` (`attempt`: 1 for the first). */
  attemptStart(req: IncomingMessage, member: Member, reason: StickyReason, attempt: number): void {
    if (channels.requestStart.hasSubscribers) channels.requestStart.publish({ req, member, reason, attempt })
  }

  /** An exchange ended with the member's answer relayed. */
  exchange(req: IncomingMessage, member: Member, reason: StickyReason, status: number, durationMs: number, bytesIn: number, bytesOut: number): void {
    if (channels.requestEnd.hasSubscribers) channels.requestEnd.publish({ req, member, status, durationMs, bytesIn, bytesOut })
    if (this.#events.listenerCount('exchange') > 0) this.#events.emit('exchange', { member, status, durationMs, bytesIn, bytesOut, reason })
  }

  /** An exchange with a member failed; `status` is what the client got already (0: nothing). */
  attemptError(req: IncomingMessage, member: Member, reason: StickyReason, error: LbError, status: number, durationMs: number, path: string, willRetry: boolean): void {
    if (channels.requestError.hasSubscribers) channels.requestError.publish({ req, member, error, willRetry })
    if (this.#events.listenerCount('exchange') > 0) {
      this.#events.emit('exchange', { member, status, durationMs, bytesIn: 0, bytesOut: 0, reason, error: error.code })
    }
    this.log.warn({ member: member.id, code: error.code, cause: causeCode(error), path, willRetry }, 'member exchange failed')
    this.#events.emit('member:error', { member, error, path, willRetry })
  }

  /** An upgrade handshake with a member failed (never retried). */
  upgradeError(member: Member, error: LbError, path: string, protocol: string): void {
    this.log.warn({ member: member.id, code: error.code, cause: causeCode(error), path, upgrade: protocol }, 'member upgrade failed')
    this.#events.emit('member:error', { member, error, path, willRetry: false })
  }

  /** An upgrade handshake ended (`status` 101 when upgraded). */
  upgrade(event: UpgradeEvent): void {
    if (this.#events.listenerCount('upgrade') > 0) this.#events.emit('upgrade', event)
  }

  /** A hook failed (its fixed message, and what it threw, as `err`). */
  hookFailed(error: HookError, member: Member | undefined, path: string): void {
    this.log.warn({ hook: error.hook, member: member?.id, code: error.code, reason: error.message, path, err: error.cause }, 'hook failed')
  }
}
