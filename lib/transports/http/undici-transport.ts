/**
 * The default HTTP transport, on undici's `Pool` (`http: { transport: 'undici' }`): undici's own
 * HTTP/1.1 client (llhttp, one connection object per socket, no `ClientRequest`/`IncomingMessage`
 * per exchange), driven through its low-level `dispatch` handler API. Same contract as the other
 * two: the client body is read only once the member's connection is up (undici pulls it from a
 * {@link ClientBody} when it writes the request), the response head goes to the balancer, the body
 * is relayed with backpressure.
 *
 * What differs, by undici's design: `timeout` bounds each silence of the member while it owes
 * bytes (the wait for the response head, each gap between body chunks), not a paused response
 * whose client reads slowly, nor a request body the client is slow to send. It runs on a Node timer
 * of this transport's own: undici's `headersTimeout`/`bodyTimeout` tick about once a second, so a
 * 600 ms limit could fire after half a second; idle connections are closed after `idleTimeout` (or the member's own
 * `Keep-Alive: timeout`, if shorter), there is no `maxFreeSockets` cap; a HEAD request closes its
 * connection afterwards (undici guards against servers that send a body anyway). Informational
 * answers (103 Early Hints, 102 Processing) are dropped, as on the other two transports; an
 * unsolicited `100 Continue` makes undici close the connection (the request gets 502, or is
 * retried when repeatable; the member is not put in error for it).
 *
 * This file is long because undici's handler API puts the whole exchange in one class (head,
 * body, silence timer, errors), beside the body iterator undici pulls from and the TLS connector.
 *
 * @module
 */
import { httpProbe } from '../../health/probes.js'
import type { ResolvedHealthCheck } from '../../health/health-check-options.js'
import type { IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { buildConnector, Dispatcher, Pool } from 'undici'
import { BalancerClosedError, UpstreamConnectError, UpstreamTimeoutError, UpstreamTlsError, isTlsErrorCode, toGatewayError } from '../../errors.js'
import type { LbError } from '../../errors.js'
import type { Member } from '../../members/member.js'
import { framesBody } from '../../proxy/request-framing.js'
import type { RequestFraming } from '../../proxy/request-framing.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'
import type { Exchange, ForwardResult, Transport } from '../transport.js'
import { HttpAttempt } from './http-attempt.js'
import { clientTimeoutsOf, headerList } from './http-shared.js'
import { tlsConnectOptions } from '../../net/tls-options.js'
import type { HttpTransportOptions } from './http-shared.js'
import { responseHeadersFromRaw } from './response-headers.js'
import { SocketQueue } from './socket-queue.js'
import { forwardQueued } from './queued-forward.js'
import type { SendFramed } from './queued-forward.js'

/** @internal */
export class UndiciTransport implements Transport {
  readonly preserveHost: boolean
  readonly selfOrigin: string
  readonly upgradeTarget: URL
  readonly #member: Member
  readonly options: HttpTransportOptions
  readonly clientTimeouts: ClientTimeouts
  readonly queue: SocketQueue
  /**
   * For an `https://` member, the constant `servername` every dispatch carries: undici otherwise
   * takes it from each request's `Host` (the client's, with `preserveHost`) and closes the
   * connection when it changes. The connector replaces it with the configured SNI name.
   */
  readonly servername: string | undefined
  #pool: Pool | undefined
  /**
   * undici is loaded when the first undici transport is made, not with the package: importing it
   * costs about 150 ms and 20 MiB, which balancers on the other transports should not pay.
   */
  readonly #loaded: Promise<void>
  #closed = false

  constructor(member: Member, options: HttpTransportOptions) {
    this.options = options
    this.#member = member
    this.preserveHost = options.preserveHost ?? false
    this.selfOrigin = member.url.origin.toLowerCase()
    this.upgradeTarget = options.upgradeUrl ?? member.url
    this.clientTimeouts = clientTimeoutsOf(options)
    this.queue = new SocketQueue(options.maxSockets, options.connectTimeout, member.url.host, options.maxQueue)
    this.servername = member.protocol === 'https' ? member.url.host : undefined
    this.#loaded = import('undici').then(({ Pool, buildConnector }) => {
      if (this.#closed) return
      this.#pool = new Pool(member.url.origin, {
        connections: options.maxSockets,
        pipelining: 1,
        keepAliveTimeout: options.idleTimeout,
        keepAliveMaxTimeout: options.idleTimeout,
        // `timeout` is kept by each attempt's own timer (see the module comment).
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: member.protocol === 'https' ? tlsConnector(buildConnector, member.url, options) : { timeout: options.connectTimeout },
      })
    })
    this.#loaded.catch(() => {}) // reported by forward()
  }

  /** The member's connection pool (once undici is loaded). */
  get pool(): Pool {
    return this.#pool as Pool
  }

  probe(health: ResolvedHealthCheck): Promise<void> {
    return httpProbe(this.#member, health, this.#member.url.host, this.options.tls)
  }

  sockets(): { open: number; idle: number } {
    if (this.#pool === undefined) return { open: 0, idle: 0 }
    const { connected, free } = this.#pool.stats
    return { open: connected, idle: free }
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#loaded.catch(() => {})
    // Like the agents' destroy(): the balancer has already waited for its exchanges.
    await this.#pool?.destroy()
  }

  forward(exchange: Exchange): Promise<ForwardResult> {
    if (this.#pool === undefined) {
      return this.#loaded.then(() => {
        if (this.#pool === undefined) throw new BalancerClosedError()
        return this.forward(exchange)
      })
    }
    // At most maxSockets exchanges at once, so undici never queues; the others wait, for
    // connectTimeout at most.
    return forwardQueued(this.queue, exchange, this.#send)
  }

  /** Made once per transport, not per exchange. */
  readonly #send: SendFramed = (exchange, framing) =>
    new Promise<ForwardResult>((resolve, reject) => {
      new UndiciAttempt(this, exchange, resolve, reject).start(framing)
    })
}

/**
 * undici's connector with the member's TLS settings, and the SNI name fixed by them (see
 * {@link tlsConnectOptions}) whatever name the request carries.
 */
function tlsConnector(build: typeof buildConnector, url: URL, options: HttpTransportOptions): buildConnector.connector {
  const { servername, ...tls } = tlsConnectOptions(options.tls, url)
  const connect = build({ ...tls, timeout: options.connectTimeout } as buildConnector.BuildOptions)
  // undici falls back to the name in `host` when given none: an empty `host` (used for nothing
  // else) leaves it none, and the certificate is checked against the address connected to.
  const name = servername === '' ? undefined : servername
  return (opts, callback) => {
    const given = name === undefined ? { ...opts, servername: undefined as unknown as string, host: '' } : { ...opts, servername: name }
    connect(given, ((err: Error | null, socket: Socket | null) => {
      socket?.on('error', endOnTlsError)
      ;(callback as (err: Error | null, socket: Socket | null) => void)(err, socket)
    }) as Parameters<buildConnector.connector>[1])
  }
}

/**
 * A TLS alert after the handshake (TLS 1.3: the connector refuses the client certificate once the
 * request is written) reaches undici as a socket error, but the socket stays open until the
 * member's close, which undici then reports as "other side closed" in its place. Ending the socket
 * with the TLS error keeps that error as the exchange's (`LB_ERR_UPSTREAM_TLS`, the alert as cause).
 */
function endOnTlsError(this: Socket, err: Error): void {
  const code = (err as { code?: unknown }).code
  if (!this.destroyed && typeof code === 'string' && isTlsErrorCode(code)) this.destroy(err)
}

function memberSilent(attempt: UndiciAttempt): void {
  attempt.silent()
}

/** One exchange, and its undici dispatch handler. */
class UndiciAttempt extends HttpAttempt implements Dispatcher.DispatchHandler {
  readonly #transport: UndiciTransport
  #body: ClientBody | undefined
  #abort: ((err?: Error) => void) | undefined
  #resume: (() => void) | undefined
  /** The client went away before undici started the request: abort it when it does. */
  #abandoned = false
  /** A declined head: the member's body is read and dropped (its connection stays usable). */
  #discard = false
  /** Fires when the member has been silent for `timeout` while it owes bytes; unset while the client is the one waited for. */
  #silence: NodeJS.Timeout | undefined

  constructor(transport: UndiciTransport, exchange: Exchange, resolve: (result: ForwardResult) => void, reject: (error: LbError) => void) {
    super(exchange, transport.clientTimeouts, resolve, reject)
    this.#transport = transport
  }

  /**
   * Hands the request to undici: with the client's `Content-Length` (undici fails the exchange if
   * the body it sends differs), or without one for a chunked body, which undici sends chunked.
   */
  start(framing: RequestFraming): void {
    const exchange = this.exchange
    let body: Buffer | ClientBody | null = null
    if (exchange.body !== undefined) body = exchange.body
    else if (framesBody(framing)) body = this.#body = new ClientBody(exchange.req, this)
    try {
      this.#transport.pool.dispatch({
        path: exchange.path,
        method: exchange.method as Dispatcher.HttpMethod,
        headers: headerList(exchange.headers, framing, false),
        body: body as Buffer | null,
        servername: this.#transport.servername,
      } as Dispatcher.DispatchOptions, this)
    } catch (err) {
      this.settle(toGatewayError(err))
    }
  }

  protected release(): void {
    this.#quiet()
    this.#transport.queue.give()
    this.#body?.detach()
  }

  /** Bytes moved, or the member is waited for again: its silence counts from now. */
  #listen(): void {
    if (this.settled) return
    if (this.#silence === undefined) this.#silence = setTimeout(memberSilent, this.#transport.options.timeout, this)
    else this.#silence.refresh()
  }

  /** The client is the one waited for (or the exchange is over): the member's silence does not count. */
  #quiet(): void {
    if (this.#silence === undefined) return
    clearTimeout(this.#silence)
    this.#silence = undefined
  }

  /** The member was silent for `timeout`: the exchange ends with 504 (undici's code for it, mapped in {@link onError}). */
  silent(): void {
    this.#silence = undefined
    if (this.settled) return
    const err = Object.assign(new Error(`no bytes from the member for ${this.#transport.options.timeout} ms`), { code: 'UND_ERR_HEADERS_TIMEOUT' })
    this.#abort?.(err)
    this.onError(err)
  }

  protected abortUpstream(): void {
    // undici reports its own abort to onError at once: not a failure of the member.
    this.#abandoned = true
    this.#abort?.()
  }

  /** undici writes the request on a connected socket now. */
  onConnect(abort: (err?: Error) => void): void {
    if (this.#abandoned) return abort()
    this.#abort = abort
    this.connected = true
    this.#listen()
  }

  onBodySent(chunk: Buffer | number): void {
    this.bytesOut += typeof chunk === 'number' ? chunk : chunk.length
    this.#listen()
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx before the final answer (103 Early Hints, 102 Processing): dropped, as Node's HTTP
    // client drops them for the other two transports. undici calls here for each of them.
    if (this.settled) return true
    this.#listen()
    if (statusCode < 200) return true
    this.#resume = resume
    this.holdHead(statusCode, responseHeadersFromRaw(rawHeaders), statusText)
    // A 204 or 304 has no body whatever its Content-Length says (RFC 9110 §8.6: a 304 may carry
    // the length of the body a 200 would have had). undici checks that length anyway and fails
    // the exchange at its end, so the answer is complete here; undici then closes the connection.
    if ((statusCode === 204 || statusCode === 304) && this.#released()) this.endBody()
    return true
  }

  /** Hands the held head to the balancer before the first body byte or the end; false when it did not take it. */
  #released(): boolean {
    const outcome = this.releaseHead()
    if (outcome === 'declined') this.#discard = true
    else if (outcome === 'invalid') this.#abort?.()
    return outcome === 'sent'
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true
    this.#listen()
    if (this.#discard) return true
    if (this.holdsHead && !this.#released()) return true
    if (this.writeBody(chunk)) return true
    this.#quiet()
    this.awaitClientDrain()
    return false
  }

  protected override resumeMember(): void {
    this.#listen()
    this.#resume?.()
  }

  /** The body iterator waits for the client's next bytes (true), or got them (false). */
  awaitingBody(waiting: boolean): void {
    if (this.settled) return
    if (waiting) {
      this.#quiet()
      this.watch.awaitBody()
    } else {
      this.#listen()
      this.watch.bodyMoved()
    }
  }

  onComplete(): void {
    this.#quiet()
    if (this.#discard || this.settled) return
    if (this.holdsHead && !this.#released()) return
    this.endBody()
  }

  onError(err: Error): void {
    if (this.settled || this.#abandoned) return
    const code = (err as { code?: unknown }).code
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      err = new UpstreamTimeoutError(`the member did not answer within ${this.#transport.options.timeout} ms`, err)
    } else if (code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
      // A body that ended by its framing at another length than its Content-Length: the answer
      // framed itself two ways (say, Content-Length beside Transfer-Encoding), a protocol fault.
      err = Object.assign(new Error(err.message, { cause: err }), { code: 'HPE_UNEXPECTED_CONTENT_LENGTH' })
    } else if (err.name === 'HTTPParserError' && typeof code !== 'string') {
      // undici leaves the code out when the status line is not HTTP at all
      err = Object.assign(new Error(err.message, { cause: err }), { code: 'HPE_INVALID_CONSTANT' })
    }
    if (this.res.headersSent) return this.failBody(err)
    const error = toGatewayError(err)
    if (!this.connected && this.bytesOut === 0) {
      this.settle(error.code === 'LB_ERR_UPSTREAM_CONNECT' ? error : error.code === 'LB_ERR_UPSTREAM_TLS' ? new UpstreamTlsError(error.message, error.cause, true) : new UpstreamConnectError(error.message, error))
    } else {
      this.settle(error)
    }
  }

  onUpgrade(): void {
    // Never asked for: upgrades go through lib/upgrade.
    this.onError(Object.assign(new Error('unexpected upgrade'), { code: 'HPE_UNEXPECTED_UPGRADE' }))
  }
}

/**
 * The client's request body as the async iterable undici pulls the body from: nothing is read
 * before undici writes the request on a connected socket, and nothing is destroyed when the
 * exchange ends early (undici destroys a stream body; the client request must survive to get its
 * 502). Chunks come from `req.read()`, so backpressure is undici's awaiting of the next one.
 */
class ClientBody implements AsyncIterableIterator<Buffer> {
  readonly #req: IncomingMessage
  /** Told when a pull waits for the client, for `clientBodyTimeout`. */
  readonly #attempt: UndiciAttempt
  #waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (err: Error) => void } | undefined
  #listening = false
  #done = false

  constructor(req: IncomingMessage, attempt: UndiciAttempt) {
    this.#req = req
    this.#attempt = attempt
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return this
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.#done) return Promise.reject(bodyCut())
    const req = this.#req
    const chunk = req.read() as Buffer | null
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk })
    if (req.readableEnded) return this.#finish()
    if (req.destroyed) return Promise.reject(Object.assign(new Error('the client closed its request body'), { code: 'ECONNRESET' }))
    if (!this.#listening) {
      this.#listening = true
      req.on('readable', this.#onReadable)
      req.on('end', this.#onReadable)
      req.on('close', this.#onReadable)
    }
    this.#attempt.awaitingBody(true)
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
  }

  async return(): Promise<IteratorResult<Buffer>> {
    this.detach()
    return { done: true, value: undefined }
  }

  /**
   * Takes our listeners off the client request (it is left paused). A pull still waiting fails:
   * undici then destroys the member's connection, so a body cut short never looks complete.
   */
  detach(): void {
    this.#done = true
    if (this.#listening) {
      this.#listening = false
      this.#req.removeListener('readable', this.#onReadable)
      this.#req.removeListener('end', this.#onReadable)
      this.#req.removeListener('close', this.#onReadable)
    }
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.reject(bodyCut())
  }

  #finish(): Promise<IteratorResult<Buffer>> {
    this.detach()
    return Promise.resolve({ done: true, value: undefined })
  }

  readonly #onReadable = (): void => {
    const waiter = this.#waiter
    if (waiter === undefined) return
    const req = this.#req
    const chunk = req.read() as Buffer | null
    if (chunk !== null) {
      this.#waiter = undefined
      this.#attempt.awaitingBody(false)
      waiter.resolve({ done: false, value: chunk })
    } else if (req.readableEnded) {
      this.#waiter = undefined
      this.#attempt.awaitingBody(false)
      this.detach()
      waiter.resolve({ done: true, value: undefined })
    } else if (req.destroyed) {
      this.#waiter = undefined
      waiter.reject(Object.assign(new Error('the client closed its request body'), { code: 'ECONNRESET' }))
    }
  }
}

/** Why a body pull fails once the exchange is over. */
function bodyCut(): Error {
  return Object.assign(new Error('the exchange ended before the request body was sent'), { code: 'ECONNABORTED' })
}

/**
 * Creates the undici transport of one member (`http: { transport: 'undici' }`).
 *
 * @example
 * ```ts
 * const transport = createUndiciTransport(member, { connectTimeout: 5000, timeout: 60_000, maxSockets: 256, maxFreeSockets: 64, idleTimeout: 15_000 })
 * const { status, bytesIn } = await transport.forward(exchange)
 * await transport.close()
 * ```
 */
export function createUndiciTransport(member: Member, options: HttpTransportOptions): Transport {
  return new UndiciTransport(member, options)
}
