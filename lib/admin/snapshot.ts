/**
 * Snapshots: the balancer's configuration, members, states and counters as plain JSON-safe data,
 * taken at one instant. Renderers are pure functions of a snapshot; nothing here changes the
 * balancer.
 *
 * Fields may be added in later versions (member groups, health checks, …); none will be removed or
 * change meaning without a new `version`. Absent values are `null`, never missing.
 *
 * @module
 */
import type { BalancerControl, MemberView } from '../control.js'
import type { AdminState, HealthState } from '../members/member-state.js'
import { domainOf } from '../session/sticky-resolver.js'
import { rampedWeight } from '../members/effective-weight.js'
import type { LatencyHistogram, RatePoint, StatsSource } from './stats.js'

/**
 * One member, as the admin surface shows it.
 *
 * @example
 * ```ts
 * const a = balancerSnapshot(balancer).members.find((m) => m.id === 'TomcatA')
 * // { id: 'TomcatA', url: 'http://127.0.0.1:8081', protocol: 'http', route: 'TomcatA', weight: 1,
 * //   admin: 'active', health: 'ok', usable: true, counters: { requests: 120, inFlight: 2, … }, … }
 * if (a && !a.usable) console.warn(`${a.id} is out until ${new Date(a.retryAt ?? 0).toISOString()}`)
 * ```
 */
export interface MemberSnapshot {
  /** Stable id: the route given at creation, or `host:port`. */
  readonly id: string
  /** `protocol://host:port` only (never a path or credentials). */
  readonly url: string
  /** The member's transport. */
  readonly protocol: 'http' | 'https' | 'ajp'
  /** The member's route (Tomcat's `jvmRoute`), or `null` when it has none. */
  readonly route: string | null
  /** The member a session of this one fails over to first (mod_jk `redirect`), or `null`. */
  readonly redirect: string | null
  /** The configured domain (`''` = none on purpose), or `null` when not set. */
  readonly domain: string | null
  /** The domain in effect: the configured one, or the text before the first `.` of the route. */
  readonly effectiveDomain: string | null
  /** The configured weight (1..100). */
  readonly weight: number
  /** The weight schedulers use now: lower than `weight` while slow start ramps it up. */
  readonly effectiveWeight: number
  /** Priority group (mod_proxy `lbset`): lower groups are used first. */
  readonly group: number
  /** Never put in error on failures (mod_proxy status `I`). */
  readonly ignoreErrors: boolean
  /** Failures in a row since the last success. */
  readonly consecutiveFailures: number
  /** State set by configuration or admin action (`active`, `draining`, `stopped`, `standby`). */
  readonly admin: AdminState
  /** State found by passive errors and active checks (`ok`, `error`, `recovering`). */
  readonly health: HealthState
  /** Whether the member would take a request without a session now. */
  readonly usable: boolean
  /** When a member in `error` may be tried again (ms since epoch), else `null`. */
  readonly retryAt: number | null
  /** The member's counters since it was added. */
  readonly counters: {
    /** Requests sent to the member (mod_jk Acc). */
    readonly requests: number
    /** Times it was chosen (mod_proxy Elected). */
    readonly elected: number
    /** Requests being served now (mod_jk Busy), upgraded connections included. */
    readonly inFlight: number
    /** Upgraded connections (WebSocket…) open now; part of `inFlight`. */
    readonly upgraded: number
    /** Bytes received from it (response bodies; mod_proxy From). */
    readonly bytesIn: number
    /** Bytes sent to it (request bodies; mod_proxy To). */
    readonly bytesOut: number
    /** Failed exchanges. */
    readonly errors: number
    /** Exchanges the client ended (closed, or stalled past `clientBodyTimeout` / `clientSendTimeout`); not in `errors`. */
    readonly clientAborts: number
  }
  /** The last failure: its code and when (ms since epoch); never a stack or message. */
  readonly lastError: { readonly code: string; readonly at: number } | null
  /** Moving average of exchange durations, ms (0 before the first exchange). */
  readonly latencyEwmaMs: number
  /** Why requests came here, per sticky reason (`sticky`, `new`, `rescheduled:member-error`, …). */
  readonly reasons: Readonly<Record<string, number>>
  /** Upstream sockets of the member's transport. */
  readonly sockets: { readonly open: number; readonly idle: number }
  /** Request rate samples `[ms since epoch, requests/s]`, oldest first (empty without stats). */
  readonly rate: readonly RatePoint[]
  /** Exchange durations (null without stats). */
  readonly latency: LatencyHistogram | null
  /** Finished exchanges per status class (`2xx`, `5xx`, `error`); empty without stats. */
  readonly responses: Readonly<Record<string, number>>
}

/**
 * The whole balancer, as the admin surface shows it (and as the JSON API serves it).
 *
 * @example
 * ```ts
 * const snap = balancerSnapshot(balancer, { name: 'tomcat' })
 * console.log(`${snap.name} (${snap.scheduler}): ${snap.totals.inFlight} in flight on ${snap.members.length} members`)
 * // tomcat (byrequests): 3 in flight on 2 members
 * ```
 */
export interface BalancerSnapshot {
  /** Shape version of this object. */
  readonly version: 1
  /** The balancer's display name (the admin option `name`). */
  readonly name: string
  /** When the snapshot was taken (ms since epoch). */
  readonly time: number
  /** The scheduler's name (`byrequests`, `ip_hash`, …). */
  readonly scheduler: string
  /** Session stickiness settings, or `null` when it is off. */
  readonly sticky: {
    readonly cookies: readonly string[]
    readonly pathParam: string | null
    readonly queryParam: string | null
    readonly separator: string | null
    readonly force: boolean
    readonly custom: boolean
  } | null
  /** Seconds an `error` member stays out (mod_proxy `retry`). */
  readonly retrySeconds: number
  /** How many other members a failed request may be retried on (mod_proxy `maxattempts`). */
  readonly maxAttempts: number
  /** The `connectTimeout` option, ms. */
  readonly connectTimeoutMs: number
  /** The `timeout` option, ms. */
  readonly timeoutMs: number
  /** Sums over the members. */
  readonly totals: { readonly requests: number; readonly inFlight: number; readonly bytesIn: number; readonly bytesOut: number; readonly errors: number }
  /** Rate sampling interval, ms (`null` without stats). */
  readonly sampleMs: number | null
  /** How far back the rate history goes, ms (`null` without stats). */
  readonly historyMs: number | null
  /** Every member, in configuration order. */
  readonly members: readonly MemberSnapshot[]
}

/**
 * Options of {@link balancerSnapshot}.
 *
 * @example
 * ```ts
 * const snap = balancerSnapshot(balancer, { name: 'tomcat', now: Date.now() })
 * ```
 */
export interface SnapshotOptions {
  /** The balancer's display name. Default: `balancer`. */
  name?: string
  /** Recorded rate history and latency (the admin handler passes its own). Default: none. */
  stats?: StatsSource
  /** The instant of the snapshot (ms since epoch). Default: `Date.now()`. */
  now?: number
}

function memberSnapshot(member: MemberView, sockets: { open: number; idle: number } | undefined, stats: StatsSource | undefined, now: number): MemberSnapshot {
  const c = member.counters
  const retryAt = member.retryAt
  const admin = member.admin
  return {
    id: member.id,
    url: member.url.origin === 'null' ? `${member.url.protocol}//${member.url.host}` : member.url.origin,
    protocol: member.protocol,
    route: member.route ?? null,
    redirect: member.redirect ?? null,
    domain: member.domain ?? null,
    effectiveDomain: domainOf(member) ?? null,
    weight: member.weight,
    effectiveWeight: Math.round(rampedWeight(member, now) * 100) / 100,
    group: member.group,
    ignoreErrors: member.ignoreErrors,
    consecutiveFailures: member.consecutiveFailures,
    admin,
    health: member.health,
    usable: member.isUsable(now),
    retryAt: retryAt > 0 ? retryAt : null,
    counters: { requests: c.requests, elected: c.elected, inFlight: c.inFlight, upgraded: c.upgraded, bytesIn: c.bytesIn, bytesOut: c.bytesOut, errors: c.errors, clientAborts: c.clientAborts },
    lastError: member.lastError ? { code: member.lastError.code, at: member.lastError.at } : null,
    latencyEwmaMs: Math.round(member.latencyEwma * 1000) / 1000,
    reasons: Object.fromEntries([...member.reasons].sort(([a], [b]) => a.localeCompare(b))),
    sockets: sockets ? { open: sockets.open, idle: sockets.idle } : { open: 0, idle: 0 },
    rate: stats ? [...stats.rateOf(member)] : [],
    latency: stats?.latencyOf(member) ?? null,
    responses: stats ? stats.responsesOf(member) : {},
  }
}

/**
 * Takes a snapshot of a balancer: plain data, safe for `JSON.stringify`, detached from the live
 * objects.
 *
 * @example
 * ```ts
 * const snap = balancerSnapshot(balancer, { name: 'lb' })
 * for (const m of snap.members) console.log(m.id, m.admin, m.health, m.counters.requests)
 * ```
 */
export function balancerSnapshot(balancer: BalancerControl, options: SnapshotOptions = {}): BalancerSnapshot {
  const now = options.now ?? Date.now()
  const resolved = balancer.options
  const sockets = balancer.sockets()
  const members = balancer.members.map((m) => memberSnapshot(m, sockets[m.id], options.stats, now))
  const totals = { requests: 0, inFlight: 0, bytesIn: 0, bytesOut: 0, errors: 0 }
  for (const m of members) {
    totals.requests += m.counters.requests
    totals.inFlight += m.counters.inFlight
    totals.bytesIn += m.counters.bytesIn
    totals.bytesOut += m.counters.bytesOut
    totals.errors += m.counters.errors
  }
  const sticky = resolved.sticky
  return {
    version: 1,
    name: options.name ?? 'balancer',
    time: now,
    scheduler: balancer.schedulerName,
    sticky: sticky === false
      ? null
      : {
          cookies: [...sticky.cookies],
          pathParam: sticky.pathParam === false ? null : sticky.pathParam,
          queryParam: sticky.queryParam === false ? null : sticky.queryParam,
          separator: sticky.separator === false ? null : sticky.separator,
          force: sticky.force,
          custom: sticky.routeOf !== undefined,
        },
    retrySeconds: resolved.retryMs / 1000,
    maxAttempts: resolved.maxAttempts,
    connectTimeoutMs: resolved.connectTimeout,
    timeoutMs: resolved.timeout,
    totals,
    sampleMs: options.stats?.sampleMs ?? null,
    historyMs: options.stats ? options.stats.sampleMs * options.stats.historySize : null,
    members,
  }
}
