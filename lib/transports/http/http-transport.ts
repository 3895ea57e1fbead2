/**
 * The HTTP transport: forwards exchanges to an `http://` or `https://` member with http-proxy-3
 * over a keep-alive agent of the member's own.
 *
 * http-proxy-3 does the request plumbing; we keep control of three things it leaves open:
 * - keep-alive: without an agent it sends `Connection: close` on every request;
 * - the response head (`selfHandleResponse`): hop-by-hop removal and reverse rewriting are ours;
 * - failover safety: the body is held back ({@link BodyGate}) until the connection is up, so a
 *   refused connection leaves the request intact for another member.
 *
 * @module
 */
import http from 'node:http'
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import { createProxyServer } from 'http-proxy-3'
import type { ProxyServer } from 'http-proxy-3'
import { LbError, UpstreamConnectError, UpstreamTimeoutError, toGatewayError } from '../../errors.js'
import type { Member } from '../../members/member.js'
import type { Exchange, ForwardResult, Transport } from '../transport.js'
import { ClientAbortedError } from '../client-aborted.js'
import { BodyGate } from './body-gate.js'
import { SocketQueue } from './socket-queue.js'
import { agentSockets, createAgent, hasBody, leftToResponse, relayBody, startResponse } from './http-shared.js'
import type { HttpTransportOptions } from './http-shared.js'

export type { HttpTransportOptions } from './http-shared.js'

/** Per-exchange state, found again from the `res` that http-proxy-3 hands to its events. */
interface Pending {
  readonly exchange: Exchange
  readonly gate: BodyGate | undefined
  onProxyReq(proxyReq: ClientRequest, socket: Socket): void
  onProxyRes(proxyRes: IncomingMessage): void
}

/** Removes the `close`/`error` listeners added to `res`/`req` since `before` was taken. */
function dropListenersAddedBy(before: { req: IncomingMessage; res: ServerResponse; close: Function[]; error: Function[] }): void {
  for (const listener of before.res.listeners('close')) {
    if (!before.close.includes(listener)) before.res.off('close', listener as () => void)
  }
  for (const listener of before.req.listeners('error')) {
    if (!before.error.includes(listener)) before.req.off('error', listener as () => void)
  }
}

export class HttpTransport implements Transport {
  readonly #member: Member
  readonly #options: HttpTransportOptions
  readonly #agent: http.Agent
  readonly #proxy: ProxyServer
  readonly #target: URL
  readonly #pending = new WeakMap<ServerResponse, Pending>()
  readonly #queue: SocketQueue

  constructor(member: Member, options: HttpTransportOptions) {
    this.#member = member
    this.#options = options
    this.#agent = createAgent(member, options)
    this.#queue = new SocketQueue(options.maxSockets, options.connectTimeout, member.url.host)
    this.#target = new URL(member.url.origin)
    this.#proxy = createProxyServer({})
    // Errors reach us through the per-call callback; this listener only keeps the emitter from throwing.
    this.#proxy.on('error', () => {})
    this.#proxy.on('proxyReq', (proxyReq, _req, res, _options, socket) => {
      this.#pending.get(res as ServerResponse)?.onProxyReq(proxyReq, socket as Socket)
    })
    this.#proxy.on('proxyRes', (proxyRes, _req, res) => {
      this.#pending.get(res as ServerResponse)?.onProxyRes(proxyRes as IncomingMessage)
    })
  }

  sockets(): { open: number; idle: number } {
    return agentSockets(this.#agent)
  }

  async close(): Promise<void> {
    this.#agent.destroy()
  }

  forward(exchange: Exchange): Promise<ForwardResult> {
    // At most maxSockets exchanges at once; the others wait here, for connectTimeout at most.
    if (this.#queue.tryTake()) return this.#send(exchange)
    return this.#queue.take(exchange.res).then(() => this.#send(exchange))
  }

  #send(exchange: Exchange): Promise<ForwardResult> {
    const { req, res } = exchange
    const options = this.#options
    // A body the balancer buffered is replayable: http-proxy-3 reads a fresh copy of it.
    const buffered = exchange.body
    const gate = buffered === undefined && hasBody(req) ? new BodyGate(req) : undefined

    return new Promise<ForwardResult>((resolve, reject) => {
      let settled = false
      let connected = false
      let status = 0
      let bytesIn = 0
      let connectTimer: NodeJS.Timeout | undefined
      let proxyReq: ClientRequest | undefined

      const settle = (error: LbError | undefined): void => {
        if (settled) return
        settled = true
        this.#queue.give()
        if (connectTimer) clearTimeout(connectTimer)
        this.#pending.delete(res)
        res.off('close', onClientClose)
        if (error) reject(error)
        else resolve({ status, bytesIn, bytesOut: buffered?.length ?? gate?.bytes ?? 0 })
      }

      /** A failure before anything reached the client: retryable only if the client body is untouched. */
      const failBeforeResponse = (error: LbError): void => {
        if (!res.headersSent) {
          gate?.release()
          dropListenersAddedBy(proxyListeners)
        }
        if (!connected && (gate === undefined || gate.bytes === 0) && !res.headersSent) {
          settle(error.code === 'LB_ERR_UPSTREAM_CONNECT' ? error : new UpstreamConnectError(error.message, error))
          return
        }
        settle(error)
      }

      const onConnected = (): void => {
        connected = true
        if (connectTimer) clearTimeout(connectTimer)
        gate?.open()
      }

      this.#pending.set(res, {
        exchange,
        gate,
        onProxyReq: (request, socket) => {
          proxyReq = request
          request.setTimeout(options.timeout, () => {
            request.destroy(new UpstreamTimeoutError(`the member did not answer within ${options.timeout} ms`))
          })
          const connecting = (socket as Socket & { connecting?: boolean }).connecting
          if (!connecting) return onConnected()
          connectTimer = setTimeout(() => {
            const err = Object.assign(new Error(`connect timeout after ${options.connectTimeout} ms`), { code: 'ETIMEDOUT_CONNECT' })
            request.destroy(err)
          }, options.connectTimeout)
          socket.once(this.#member.protocol === 'https' ? 'secureConnect' : 'connect', onConnected)
        },
        onProxyRes: (proxyRes) => {
          status = proxyRes.statusCode ?? 502
          const flow = startResponse(exchange, proxyRes, (error) => {
            dropListenersAddedBy(proxyListeners)
            settle(error)
          })
          if (!flow) return
          relayBody(proxyRes, res, flow, (chunk) => {
            bytesIn += chunk.length
          }, settle)
        },
      })

      const onClientClose = (): void => {
        if (res.writableFinished) settle(undefined)
        else {
          proxyReq?.destroy()
          gate?.release()
          settle(new ClientAbortedError())
        }
      }
      res.once('close', onClientClose)

      // The request and response outlive a failed attempt: what http-proxy-3 hangs on them for this
      // attempt is taken off again before the next one (no listener build-up across failovers).
      const proxyListeners = { res, req, close: res.listeners('close'), error: req.listeners('error') }

      // http-proxy-3 reads url and headers from the request object; lend it the upstream view.
      const savedUrl = req.url
      const savedHeaders = req.headers
      req.url = exchange.path
      req.headers = exchange.headers as http.IncomingHttpHeaders
      try {
        this.#proxy.web(req, res, {
          target: this.#target,
          agent: this.#agent,
          toProxy: true,
          prependPath: false,
          selfHandleResponse: true,
          ...(gate ? { buffer: gate } : buffered ? { buffer: Readable.from([buffered], { objectMode: false }) } : {}),
        }, (err: Error) => {
          if (settled) return
          if (res.headersSent && leftToResponse(err)) {
            proxyReq?.destroy() // the response now ends or aborts, and the relay settles
            return
          }
          const error = toGatewayError(err)
          if (res.headersSent) {
            settle(error)
            res.destroy()
          } else failBeforeResponse(error)
        })
      } finally {
        req.url = savedUrl
        req.headers = savedHeaders
      }
    })
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
