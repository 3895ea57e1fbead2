/**
 * The balancer's contract types: what hosts, adapters, admin and listeners see. They live apart
 * from the `Balancer` class so that a module needing a type does not import the class.
 */
import type { AccessRecord } from './access-log/access-record.js'
import type { AuditRecord } from './access-log/audit-record.js'
import type { LbError, LbErrorCode } from './errors.js'
import type { Member, MemberEvents } from './members/member.js'
import type { MemberView } from './members/member-view.js'
import type { ClientTrust } from './proxy/forwarded-client.js'
import type { StickyReason } from './session/sticky-resolver.js'

/**
 * Called to pass a request on (excluded paths) or an error to the host framework.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members, exclude: ['/health'] })
 * http.createServer((req, res) => {
 *   void balancer.handle(req, res, (err) => {
 *     res.statusCode = err ? ((err as { statusCode?: number }).statusCode ?? 500) : 200
 *     res.end(err ? 'unavailable\n' : 'ok\n')   // /health, and errors before the response started
 *   })
 * }).listen(8080, '127.0.0.1')
 * ```
 */
export type NextFunction = (err?: unknown) => void

/**
 * What an adapter knows about where the balancer is mounted.
 *
 * @example
 * ```ts
 * // a host that strips /app itself before calling the balancer
 * http.createServer((req, res) => {
 *   const originalUrl = req.url ?? '/'
 *   if (!originalUrl.startsWith('/app/')) return res.writeHead(404).end()
 *   req.url = originalUrl.slice('/app'.length)
 *   void balancer.handle(req, res, undefined, { mountPath: '/app', originalUrl })
 * })
 * ```
 */
export interface MountContext {
  /** The public path prefix the host stripped from `req.url` (Express `req.baseUrl`). Default: ``. */
  readonly mountPath?: string
  /** The request's full public URL path, before the host stripped the mount path (Express `req.originalUrl`). */
  readonly originalUrl?: string
  /**
   * The host framework's trust rule for proxies in front (Express `trust proxy`, Koa `app.proxy`),
   * used when the balancer has no `trustProxy` option of its own.
   */
  readonly trustProxy?: ClientTrust | undefined
  /**
   * What the host's body parser made of the body, when it is not on `req` (Koa's
   * `ctx.request.body`). Read only when the host consumed the request stream before the balancer;
   * default: `req.body`.
   */
  readonly body?: unknown
  /** The body's raw bytes, when the host kept them off `req` (koa-bodyparser's `ctx.request.rawBody`); default: `req.rawBody`. */
  readonly rawBody?: unknown
}

/**
 * One finished exchange with a member (also a failed one), for metrics.
 *
 * @example
 * ```ts
 * balancer.on('exchange', (e: ExchangeEvent) => {
 *   console.log(`${e.member.id} ${e.status || e.error} ${e.durationMs.toFixed(1)} ms ${e.bytesIn} B (${e.reason})`)
 *   // TomcatA 200 3.2 ms 5120 B (sticky)
 * })
 * ```
 */
export interface ExchangeEvent {
  /** The member that served (or failed) it. */
  readonly member: MemberView
  /** The status sent to the client; 0 when the exchange failed before a response head. */
  readonly status: number
  /** From the pick to the end of the response (or the failure), ms. */
  readonly durationMs: number
  /** Response body bytes received from the member. */
  readonly bytesIn: number
  /** Request body bytes sent to the member. */
  readonly bytesOut: number
  /** Why the request went to this member (`sticky`, `new`, `rescheduled:member-error`, …). */
  readonly reason: StickyReason
  /** The error code when the exchange failed. */
  readonly error?: LbErrorCode | undefined
}

/**
 * The balancer's events (it is a typed `EventEmitter`).
 *
 * @example
 * ```ts
 * balancer.on('member:state', ({ member, admin, health, reason }) => log.info({ member: member.id, admin, health, reason }, 'member state'))
 * balancer.on('member:error', ({ member, error, willRetry }) => log.warn({ member: member.id, code: error.code, willRetry }, 'member failed'))
 * balancer.on('member:added', (member) => log.info({ member: member.id }, 'member added'))
 * balancer.on('access', (record) => accessLog.write(`${formatAccessLine(record, 'combined')}\n`))
 * ```
 */
export interface BalancerEvents {
  /**
   * A client request the balancer answered or forwarded has ended (one per request, retries
   * included; see docs/guide/logging.md). Nothing is built for it while no one listens.
   */
  access: [record: AccessRecord]
  /** An admin change was made, or an admin request refused (403, 421). */
  audit: [record: AuditRecord]
  /** An exchange with a member ended (successfully or not). */
  exchange: [event: ExchangeEvent]
  /** A member's admin or health state changed. */
  'member:state': MemberEvents['state']
  /** A member was added (`addMember`). */
  'member:added': [member: Member]
  /** A member was removed (`removeMember`). */
  'member:removed': [member: Member]
  /** A member's weight, route, redirect or domain was changed (`updateMember`); the member holds the new values. */
  'member:updated': [member: Member]
  /** An exchange with a member failed (the request may still succeed on another member). */
  'member:error': [event: { member: MemberView; error: LbError; path: string; willRetry: boolean }]
  /** An upgrade handshake (WebSocket…) with a member ended: `status` 101 when the connection was upgraded. */
  upgrade: [event: UpgradeEvent]
}

/**
 * One upgrade handshake with a member, for metrics and tests.
 *
 * @example
 * ```ts
 * balancer.on('upgrade', (e: UpgradeEvent) => {
 *   if (e.status !== 101) console.warn(`${e.protocol} to ${e.member.id} refused: ${e.status || e.error}`)
 * })
 * ```
 */
export interface UpgradeEvent {
  /** The member the handshake went to. */
  readonly member: MemberView
  /** The member's answer: 101 when upgraded; 0 when none came (see `error`). */
  readonly status: number
  /** Why the handshake went to this member. */
  readonly reason: StickyReason
  /** The handshake's duration, ms. */
  readonly durationMs: number
  /** The `Upgrade` value sent to the member: the client's offers allowed by `upgrade.protocols`, lower case (`websocket`). */
  readonly protocol: string
  /** The error code when the handshake failed. */
  readonly error?: LbErrorCode | undefined
}
