/**
 * The http-proxy-3 transport (`http: { transport: 'http-proxy-3' }`): forwards exchanges to an
 * `http://` or `https://` member with http-proxy-3 over a keep-alive agent of the member's own.
 *
 * http-proxy-3 builds and sends the member-bound request (`setupOutgoing`, its `stream` pass);
 * we keep control of five things it leaves open:
 * - the request line and the body's framing: its own rewriting (the `deleteLength` pass adds
 *   `Content-Length: 0` to a `DELETE`/`OPTIONS` without one; `urlJoin` may reshape the path) is
 *   undone before the head is written: the member gets exactly our path, and the client's own
 *   framing (see {@link requestFraming}), never a body after a head that does not announce it;
 * - keep-alive: without an agent it sends `Connection: close` on every request;
 * - the response head (`selfHandleResponse`): hop-by-hop removal and reverse rewriting are ours;
 * - failover safety: http-proxy-3 pipes its `buffer` option into the request; ours is the
 *   exchange's {@link ProxyAttempt}, whose `pipe` starts the body only once the member's socket is
 *   connected, so a refused connection leaves the request intact for another member;
 * - per-exchange cost: the attempt takes the request straight from that `pipe` call and listens
 *   to it itself, so nothing is looked up per event and no emitter event of the proxy is used.
 *
 * @module
 */
import { httpProbe } from '../../health/probes.js'
import type { ResolvedHealthCheck } from '../../health/health-check-options.js'
import type http from 'node:http'
import type { ClientRequest } from 'node:http'
import type { Socket } from 'node:net'
import type { Stream } from 'node:stream'
import { createProxyServer } from 'http-proxy-3'
import type { ProxyServer } from 'http-proxy-3'
import { InvalidOptionError } from '../../errors.js'
import type { LbError } from '../../errors.js'
import type { Member } from '../../members/member.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'
import type { Exchange, ForwardResult, Transport } from '../transport.js'
import { ClientRequestAttempt } from './client-request-attempt.js'
import type { ClientRequestTransport } from './client-request-attempt.js'
import { SocketQueue } from './socket-queue.js'
import { forwardQueued } from './queued-forward.js'
import type { SendFramed } from './queued-forward.js'
import { agentSockets, clientTimeoutsOf, createAgent } from './http-shared.js'
import type { HttpTransportOptions } from './http-shared.js'

export type { HttpTransportOptions } from './http-shared.js'

/** @internal */
export class HttpTransport implements Transport, ClientRequestTransport {
  readonly preserveHost: boolean
  readonly selfOrigin: string
  readonly upgradeTarget: URL
  readonly #member: Member
  readonly options: HttpTransportOptions
  readonly clientTimeouts: ClientTimeouts
  readonly secure: boolean
  readonly queue: SocketQueue
  readonly #agent: http.Agent
  readonly proxy: ProxyServer

  constructor(member: Member, options: HttpTransportOptions) {
    // http-proxy-3 then sends every request with fetch, past pipe() and so past our framing.
    if (process.env.FORCE_FETCH_PATH === 'true') {
      throw new InvalidOptionError('FORCE_FETCH_PATH=true makes http-proxy-3 send requests the balancer cannot frame; unset it, or set http.transport to \'undici\' (the default) or \'node\'')
    }
    this.options = options
    this.#member = member
    this.preserveHost = options.preserveHost ?? false
    this.selfOrigin = member.url.origin.toLowerCase()
    this.upgradeTarget = options.upgradeUrl ?? member.url
    this.clientTimeouts = clientTimeoutsOf(options)
    this.secure = member.protocol === 'https'
    this.#agent = createAgent(member, options)
    this.queue = new SocketQueue(options.maxSockets, options.connectTimeout, member.url.host, options.maxQueue)
    // Everything that is the same for every exchange is given once; http-proxy-3 copies it per call.
    this.proxy = createProxyServer({
      target: new URL(member.url.origin),
      agent: this.#agent,
      toProxy: true,
      prependPath: false,
      selfHandleResponse: true,
    })
    // Errors reach us through the per-call callback; this listener only keeps the emitter from throwing.
    this.proxy.on('error', () => {})
  }

  probe(health: ResolvedHealthCheck): Promise<void> {
    return httpProbe(this.#member, health, this.#member.url.host, this.options.tls)
  }

  sockets(): { open: number; idle: number } {
    return agentSockets(this.#agent)
  }

  async close(): Promise<void> {
    this.#agent.destroy()
  }

  forward(exchange: Exchange): Promise<ForwardResult> {
    // At most maxSockets exchanges at once; the others wait, for connectTimeout at most.
    return forwardQueued(this.queue, exchange, this.#send)
  }

  /** Made once per transport, not per exchange. */
  readonly #send: SendFramed = (exchange, framing) =>
    new Promise<ForwardResult>((resolve, reject) => {
      new ProxyAttempt(this, exchange, framing, resolve, reject).start()
    })
}

/**
 * One exchange through http-proxy-3. It is also the `buffer` http-proxy-3 pipes into the member's
 * request: {@link ProxyAttempt.pipe} is where the request reaches us.
 */
class ProxyAttempt extends ClientRequestAttempt {
  /** Listener counts before http-proxy-3 added its own to `res` ('close') and `req` ('error'). */
  #closeListeners = 0
  #errorListeners = 0
  /** http-proxy-3's error callback for this attempt only (a late error of an earlier attempt must not reach a later one). */
  readonly #onProxyError = (err: Error): void => this.upstreamFailed(err)

  start(): void {
    const { req, res } = this.exchange
    // The request and response outlive a failed attempt: what http-proxy-3 hangs on them for this
    // attempt is taken off again before the next one (no listener build-up across failovers).
    this.#closeListeners = res.listenerCount('close')
    this.#errorListeners = req.listenerCount('error')
    // http-proxy-3 reads url and headers from the request object; lend it the member-bound view.
    const savedUrl = req.url
    const savedHeaders = req.headers
    const headers = this.exchange.headers
    const length = headers['content-length']
    req.url = this.exchange.path
    req.headers = headers as http.IncomingHttpHeaders
    try {
      ;(this.transport as HttpTransport).proxy.web(req, res, { buffer: this as unknown as Stream }, this.#onProxyError)
    } finally {
      req.url = savedUrl
      req.headers = savedHeaders
      // its deleteLength pass writes into the object it was lent
      if (length === undefined) delete headers['content-length']
    }
  }

  /** Called by http-proxy-3 with the member-bound request it just made (its head not yet written). */
  pipe(upstream: ClientRequest): ClientRequest {
    this.#frame(upstream)
    this.attach(upstream)
    return upstream
  }

  /**
   * Makes the member-bound head exactly ours: our path, and the client's framing, whatever
   * http-proxy-3 derived from the method (see {@link requestFraming}).
   */
  #frame(upstream: ClientRequest): void {
    const path = this.exchange.path
    if (upstream.path !== path) upstream.path = path
    const framing = this.framing
    if (framing === 'chunked') {
      if (upstream.hasHeader('content-length')) upstream.removeHeader('content-length')
      upstream.setHeader('transfer-encoding', 'chunked')
      return
    }
    if (upstream.hasHeader('transfer-encoding')) upstream.removeHeader('transfer-encoding')
    if (framing !== 'none') upstream.setHeader('content-length', String(framing))
    else if (upstream.hasHeader('content-length')) upstream.removeHeader('content-length')
  }

  override socketAssigned(socket: Socket): void {
    ;(this.upstream as ClientRequest).setTimeout(this.transport.options.timeout)
    super.socketAssigned(socket)
  }

  override settle(error: LbError | undefined): void {
    if (!this.settled && error !== undefined && !this.res.headersSent) this.#dropProxyListeners()
    super.settle(error)
  }

  #dropProxyListeners(): void {
    const { req, res } = this.exchange
    for (const listener of res.rawListeners('close').slice(this.#closeListeners)) res.removeListener('close', listener as () => void)
    for (const listener of req.rawListeners('error').slice(this.#errorListeners)) req.removeListener('error', listener as () => void)
  }
}

/**
 * Creates the HTTP transport of one member (http-proxy-3 over a keep-alive agent of its own);
 * the balancer makes one per `http://` or `https://` member.
 *
 * @example
 * ```ts
 * const member = new Member({ url: new URL('http://127.0.0.1:8081'), route: 'TomcatA', weight: 1, admin: 'active' })
 * const transport = createHttpTransport(member, { connectTimeout: 5000, timeout: 60_000, maxSockets: 256, maxFreeSockets: 64, idleTimeout: 15_000 })
 * const { status } = await transport.forward(exchange)
 * await transport.close()
 * ```
 */
export function createHttpTransport(member: Member, options: HttpTransportOptions): Transport {
  return new HttpTransport(member, options)
}
