/**
 * The node:http transport (`http: { transport: 'node' }`): Node's own `http.request` on a
 * keep-alive agent, without http-proxy-3's per-request passes. Same contract as the two others,
 * same failover safety: the client body is read only once the member's socket is up, so a refused
 * connection leaves the request intact for another member.
 *
 * Per exchange: one {@link NodeHttpAttempt}, the member-bound headers as a flat list (no
 * `setHeader` per field), and listeners that are module functions.
 *
 * @module
 */
import { httpProbe } from '../../health/probes.js'
import type { ResolvedHealthCheck } from '../../health/health-check-options.js'
import http from 'node:http'
import https from 'node:https'
import type { ClientRequest } from 'node:http'
import { toGatewayError } from '../../errors.js'
import type { Member } from '../../members/member.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'
import type { Exchange, ForwardResult, Transport } from '../transport.js'
import { ClientRequestAttempt, onUpstreamError } from './client-request-attempt.js'
import type { ClientRequestTransport } from './client-request-attempt.js'
import { SocketQueue } from './socket-queue.js'
import { forwardQueued } from './queued-forward.js'
import type { SendFramed } from './queued-forward.js'
import { agentSockets, clientTimeoutsOf, createAgent, headerList } from './http-shared.js'
import type { HttpTransportOptions } from './http-shared.js'

/** @internal */
export class NodeHttpTransport implements Transport, ClientRequestTransport {
  readonly preserveHost: boolean
  readonly selfOrigin: string
  readonly upgradeTarget: URL
  readonly #member: Member
  readonly options: HttpTransportOptions
  readonly clientTimeouts: ClientTimeouts
  readonly agent: http.Agent
  readonly request: typeof http.request
  readonly secure: boolean
  readonly host: string
  readonly port: number
  readonly queue: SocketQueue

  constructor(member: Member, options: HttpTransportOptions) {
    this.options = options
    this.#member = member
    this.preserveHost = options.preserveHost ?? false
    this.selfOrigin = member.url.origin.toLowerCase()
    this.upgradeTarget = options.upgradeUrl ?? member.url
    this.clientTimeouts = clientTimeoutsOf(options)
    this.agent = createAgent(member, options)
    this.secure = member.protocol === 'https'
    this.request = this.secure ? https.request : http.request
    this.host = member.url.hostname.replace(/^\[(.*)\]$/, '$1')
    this.port = Number(member.url.port || (this.secure ? 443 : 80))
    this.queue = new SocketQueue(options.maxSockets, options.connectTimeout, member.url.host, options.maxQueue)
  }

  probe(health: ResolvedHealthCheck): Promise<void> {
    return httpProbe(this.#member, health, this.#member.url.host, this.options.tls)
  }

  sockets(): { open: number; idle: number } {
    return agentSockets(this.agent)
  }

  async close(): Promise<void> {
    this.agent.destroy()
  }

  forward(exchange: Exchange): Promise<ForwardResult> {
    // At most maxSockets exchanges at once; the others wait, for connectTimeout at most.
    return forwardQueued(this.queue, exchange, this.#send)
  }

  /** Made once per transport, not per exchange. */
  readonly #send: SendFramed = (exchange, framing) =>
    new Promise<ForwardResult>((resolve, reject) => {
      new NodeHttpAttempt(this, exchange, framing, resolve, reject).start()
    })
}

/** One exchange over `http.request`. */
class NodeHttpAttempt extends ClientRequestAttempt {
  start(): void {
    const transport = this.transport as NodeHttpTransport
    const exchange = this.exchange
    let upstream: ClientRequest
    try {
      upstream = transport.request({
        agent: transport.agent,
        host: transport.host,
        port: transport.port,
        method: exchange.method,
        path: exchange.path,
        headers: headerList(exchange.headers, this.framing),
        setHost: false,
        // The agent arms it on the socket; the request emits 'timeout'.
        timeout: transport.options.timeout,
      })
    } catch (err) {
      return this.settle(toGatewayError(err))
    }
    upstream.on('error', onUpstreamError)
    this.attach(upstream)
  }
}

/**
 * Creates the node:http transport of one member (`http: { transport: 'node' }`).
 *
 * @example
 * ```ts
 * const transport = createNodeHttpTransport(member, { connectTimeout: 5000, timeout: 60_000, maxSockets: 256, maxFreeSockets: 64, idleTimeout: 15_000 })
 * const { status, bytesIn } = await transport.forward(exchange)
 * ```
 */
export function createNodeHttpTransport(member: Member, options: HttpTransportOptions): Transport {
  return new NodeHttpTransport(member, options)
}
