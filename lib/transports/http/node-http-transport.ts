/**
 * A second HTTP transport on Node's own `http.request` and a keep-alive agent, without
 * http-proxy-3's per-request passes. Same contract, same failover safety: the client body is read
 * only once the member's socket is up, so a refused connection leaves the request intact for
 * another member. Chosen with `http: { transport: 'node' }`; http-proxy-3 stays the default.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import type { ClientRequest, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'
import type { LbError } from '../../errors.js'
import { UpstreamConnectError, UpstreamTimeoutError, toGatewayError } from '../../errors.js'
import type { Member } from '../../members/member.js'
import { ClientAbortedError } from '../client-aborted.js'
import type { Exchange, ForwardResult, Transport } from '../transport.js'
import { SocketQueue } from './socket-queue.js'
import { agentSockets, createAgent, hasBody, headerList, leftToResponse, relayBody, startResponse } from './http-shared.js'
import type { HttpTransportOptions } from './http-shared.js'

export class NodeHttpTransport implements Transport {
  readonly #options: HttpTransportOptions
  readonly #agent: http.Agent
  readonly #request: typeof http.request
  readonly #host: string
  readonly #port: number
  readonly #queue: SocketQueue

  constructor(member: Member, options: HttpTransportOptions) {
    this.#options = options
    this.#agent = createAgent(member, options)
    this.#request = member.protocol === 'https' ? https.request : http.request
    this.#host = member.url.hostname.replace(/^\[(.*)\]$/, '$1')
    this.#port = Number(member.url.port || (member.protocol === 'https' ? 443 : 80))
    this.#queue = new SocketQueue(options.maxSockets, options.connectTimeout, member.url.host)
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
    const buffered = exchange.body
    const withBody = buffered === undefined && hasBody(req)

    return new Promise<ForwardResult>((resolve, reject) => {
      let settled = false
      let connected = false
      let status = 0
      let bytesIn = 0
      let bytesOut = 0
      let connectTimer: NodeJS.Timeout | undefined

      const upstream: ClientRequest = this.#request({
        agent: this.#agent,
        host: this.#host,
        port: this.#port,
        method: exchange.method,
        path: exchange.path,
        headers: headerList(exchange.headers),
        setHost: false,
      })

      const settle = (error: LbError | undefined): void => {
        if (settled) return
        settled = true
        this.#queue.give()
        if (connectTimer) clearTimeout(connectTimer)
        res.off('close', onClientClose)
        if (withBody) req.unpipe(upstream)
        if (error) reject(error)
        else resolve({ status, bytesIn, bytesOut })
      }

      const onClientClose = (): void => {
        if (res.writableFinished) return settle(undefined)
        upstream.destroy()
        settle(new ClientAbortedError())
      }
      res.once('close', onClientClose)

      const sendBody = (): void => {
        connected = true
        if (connectTimer) clearTimeout(connectTimer)
        if (buffered !== undefined) {
          bytesOut = buffered.length
          upstream.end(buffered)
          return
        }
        if (!withBody) return
        req.on('data', (chunk: Buffer) => {
          bytesOut += chunk.length
        })
        req.pipe(upstream) // backpressure both ways; ended by the client's end
      }

      upstream.on('socket', (socket: Socket) => {
        upstream.setTimeout(options.timeout, () => {
          upstream.destroy(new UpstreamTimeoutError(`the member did not answer within ${options.timeout} ms`))
        })
        if (!socket.connecting) return sendBody()
        connectTimer = setTimeout(() => {
          upstream.destroy(Object.assign(new Error(`connect timeout after ${options.connectTimeout} ms`), { code: 'ETIMEDOUT_CONNECT' }))
        }, options.connectTimeout)
        socket.once(this.#request === https.request ? 'secureConnect' : 'connect', sendBody)
      })

      upstream.on('error', (err: Error) => {
        if (settled) return
        if (res.headersSent && leftToResponse(err)) {
          upstream.destroy() // the response now ends or aborts, and the relay settles
          return
        }
        const error = toGatewayError(err)
        if (res.headersSent) {
          settle(error)
          res.destroy()
        } else if (!connected && bytesOut === 0) {
          settle(error.code === 'LB_ERR_UPSTREAM_CONNECT' ? error : new UpstreamConnectError(error.message, error))
        } else {
          settle(error)
        }
      })

      upstream.on('response', (response: IncomingMessage) => {
        status = response.statusCode ?? 502
        const flow = startResponse(exchange, response, settle)
        if (!flow) return
        relayBody(response, res, flow, (chunk) => {
          bytesIn += chunk.length
        }, settle)
      })

      if (!withBody && buffered === undefined) upstream.end()
    })
  }
}

export function createNodeHttpTransport(member: Member, options: HttpTransportOptions): Transport {
  return new NodeHttpTransport(member, options)
}
