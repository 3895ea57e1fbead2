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
import { UpstreamProtocolError, UpstreamStatusError, toGatewayError } from '../../errors.js'
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
  /**
   * The member's head, kept until its first body byte or its end ({@link holdHead}): until then
   * nothing of the answer has reached the client, so a failure is still answered with a status.
   */
  #heldHeaders: ResponseHeaders | undefined
  #heldMessage: string | undefined
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
      this.settle(new UpstreamProtocolError('the member sent an invalid response head', err))
      res.destroy()
      return 'invalid'
    }
  }

  /**
   * Keeps the member's response head until its first body byte or its end ({@link releaseHead}),
   * as httpd does: a member that fails between its head and its body (a stall, a reset, a broken
   * body) leaves the client response untouched, and the balancer still answers 502 or 504 instead
   * of an empty reply. The head and the first body chunk leave in one write either way.
   */
  holdHead(status: number, headers: ResponseHeaders, statusMessage: string | undefined): void {
    this.status = status
    this.#heldHeaders = headers
    this.#heldMessage = statusMessage
  }

  /** Whether a head is held: nothing of the answer has been written to the client yet. */
  get holdsHead(): boolean {
    return this.#heldHeaders !== undefined
  }

  /** Hands a held head to the balancer ({@link sendHead}); `sent` when none was held. */
  releaseHead(): HeadOutcome {
    const headers = this.#heldHeaders
    if (headers === undefined) return 'sent'
    this.#heldHeaders = undefined
    return this.sendHead(this.status, headers, this.#heldMessage)
  }

  /** Relays a Node `IncomingMessage` from the member: head (held until the body starts), then body with backpressure. */
  relayResponse(response: IncomingMessage): void {
    this.holdHead(response.statusCode ?? 502, responseHeadersFromRaw(response.rawHeaders), response.statusMessage)
    ;(response as AttemptCarrier)[kAttempt] = this
    response.on('data', onResponseData)
    response.on('end', onResponseEnd)
    response.on('error', onResponseError)
  }

  /**
   * Releases the held head before the first body byte or the end of `response`; false when the
   * balancer did not take it (declined: the rest of the body is read and dropped, so the member's
   * connection stays usable; invalid: the member's response is destroyed).
   */
  #releaseBefore(response: IncomingMessage): boolean {
    const outcome = this.releaseHead()
    if (outcome === 'sent') return true
    response.removeListener('data', onResponseData)
    response.removeListener('end', onResponseEnd)
    ;(response as AttemptCarrier)[kAttempt] = undefined
    if (outcome === 'declined') response.resume()
    else response.destroy()
    return false
  }

  /** One chunk of the member's body (Node `IncomingMessage`); pauses the member when the client pushes back. */
  relayData(response: IncomingMessage, chunk: Buffer): void {
    if (this.#heldHeaders !== undefined && !this.#releaseBefore(response)) return
    if (!this.writeBody(chunk)) {
      response.pause()
      this.responsePaused(response)
    }
  }

  /** The member's body (Node `IncomingMessage`) is complete. */
  relayEnd(response: IncomingMessage): void {
    if (this.#heldHeaders !== undefined && !this.#releaseBefore(response)) return
    this.endBody()
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
    this.#heldHeaders = undefined
    this.settle(toGatewayError(err))
    // A head still held never reached the client: the balancer answers the failure with a status.
    if (this.res.headersSent) this.res.destroy()
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
  ;(attemptOf(this) as HttpAttempt).relayData(this, chunk)
}

function onClientDrain(this: ServerResponse): void {
  attemptOf(this)?.clientDrained()
}

function onResponseEnd(this: IncomingMessage): void {
  ;(attemptOf(this) as HttpAttempt).relayEnd(this)
}

function onResponseError(this: IncomingMessage, err: Error): void {
  attemptOf(this)?.failBody(err)
}
