/**
 * An exchange whose member side is a Node `ClientRequest` on a keep-alive agent (both the
 * node:http and the http-proxy-3 transport make one): the request body is read from the client
 * only once the member's socket is connected, so a refused connection leaves the request intact
 * for another member; timeouts; and the mapping of the request's failures to gateway errors.
 *
 * @module
 */
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import { UpstreamConnectError, UpstreamTimeoutError, UpstreamTlsError, toGatewayError } from '../../errors.js'
import type { LbError } from '../../errors.js'
import { framesBody } from '../../proxy/request-framing.js'
import type { RequestFraming } from '../../proxy/request-framing.js'
import type { Exchange, ForwardResult } from '../transport.js'
import { HttpAttempt, kAttempt } from './http-attempt.js'
import type { AttemptCarrier } from './http-attempt.js'
import { leftToResponse } from './http-shared.js'
import type { HttpTransportOptions } from './http-shared.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'
import type { SocketQueue } from './socket-queue.js'

/** What an attempt needs of its transport. */
export interface ClientRequestTransport {
  readonly options: HttpTransportOptions
  /** `clientBodyTimeout` and `clientSendTimeout`, defaults applied. */
  readonly clientTimeouts: ClientTimeouts
  /** `secureConnect` ends the connect wait instead of `connect`. */
  readonly secure: boolean
  /** The slot of `http.maxSockets` this attempt holds, given back when it settles. */
  readonly queue: SocketQueue
}

/** @internal */
export abstract class ClientRequestAttempt extends HttpAttempt {
  protected readonly transport: ClientRequestTransport
  protected upstream: ClientRequest | undefined
  /** How the member-bound body is framed: the client's own framing, or the length of the body the balancer holds (see {@link exchangeFraming}). */
  readonly framing: RequestFraming
  /** The client's body streams to the member (not buffered by the balancer). */
  readonly #streamsBody: boolean
  /** Our listeners are on the client request. */
  #reading = false
  #connectTimer: NodeJS.Timeout | undefined
  /** The member's silence timer ran out while the client was the one awaited: re-armed once it moves. */
  #timerLapsedOnClient = false
  /**
   * The socket whose timer we re-armed ourselves: Node's request listens to its socket's first
   * `'timeout'` only, so the re-armed one is heard through our own listener.
   */
  #rearmedSocket: Socket | undefined

  constructor(transport: ClientRequestTransport, exchange: Exchange, framing: RequestFraming, resolve: (result: ForwardResult) => void, reject: (error: LbError) => void) {
    super(exchange, transport.clientTimeouts, resolve, reject)
    this.transport = transport
    this.framing = framing
    this.#streamsBody = exchange.body === undefined && framesBody(framing)
  }

  /** Whether a body is sent (buffered by the balancer or streamed from the client). */
  get sendsBody(): boolean {
    return this.#streamsBody || this.exchange.body !== undefined
  }

  /**
   * Takes the member-bound request: listens to its socket, timeout and response (errors come
   * through {@link upstreamFailed}, which the caller wires), and ends it at once when there is no
   * body.
   */
  protected attach(upstream: ClientRequest): void {
    this.upstream = upstream
    ;(upstream as AttemptCarrier)[kAttempt] = this
    upstream.on('socket', onUpstreamSocket)
    upstream.on('timeout', onUpstreamTimeout)
    upstream.on('response', onUpstreamResponse)
    if (!this.sendsBody) upstream.end()
  }

  protected release(): void {
    this.transport.queue.give()
    const socket = this.#rearmedSocket
    if (socket !== undefined) {
      socket.removeListener('timeout', onRearmedTimeout)
      ;(socket as AttemptCarrier)[kAttempt] = undefined
    }
    if (this.#connectTimer) clearTimeout(this.#connectTimer)
    if (this.#reading) {
      const req = this.exchange.req
      req.removeListener('data', onClientData)
      req.removeListener('end', onClientEnd)
      ;(req as AttemptCarrier)[kAttempt] = undefined
      req.pause()
    }
  }

  protected abortUpstream(): void {
    this.upstream?.destroy()
  }

  /** The agent gave the request a socket: a reused one is connected already. */
  socketAssigned(socket: Socket): void {
    if (!socket.connecting) return this.#connected()
    const { connectTimeout } = this.transport.options
    this.#connectTimer = setTimeout(() => {
      this.upstream?.destroy(new UpstreamConnectError(`could not connect to the member within ${connectTimeout} ms`))
    }, connectTimeout)
    socket.once(this.transport.secure ? 'secureConnect' : 'connect', () => this.#connected())
  }

  /** The member's connection is up: only now is the client's body read. */
  #connected(): void {
    this.connected = true
    if (this.#connectTimer) {
      clearTimeout(this.#connectTimer)
      this.#connectTimer = undefined
    }
    const upstream = this.upstream as ClientRequest
    const body = this.exchange.body
    if (body !== undefined) {
      this.bytesOut = body.length
      upstream.end(body)
      return
    }
    if (!this.#streamsBody) return
    const req = this.exchange.req
    ;(req as AttemptCarrier)[kAttempt] = this
    req.on('data', onClientData)
    req.on('end', onClientEnd)
    this.#reading = true
    if (!req.readableEnded) this.watch.awaitBody()
    req.resume() // an earlier attempt's end left it paused, if there was one
  }

  /**
   * A chunk of the client's body; backpressure from the member pauses the client. While the
   * client is read, `clientBodyTimeout` runs from chunk to chunk; while the member pushes back, it
   * does not.
   */
  clientData(req: IncomingMessage, chunk: Buffer): void {
    this.bytesOut += chunk.length
    if (this.#timerLapsedOnClient) this.clientMoved()
    const upstream = this.upstream as ClientRequest
    if (!upstream.write(chunk)) {
      this.watch.bodyMoved()
      req.pause()
      upstream.once('drain', () => {
        if (this.settled) return
        this.watch.awaitBody()
        req.resume()
      })
    } else {
      this.watch.awaitBody()
    }
  }

  clientEnd(): void {
    this.watch.bodyMoved()
    this.upstream?.end()
  }

  /**
   * The member-bound socket was silent for `timeout`. While the exchange waits on the client (its
   * body, or its reading of the response), that silence is the client's: the client timeouts
   * judge it, and the member's timer starts again once the client moves.
   */
  timedOut(): void {
    if (this.settled) return
    if (this.awaitingClient) {
      this.#timerLapsedOnClient = true
      return
    }
    const { timeout } = this.transport.options
    this.upstream?.destroy(new UpstreamTimeoutError(`the member did not answer within ${timeout} ms`))
  }

  protected override clientMoved(): void {
    if (!this.#timerLapsedOnClient) return
    this.#timerLapsedOnClient = false
    const socket = this.upstream?.socket
    if (!socket) return
    if (this.#rearmedSocket !== socket) {
      this.#rearmedSocket = socket
      ;(socket as AttemptCarrier)[kAttempt] = this
      socket.on('timeout', onRearmedTimeout)
    }
    socket.setTimeout(this.transport.options.timeout)
  }

  /**
   * The member-bound request failed. Before the response head: retryable
   * ({@link UpstreamConnectError}) only when the connection never came up and no body byte was
   * taken from the client. After it: the client response is destroyed, except for a reset the body
   * relay judges (see {@link leftToResponse}); while the head is still held, nothing reached the
   * client and the balancer answers the failure with a status.
   */
  upstreamFailed(err: unknown): void {
    if (this.settled) return
    const res = this.res
    if ((res.headersSent || this.holdsHead) && leftToResponse(err)) {
      this.upstream?.destroy() // the response now ends or aborts, and the relay settles
      return
    }
    const error = toGatewayError(err)
    if (res.headersSent) {
      this.settle(error)
      res.destroy()
    } else if (!this.connected && this.bytesOut === 0) {
      this.settle(error.code === 'LB_ERR_UPSTREAM_CONNECT' ? error : error.code === 'LB_ERR_UPSTREAM_TLS' ? new UpstreamTlsError(error.message, error.cause, true) : new UpstreamConnectError(error.message, error))
    } else {
      this.settle(error)
    }
  }
}

function attemptOf(emitter: unknown): ClientRequestAttempt {
  return (emitter as AttemptCarrier)[kAttempt] as ClientRequestAttempt
}

function onUpstreamSocket(this: ClientRequest, socket: Socket): void {
  attemptOf(this).socketAssigned(socket)
}

function onUpstreamTimeout(this: ClientRequest): void {
  attemptOf(this).timedOut()
}

function onRearmedTimeout(this: Socket): void {
  ;((this as AttemptCarrier)[kAttempt] as ClientRequestAttempt | undefined)?.timedOut()
}

function onUpstreamResponse(this: ClientRequest, response: IncomingMessage): void {
  attemptOf(this).relayResponse(response)
}

function onClientData(this: IncomingMessage, chunk: Buffer): void {
  attemptOf(this).clientData(this, chunk)
}

function onClientEnd(this: IncomingMessage): void {
  attemptOf(this).clientEnd()
}

/** `'error'` listener for a member-bound request (the node:http transport wires it directly). */
export function onUpstreamError(this: ClientRequest, err: Error): void {
  attemptOf(this).upstreamFailed(err)
}
