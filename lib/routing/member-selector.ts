/**
 * Which member takes the next attempt of a request: the selection policy, over the members'
 * states only (no sockets, no transports, no clock of its own).
 *
 * - A request that carries a session route goes to that session's member when it takes its
 *   sessions (the fast path), else where `resolveSticky` sends it (`redirect`, `domain`, or back to
 *   the scheduler); with `sticky.force`, nowhere (503).
 * - Otherwise the scheduler picks among the usable `active` members of the lowest priority group
 *   that has any (mod_proxy `lbset`), and among the `standby` ones only when no `active` member is
 *   usable.
 * - Below `panicThreshold` healthy members (Envoy's panic mode), every `active` member is a
 *   candidate, healthy or not, rather than overloading the few.
 * - When no member is usable, `forceRecovery` tries one in `error` anyway (httpd
 *   `forcerecovery`).
 *
 * Members already tried for the request are never chosen again. The only effects are the ones the
 * policy names: `member.refresh(now)` once per choice (an `error` member whose `retry` time has
 * passed becomes `recovering`), a forced recovery, and the scheduler's own pick.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { NoMemberError, StickyMemberUnavailableError } from '../errors.js'
import type { LbError } from '../errors.js'
import { recoveryCandidate } from '../members/force-recovery.js'
import type { Member } from '../members/member.js'
import type { Scheduler } from '../schedulers/scheduler.js'
import { resolveSticky } from '../session/sticky-resolver.js'
import type { StickyReason } from '../session/sticky-resolver.js'

/**
 * The member chosen for one attempt and why (for counters and logs), or the error to answer with
 * (`NoMemberError`, `StickyMemberUnavailableError`).
 */
export type Choice = { readonly member: Member; readonly reason: StickyReason } | LbError

/** The policy settings of a {@link MemberSelector}, from the balancer's resolved options. */
export interface MemberSelectorOptions {
  /** Session routes are followed (`sticky` is not `false`). */
  readonly sticky: boolean
  /** `sticky.force`: a session whose member cannot take it is refused (503) rather than moved. */
  readonly stickyForce: boolean
  /** Share (0..1) of healthy `active` members below which every `active` member is a candidate; 0: off. */
  readonly panicThreshold: number
  /** Try a member in `error` when none is usable (`forceRecovery`, and no active health checks). */
  readonly forceRecovery: boolean
}

/**
 * The selection policy of one balancer, around its scheduler.
 *
 * @example
 * ```ts
 * const selector = new MemberSelector(createScheduler('byrequests'), { sticky: true, stickyForce: false, panicThreshold: 0, forceRecovery: true })
 * const choice = selector.choose(balancer.members, req, ['TomcatA'], [], Date.now())
 * if (!(choice instanceof LbError)) console.log(choice.member.id, choice.reason)   // TomcatA sticky
 * ```
 */
export class MemberSelector {
  readonly #scheduler: Scheduler
  readonly #options: MemberSelectorOptions
  /** One reused array: picking is synchronous, and schedulers do not keep `candidates`. */
  readonly #candidates: Member[] = []

  constructor(scheduler: Scheduler, options: MemberSelectorOptions) {
    this.#scheduler = scheduler
    this.#options = options
  }

  /**
   * The member for one attempt: the session's member (or its redirect or domain) when the request
   * carries a route, otherwise the scheduler's pick; members in `tried` are skipped.
   */
  choose(all: readonly Member[], req: IncomingMessage, routes: readonly string[], tried: readonly Member[], now: number): Choice {
    for (let i = 0; i < all.length; i++) (all[i] as Member).refresh(now)
    let reason: StickyReason = 'new'
    if (routes.length > 0 && this.#options.sticky) {
      // The common case first: the first route names a member that takes its session.
      const owner = memberWithRoute(all, routes[0] as string)
      if (owner !== undefined && !tried.includes(owner) && owner.isUsable(now, true)) return { member: owner, reason: 'sticky' }
      const verdict = resolveSticky(routes, all, {
        now,
        force: this.#options.stickyForce,
        choose: (usable) => this.#scheduler.pick(usable.filter((m) => !tried.includes(m)), { req, now }, all),
      })
      if (verdict.kind === 'member' && !tried.includes(verdict.member)) return { member: verdict.member, reason: verdict.reason }
      if (verdict.kind === 'fail') {
        // sticky.force holds: only the session's own member may be forced, and only when no member is usable at all.
        const owner = this.#options.forceRecovery && this.#pick(all, req, tried, now, true) === undefined ? memberWithRoute(all, verdict.route) : undefined
        const forced = owner === undefined ? undefined : recoveryCandidate([owner], tried, owner)
        if (forced === undefined) return new StickyMemberUnavailableError(verdict.route)
        forced.forceRecovery()
        return { member: forced, reason: 'sticky' }
      }
      reason = verdict.kind === 'pick' ? verdict.reason : 'rescheduled:member-error'
    }
    const member = this.#pick(all, req, tried, now, false)
    if (member !== undefined) return { member, reason }
    const forced = this.#options.forceRecovery ? recoveryCandidate(all, tried, routes.length > 0 ? memberWithRoute(all, routes[0] as string) : undefined) : undefined
    if (forced === undefined) return new NoMemberError()
    forced.forceRecovery()
    return { member: forced, reason: forced.route !== undefined && forced.route === routes[0] ? 'sticky' : reason }
  }

  /**
   * Whether a member outside `tried` could take a request without a session now (the scheduler
   * is not moved, no state changes): another attempt, or a declined `failOnStatus` answer, has
   * somewhere to go.
   */
  hasCandidate(all: readonly Member[], tried: readonly Member[], now: number): boolean {
    return this.#pick(all, undefined, tried, now, true) !== undefined
  }

  /**
   * The scheduler's pick: usable active members first, standby members only when none is.
   * `probe` only asks whether there is a candidate (the first one), without moving the scheduler.
   */
  #pick(all: readonly Member[], req: IncomingMessage | undefined, tried: readonly Member[], now: number, probe: boolean): Member | undefined {
    const candidates = this.#candidates
    candidates.length = 0
    collectCandidates(all, 'active', tried, now, candidates)
    if (candidates.length === 0) collectCandidates(all, 'standby', tried, now, candidates)
    if (this.#options.panicThreshold > 0 && inPanic(all, now, this.#options.panicThreshold)) {
      // Too few healthy members: spread over every active one rather than overload the few.
      candidates.length = 0
      for (let i = 0; i < all.length; i++) {
        const m = all[i] as Member
        if (m.admin === 'active' && !tried.includes(m)) candidates.push(m)
      }
    }
    const first = candidates[0]
    if (first === undefined || probe) {
      candidates.length = 0
      return first
    }
    const picked = this.#scheduler.pick(candidates, { req: req as IncomingMessage, now }, all)
    candidates.length = 0
    return picked
  }
}

/**
 * Adds the usable members of `admin` state from the lowest priority group that has any
 * (mod_proxy `lbset`: a higher group is used only when every lower one is unusable).
 */
function collectCandidates(all: readonly Member[], admin: 'active' | 'standby', tried: readonly Member[], now: number, out: Member[]): void {
  let group = Infinity
  // Indexed loops here and below: no iterator, whatever tier the code runs in.
  for (let i = 0; i < all.length; i++) {
    const m = all[i] as Member
    if (m.admin !== admin || m.group > group || (tried.length > 0 && tried.includes(m)) || !m.isUsable(now)) continue
    if (m.group < group) {
      group = m.group
      out.length = 0
    }
    out.push(m)
  }
}

/** Whether fewer than `threshold` of the active members are healthy (Envoy's panic mode). */
function inPanic(all: readonly Member[], now: number, threshold: number): boolean {
  let active = 0
  let healthy = 0
  for (let i = 0; i < all.length; i++) {
    const m = all[i] as Member
    if (m.admin !== 'active') continue
    active++
    if (m.isUsable(now)) healthy++
  }
  return active > 0 && healthy / active < threshold
}

/** The member whose route is `route`, if any. */
export function memberWithRoute(all: readonly Member[], route: string): Member | undefined {
  for (let i = 0; i < all.length; i++) if ((all[i] as Member).route === route) return all[i]
  return undefined
}
