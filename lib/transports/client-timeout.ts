/**
 * The client stalled: it stopped sending its request body, or stopped reading the response, for
 * longer than `clientBodyTimeout` / `clientSendTimeout`. Not the member's fault.
 *
 * @module
 */
import { LbError } from '../errors.js'

/**
 * Which way the client stalled: its request body (`body`), or its reading of the response (`send`).
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   const stall: ClientStall | undefined = err instanceof ClientTimeoutError ? err.stall : undefined
 *   if (stall === 'body') log.info('upload stalled')
 *   next(err)
 * })
 * ```
 */
export type ClientStall = 'body' | 'send'

/**
 * The client stalled for longer than its timeout: what a transport's `forward` rejects with then.
 * The exchange is over and the member's connection that carried it is closed (never pooled again).
 * Before the response head the client is answered 408 (as nginx's `client_body_timeout` does);
 * after it the client connection is closed (nginx's `send_timeout`). Never counted against the
 * member; counted as a client abort.
 *
 * @example
 * ```ts
 * // Express: the 408 reaches the error handler while no answer has started
 * app.use((err, req, res, next) => {
 *   if (err instanceof ClientTimeoutError) return res.status(408).set('connection', 'close').end()
 *   next(err)
 * })
 * // how many exchanges clients ended (closed or stalled), per member
 * for (const m of balancer.members) console.log(m.id, m.counters.clientAborts)
 * ```
 */
export class ClientTimeoutError extends LbError {
  /** Which way the client stalled. */
  readonly stall: ClientStall

  constructor(stall: ClientStall, timeoutMs: number) {
    super(
      'LB_ERR_CLIENT_TIMEOUT',
      stall === 'body'
        ? `the client sent no request body for ${timeoutMs} ms (clientBodyTimeout)`
        : `the client read none of the response for ${timeoutMs} ms (clientSendTimeout)`,
      408,
    )
    this.name = 'ClientTimeoutError'
    this.stall = stall
  }
}
