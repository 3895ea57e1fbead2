/**
 * One client request as the access log sees it: what httpd's `CustomLog` and nginx's `access_log`
 * write, plus the upstream side (members tried, their answers and times, route and sticky reason).
 *
 * @module
 */
import type { LbErrorCode } from '../errors.js'
import type { StickyReason } from '../session/sticky-resolver.js'

/**
 * One attempt of a request on a member (nginx lists them all in `$upstream_addr`,
 * `$upstream_status`, `$upstream_response_time`).
 *
 * @example
 * ```ts
 * const attempt: UpstreamAttempt = { member: 'TomcatA', address: '127.0.0.1:8081', status: 200, durationMs: 3.1, reason: 'sticky', error: undefined }
 * ```
 */
export interface UpstreamAttempt {
  /** The member's id (its route, or `host:port`). */
  readonly member: string
  /** The member's `host:port`. */
  readonly address: string
  /** The status the member answered; 0 when no answer of it reached the client (see `error`). */
  readonly status: number
  /** From the pick to the end of the member's response (or the failure), ms. */
  readonly durationMs: number
  /** Why the request went to this member (`sticky`, `new`, `rescheduled:member-error`, …). */
  readonly reason: StickyReason
  /** The error code when the attempt failed. */
  readonly error: LbErrorCode | undefined
}

/**
 * One client request the balancer answered or forwarded, as its `access` event reports it (also
 * its own refusals, and requests whose client went away).
 *
 * @example
 * ```ts
 * balancer.on('access', (r: AccessRecord) => {
 *   console.log(`${r.method} ${r.url} ${r.status} ${r.upstreams.map((u) => u.address).join(',') || '-'} ${r.reason ?? '-'}`)
 *   // GET /testapp/echo.jsp 200 127.0.0.1:8081 sticky
 * })
 * ```
 */
export interface AccessRecord {
  /** When the request reached the balancer, ms since the epoch (httpd `%t`, nginx `$time_local`). */
  readonly time: number
  /** The address of the client's connection (httpd `%a`, nginx `$remote_addr`); `-` when unknown. */
  readonly client: string
  /** The request method. */
  readonly method: string
  /** The request target as the client sent it, before any mount path was stripped. */
  readonly url: string
  /** `HTTP/1.1`, `HTTP/1.0`, `HTTP/2.0`. */
  readonly protocol: string
  /** The status sent to the client; 0 when no response head was sent (the client went away first). */
  readonly status: number
  /** Response body bytes sent to the client (httpd `%B`, nginx `$body_bytes_sent`). */
  readonly bytes: number
  /** The `Referer` header, as sent. */
  readonly referer: string | undefined
  /** The `User-Agent` header, as sent. */
  readonly userAgent: string | undefined
  /** From the request's arrival to the end of the response (or the client's leaving) and of the balancer's work on it, ms. */
  readonly durationMs: number
  /** The members tried, in order; empty when the balancer answered itself. */
  readonly upstreams: readonly UpstreamAttempt[]
  /** The route of the member tried last (httpd `%{BALANCER_WORKER_ROUTE}e`). */
  readonly route: string | undefined
  /** Why the last member was chosen (`sticky`, `new`, `rescheduled:member-error`, …). */
  readonly reason: StickyReason | undefined
  /** The session route the request carried (cookie or `;jsessionid=`), if any. */
  readonly sessionRoute: string | undefined
  /** The balancer's error code when it answered (or cut) the request with an error. */
  readonly error: LbErrorCode | undefined
  /** Whether the response was cut short: the client went away, or the member failed mid-body. */
  readonly aborted: boolean
}
