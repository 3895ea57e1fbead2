/**
 * One admin change, or one refused admin request, as an audit line reports it: who, through which
 * listener and `Host`, and what changed (or why it was refused).
 *
 * @module
 */

/**
 * What the admin surface reports as the balancer's `audit` event.
 *
 * @example
 * ```ts
 * balancer.on('audit', (a: AuditRecord) => {
 *   console.log(`${a.outcome} by ${a.client} via ${a.listener}: ${a.action ?? a.reason}`)
 *   // change by 127.0.0.1 via 127.0.0.1:9090: TomcatA: state draining
 * })
 * ```
 */
export interface AuditRecord {
  /** When, ms since the epoch. */
  readonly time: number
  /** `change`: a change was made; `refused`: the request was refused (403, 421). */
  readonly outcome: 'change' | 'refused'
  /** The address of the client's connection; `-` when unknown. */
  readonly client: string
  /** The request's `X-Forwarded-For`, as sent. */
  readonly forwardedFor: string | undefined
  /** The local address and port the request came in on (`127.0.0.1:9090`). */
  readonly listener: string
  /** The request's `Host` header, as sent. */
  readonly host: string | undefined
  /** The request method. */
  readonly method: string
  /** The request target. */
  readonly url: string
  /** Which part of the admin surface made the change: `balancer-manager` (the page's forms), `json`, `jkstatus`. */
  readonly via: string | undefined
  /** What changed (`TomcatA: state draining`). */
  readonly action: string | undefined
  /** The status of a refusal (403, 421). */
  readonly status: number | undefined
  /** Why a request was refused. */
  readonly reason: string | undefined
}
