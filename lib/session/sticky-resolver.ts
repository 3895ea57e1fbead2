/**
 * Decides where a request with session routes goes: to the session's member, to its failover
 * (`redirect`, then `domain`), or back to the scheduler; or, with forced stickiness, nowhere (503).
 *
 * Pure policy over a read-only view of the members ({@link StickyTarget}), so it does not depend on
 * the `Member` class and is tested without sockets. No effects: `isUsable()` is a pure query.
 *
 * For each route, in the order the parser returned them (the first that leads somewhere wins, as
 * mod_jk tries every session cookie in turn):
 * 1. the member whose `route` equals it, if it takes sticky requests (`active`, `draining` and
 *    `standby` do; `stopped` and `error` do not) → `sticky`;
 * 2. else its `redirect` route, and that member's `redirect` in turn, at most as many hops as there
 *    are members (mod_proxy recurses like this; mod_jk follows one hop). A redirect target only has
 *    to take sticky requests, so a draining hot standby works → `redirect`;
 * 3. else a member of the same `domain` that takes new requests (mod_jk: active and healthy only),
 *    chosen by `choose` (the balancer passes its scheduler) → `domain`. A route that names no member
 *    at all is looked up as a domain too (mod_jk: `find_best_bydomain(route)`, comparing the text
 *    before the route's first `.`);
 * 4. else the next route. When no route leads anywhere: `pick` with `rescheduled:<why>` of the first
 *    route, or `fail` when `force` is on. No route at all: `pick` with reason `new`, never `fail`.
 *
 * A member's domain is its `domain` when set; when not set and its route contains a `.`, the text
 * before the first `.` (mod_jk: route `dc1.n1` is in domain `dc1`). An empty string `domain: ''`
 * opts a member out of that default. Unlike mod_jk, forced stickiness still honours `redirect` and
 * `domain` (as mod_proxy honours `redirect` with `nofailover=On`): both name members that hold a
 * replica of the session, so using them does not lose it.
 *
 * @module
 */
import type { AdminState, HealthState } from '../members/member-state.js'

/**
 * What the resolver reads of a member. `Member` satisfies it once it has `redirect` and `domain`.
 *
 * @example
 * ```ts
 * const a: StickyTarget = { route: 'TomcatA', redirect: 'TomcatB', isUsable: () => false }
 * const b: StickyTarget = { route: 'TomcatB', isUsable: () => true }
 * resolveSticky(['TomcatA'], [a, b], { now: Date.now() })   // { kind: 'member', member: b, reason: 'redirect', route: 'TomcatA' }
 * ```
 */
export interface StickyTarget {
  /** The member's route (`jvmRoute`); a member without one is never a sticky target. */
  readonly route: string | undefined
  /** The route of the preferred failover member (mod_jk and mod_proxy `redirect`). */
  readonly redirect?: string | undefined
  /** Members of one domain share replicated sessions (mod_jk `domain`); `''` = none, not even the default. */
  readonly domain?: string | undefined
  /** Read only to name why a member could not take its session. */
  readonly admin?: AdminState | undefined
  /** Read only to name why a member could not take its session. */
  readonly health?: HealthState | undefined
  /** Whether the member may take a request now; `sticky` when the request's session lives there. */
  isUsable(now: number, sticky?: boolean): boolean
}

/**
 * Why a session route did not lead to a member.
 *
 * @example
 * ```ts
 * const verdict = resolveSticky(routes, balancer.members, { now: Date.now() })
 * if (verdict.kind === 'pick' && verdict.reason !== 'new') {
 *   const miss = verdict.reason.slice('rescheduled:'.length) as StickyMiss   // 'unknown-route', 'member-stopped', …
 * }
 * ```
 */
export type StickyMiss = 'unknown-route' | 'member-stopped' | 'member-error' | 'member-unavailable'

/**
 * Why a request went where it went; a small closed set, for metrics and debug logs.
 *
 * @example
 * ```ts
 * balancer.on('exchange', (e) => {
 *   const reason: StickyReason = e.reason   // 'sticky', 'new', 'rescheduled:member-error', …
 *   if (reason.startsWith('rescheduled:')) lostSessions.inc({ member: e.member.id, reason })
 * })
 * ```
 */
export type StickyReason = 'sticky' | 'redirect' | 'domain' | 'new' | `rescheduled:${StickyMiss}` | `forced:${StickyMiss}`

/**
 * The resolver's answer.
 *
 * @example
 * ```ts
 * const verdict: StickyVerdict<Member> = resolveSticky(['TomcatA'], balancer.members, { now: Date.now(), force: true })
 * switch (verdict.kind) {
 *   case 'member': console.log(`to ${verdict.member.id} (${verdict.reason})`); break
 *   case 'pick': console.log(`a new member (${verdict.reason})`); break
 *   case 'fail': console.log(`503: ${verdict.reason}`); break   // forced:member-stopped, …
 * }
 * ```
 */
export type StickyVerdict<T extends StickyTarget> =
  /** Send the request to `member`; `route` is the session route that led there. */
  | { readonly kind: 'member'; readonly member: T; readonly reason: 'sticky' | 'redirect' | 'domain'; readonly route: string }
  /** Let the scheduler choose; `route` is the (first) route that could not be honoured, if any. */
  | { readonly kind: 'pick'; readonly reason: 'new' | `rescheduled:${StickyMiss}`; readonly route: string | undefined }
  /** Forced stickiness and the session's member cannot take it: answer 503. */
  | { readonly kind: 'fail'; readonly reason: `forced:${StickyMiss}`; readonly route: string }

/**
 * How the resolver runs.
 *
 * @example
 * ```ts
 * const scheduler = createByRequests()
 * resolveSticky(routes, balancer.members, {
 *   now: Date.now(),
 *   force: false,
 *   choose: (inDomain) => scheduler.pick(inDomain, { now: Date.now() }, balancer.members),
 * })
 * ```
 */
export interface ResolveStickyOptions<T extends StickyTarget> {
  /** The time passed to `isUsable` (ms since epoch). */
  readonly now: number
  /** Refuse instead of rescheduling (mod_jk `sticky_session_force`). Default: `false`. */
  readonly force?: boolean
  /**
   * Chooses among the usable members of a domain. Default: the first one in member order. The
   * balancer passes its scheduler, so domain failovers spread like new sessions (mod_jk takes the
   * domain member with the lowest load value).
   */
  readonly choose?: ((members: readonly T[]) => T | undefined) | undefined
}

/**
 * The domain a member belongs to: its `domain`, or by default the text before the first `.` of its
 * route; `undefined` when it has none.
 *
 * @example
 * ```ts
 * domainOf({ route: 'dc1.n1', isUsable: () => true })                // 'dc1'
 * domainOf({ route: 'dc1.n1', domain: '', isUsable: () => true })    // undefined
 * domainOf({ route: 'n1', domain: 'rack2', isUsable: () => true })   // 'rack2'
 * ```
 */
export function domainOf(target: Pick<StickyTarget, 'route' | 'domain'>): string | undefined {
  if (target.domain !== undefined) return target.domain.length > 0 ? target.domain : undefined
  const route = target.route
  if (route === undefined) return undefined
  const dot = route.indexOf('.')
  return dot > 0 ? route.slice(0, dot) : undefined
}

function byRoute<T extends StickyTarget>(targets: readonly T[], route: string): T | undefined {
  for (const target of targets) if (target.route === route) return target
  return undefined
}

function whyUnusable(target: StickyTarget): StickyMiss {
  if (target.admin === 'stopped') return 'member-stopped'
  if (target.health === 'error') return 'member-error'
  return 'member-unavailable'
}

function inDomain<T extends StickyTarget>(targets: readonly T[], domain: string, except: T | undefined, options: ResolveStickyOptions<T>): T | undefined {
  const usable: T[] = []
  for (const target of targets) {
    if (target !== except && domainOf(target) === domain && target.isUsable(options.now, false)) usable.push(target)
  }
  if (usable.length === 0) return undefined
  if (options.choose === undefined) return usable[0]
  const chosen = options.choose(usable)
  return chosen !== undefined && usable.includes(chosen) ? chosen : undefined
}

type One<T extends StickyTarget> = { member: T; reason: 'sticky' | 'redirect' | 'domain' } | StickyMiss

function resolveRoute<T extends StickyTarget>(route: string, targets: readonly T[], options: ResolveStickyOptions<T>): One<T> {
  const target = byRoute(targets, route)
  if (target === undefined) {
    // mod_jk: a route that names no member may name a domain (the text before its first '.').
    const dot = route.indexOf('.')
    const member = inDomain(targets, dot > 0 ? route.slice(0, dot) : route, undefined, options)
    return member === undefined ? 'unknown-route' : { member, reason: 'domain' }
  }
  if (target.isUsable(options.now, true)) return { member: target, reason: 'sticky' }
  const miss = whyUnusable(target)

  let current: T = target
  for (let hops = 0; hops < targets.length && current.redirect; hops++) {
    const next = byRoute(targets, current.redirect)
    if (next === undefined || next === target) break
    if (next.isUsable(options.now, true)) return { member: next, reason: 'redirect' }
    current = next
  }

  const domain = domainOf(target)
  if (domain !== undefined) {
    const member = inDomain(targets, domain, target, options)
    if (member !== undefined) return { member, reason: 'domain' }
  }
  return miss
}

/**
 * Resolves a request's session routes (in order; see `parseSessionRoutes`) to a verdict.
 *
 * @param routes the routes the request carries, first to try first.
 * @param targets every member of the balancer, in configuration order.
 *
 * @example
 * ```ts
 * const routes = parseSessionRoutes({ url: req.url ?? '/', cookieHeader: req.headers.cookie, req }, sticky)
 * const verdict = resolveSticky(routes.map((r) => r.route), members, { now: Date.now(), force: sticky.force })
 * if (verdict.kind === 'member') send(verdict.member)            // reason: sticky | redirect | domain
 * else if (verdict.kind === 'pick') send(scheduler.pick(usable, { req }, members))
 * else throw new StickyMemberUnavailableError(verdict.route)    // 503
 * ```
 */
export function resolveSticky<T extends StickyTarget>(routes: readonly string[], targets: readonly T[], options: ResolveStickyOptions<T>): StickyVerdict<T> {
  let firstMiss: StickyMiss | undefined
  let firstRoute: string | undefined
  for (const route of routes) {
    if (route.length === 0) continue
    const one = resolveRoute(route, targets, options)
    if (typeof one !== 'string') return { kind: 'member', member: one.member, reason: one.reason, route }
    if (firstMiss === undefined) {
      firstMiss = one
      firstRoute = route
    }
  }
  if (firstMiss === undefined || firstRoute === undefined) return { kind: 'pick', reason: 'new', route: undefined }
  if (options.force === true) return { kind: 'fail', reason: `forced:${firstMiss}`, route: firstRoute }
  return { kind: 'pick', reason: `rescheduled:${firstMiss}`, route: firstRoute }
}
