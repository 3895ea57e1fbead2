/**
 * One exchange on an HTTP transport, as one object: what every HTTP transport keeps per exchange
 * (status, byte counts, whether the member's connection is up, whether the client response is
 * corked) and what it does with the member's answer (hand the head to the balancer, relay the body
 * with backpressure, settle the `forward()` promise once).
 *
 * The listeners it puts on Node's emitters are module functions, not closures: each finds its
 * attempt through a symbol property on the emitter (`res`, the member's response, the client
 * request), so an exchange allocates one object instead of a dozen closures and a WeakMap entry.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { UpstreamStatusError, toGatewayError } from '../../errors.js'
import type { LbError } from '../../errors.js'
import { writeToClient } from '../../proxy/client-backpressure.js'
import { ClientWatch } from '../../proxy/client-timeouts.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'
import { ClientAbortedError } from '../client-aborted.js'
import type { ClientTimeoutError } from '../client-timeout.js'
import type { Exchange, ForwardResult, ResponseHeaders } from '../transport.js'
import { responseHeadersFromRaw } from './response-headers.js'

/** The attempt an emitter belongs to while the exchange runs. */
export const kAttempt = Symbol('sticky-balancer.http-attempt')

/** An emitter that carries its attempt. */
export type AttemptCarrier = { [kAttempt]?: HttpAttempt | undefined }

/** What became of a response head handed to the balancer. */
export type HeadOutcome = 'sent' | 'declined' | 'invalid'

/** @internal */
export abstract class HttpAttempt {
  readonly exchange: Exchange
  readonly res: ServerResponse
  readonly #resolve: (result: ForwardResult) => void
  readonly #reject: (error: LbError) => void
  /** The member's status; 0 until its head arrived. */
  status = 0
  /** Response body bytes from the member. */
  bytesIn = 0
  /** Request body bytes to the member. */
  bytesOut = 0
  settled = false
  /** The member's connection is up (a reused socket, or `connect` seen). */
  connected = false
  #corked = false
  #uncorkQueued = false
  #failed = false
  /** The member's whole answer arrived (what is left waits for the client only). */
  #memberDone = false
  readonly #clientTimeouts: ClientTimeouts
  /** Made on the first wait on the client: most exchanges never wait. */
  #watch: ClientWatch | undefined
  /** The member's response, paused while the client reads what waits for it. */
  #pausedResponse: IncomingMessage | undefined

  constructor(exchange: Exchange, clientTimeouts: ClientTimeouts, resolve: (result: ForwardResult) => void, reject: (error: LbError) => void) {
    this.exchange = exchange
    this.res = exchange.res
    this.#clientTimeouts = clientTimeouts
    this.#resolve = resolve
    this.#reject = reject
    ;(this.res as AttemptCarrier)[kAttempt] = this
    this.res.on('close', onClientClose)
  }

  /** Cleanup of the transport's own resources, once, when the attempt settles. */
  protected abstract release(): void

  /** Stops the member's side at once (the client went away). */
  protected abstract abortUpstream(): void

  /** The exchange's waits on its client (`clientBodyTimeout`, `clientSendTimeout`). */
  protected get watch(): ClientWatch {
    return (this.#watch ??= new ClientWatch(this.res, this.#clientTimeouts, (error) => this.clientTimedOut(error)))
  }

  /** Whether the exchange waits on its client now: the member's silence meanwhile is not its fault. */
  get awaitingClient(): boolean {
    return this.#watch?.awaitingClient ?? false
  }

  /**
   * The client stalled past its timeout: the member's connection is closed (it is mid-exchange and
   * never goes back to the pool), the exchange ends with `error`, and a client response that has
   * started is destroyed (the balancer answers 408 when it has not).
   */
  clientTimedOut(error: ClientTimeoutError): void {
    if (this.settled) return
    if (!this.#memberDone) this.abortUpstream()
    this.settle(error)
    if (this.res.headersSent && !this.res.destroyed) this.res.destroy()
  }

  /** The response waits for the client to read ({@link writeBody} said so): resumes the member on `'drain'`. */
  awaitClientDrain(): void {
    this.watch.awaitReader()
    this.res.once('drain', onClientDrain)
  }

  /** The client read what waited for it: the member's answer flows again. */
  clientDrained(): void {
    this.#watch?.readerMoved()
    this.resumeMember()
    this.clientMoved()
  }

  /** Resumes the member's paused answer. */
  protected resumeMember(): void {
    this.#pausedResponse?.resume()
  }

  /** The client moved (sent body, read response) after a wait: transports re-arm what they suspended. */
  protected clientMoved(): void {}

  /** Settles the `forward()` promise (once): with the result, or with `error`. */
  settle(error: LbError | undefined): void {
    if (this.settled) return
    this.settled = true
    this.#watch?.stop()
    this.res.removeListener('close', onClientClose)
    ;(this.res as AttemptCarrier)[kAttempt] = undefined
    this.release()
    if (error) this.#reject(error)
    else this.#resolve({ status: this.status, bytesIn: this.bytesIn, bytesOut: this.bytesOut })
  }

  /** The client response closed: the end of a finished exchange, or a client that went away. */
  clientClosed(): void {
    if (this.res.writableFinished) return this.settle(undefined)
    this.abortUpstream()
    this.settle(new ClientAbortedError())
  }

  /**
   * Hands the member's response head to the balancer with the client response corked, so head and
   * first body chunk leave in one write (per-request syscalls dominate small responses).
   *
   * `declined`: a `failOnStatus` answer the balancer will try elsewhere (settled with
   * `UpstreamStatusError`; the caller discards the member's body so its connection stays usable).
   * `invalid`: a head the client response cannot carry (settled, client response destroyed; the
   * caller destroys the member's response).
   */
  sendHead(status: number, headers: ResponseHeaders, statusMessage: string | undefined): HeadOutcome {
    this.status = status
    const res = this.res
    res.cork()
    this.#corked = true
    try {
      if (this.exchange.sendResponseHead(status, headers, statusMessage)) return 'sent'
      this.uncork()
      this.settle(new UpstreamStatusError(status))
      return 'declined'
    } catch (err) {
      this.uncork()
      this.settle(toGatewayError(Object.assign(new Error('invalid response head'), { code: 'HPE_INVALID_HEADER_TOKEN', cause: err })))
      res.destroy()
      return 'invalid'
    }
  }

  /** Relays a Node `IncomingMessage` from the member: head, then body with backpressure. */
  relayResponse(response: IncomingMessage): void {
    const outcome = this.sendHead(response.statusCode ?? 502, responseHeadersFromRaw(response.rawHeaders), response.statusMessage)
    if (outcome !== 'sent') {
      if (outcome === 'declined') response.resume()
      else response.destroy()
      return
    }
    ;(response as AttemptCarrier)[kAttempt] = this
    response.on('data', onResponseData)
    response.on('end', onResponseEnd)
    response.on('error', onResponseError)
  }

  /**
   * Writes one body chunk to the client; `false` when enough waits for the client that the caller
   * pauses the member until `'drain'` ({@link writeToClient}). The first chunk uncorks on the next tick.
   */
  writeBody(chunk: Buffer): boolean {
    this.bytesIn += chunk.length
    const more = writeToClient(this.res, chunk)
    if (this.#corked && !this.#uncorkQueued) {
      this.#uncorkQueued = true
      process.nextTick(uncorkAttempt, this)
    }
    return more
  }

  /** The member's body is complete. */
  endBody(): void {
    this.#memberDone = true
    // Before end(): Node 24 writes the chunked terminator ahead of data still corked.
    this.uncork()
    const res = this.res
    res.end()
    // The tail may still wait for a stalled client: the exchange (and its socket slot) ends at
    // clientSendTimeout at the latest.
    if (!res.writableFinished && res.writableLength > 0) this.watch.awaitReader()
  }

  /**
   * The member's side broke while the body flowed: settle with the error (once) and destroy the
   * client response, so the client sees an aborted response, never a short one that looks whole.
   */
  failBody(err: unknown): void {
    if (this.#failed) return
    this.#failed = true
    this.settle(toGatewayError(err))
    this.res.destroy()
  }

  /** The member's response is paused until the client reads. */
  responsePaused(response: IncomingMessage): void {
    this.#pausedResponse = response
    this.awaitClientDrain()
  }

  uncork(): void {
    if (this.#corked) {
      this.#corked = false
      this.res.uncork()
    }
  }
}

function attemptOf(emitter: unknown): HttpAttempt | undefined {
  return (emitter as AttemptCarrier)[kAttempt]
}

function uncorkAttempt(attempt: HttpAttempt): void {
  attempt.uncork()
}

function onClientClose(this: ServerResponse): void {
  attemptOf(this)?.clientClosed()
}

function onResponseData(this: IncomingMessage, chunk: Buffer): void {
  const attempt = attemptOf(this) as HttpAttempt
  if (!attempt.writeBody(chunk)) {
    this.pause()
    attempt.responsePaused(this)
  }
}

function onClientDrain(this: ServerResponse): void {
  attemptOf(this)?.clientDrained()
}

function onResponseEnd(this: IncomingMessage): void {
  ;(attemptOf(this) as HttpAttempt).endBody()
}

function onResponseError(this: IncomingMessage, err: Error): void {
  ;(attemptOf(this) as HttpAttempt).failBody(err)
}
