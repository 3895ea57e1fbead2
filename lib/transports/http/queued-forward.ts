/**
 * The start of `forward()` that every HTTP transport shares: the exchange's request framing is
 * decided (a client framing the balancer refuses rejects here, before any member is touched), then
 * the exchange is sent once one of the member's `http.maxSockets` slots is free, waiting
 * `connectTimeout` at most (see {@link SocketQueue}).
 *
 * @module
 */
import { exchangeFraming } from '../../proxy/request-framing.js'
import type { RequestFraming } from '../../proxy/request-framing.js'
import type { Exchange, ForwardResult } from '../transport.js'
import type { SocketQueue } from './socket-queue.js'

/** Sends one framed exchange; the attempt gives its slot back to the queue when it settles. */
export type SendFramed = (exchange: Exchange, framing: RequestFraming) => Promise<ForwardResult>

/**
 * Frames `exchange` and sends it through `send` now if a slot is free and nobody waits (no promise
 * or timer of the queue's), else once one is.
 */
export function forwardQueued(queue: SocketQueue, exchange: Exchange, send: SendFramed): Promise<ForwardResult> {
  let framing: RequestFraming
  try {
    framing = exchangeFraming(exchange.req.headers, exchange.body)
  } catch (err) {
    return Promise.reject(err)
  }
  if (queue.tryTake()) return send(exchange, framing)
  return queue.take(exchange.res).then(() => send(exchange, framing))
}
