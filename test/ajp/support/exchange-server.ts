/**
 * A tiny front server on 127.0.0.1:0 that turns each request into an {@link Exchange} and hands it
 * to a transport, the way the balancer will. Errors before the head become a status page with the
 * error code, like the adapters render them.
 *
 * @module
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toGatewayError, type LbError } from '../../../lib/errors.js'
import { Member } from '../../../lib/members/member.js'
import type { Exchange, ForwardResult, ResponseHeaders, Transport } from '../../../lib/transports/transport.js'

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization'])

export function ajpMember(port: number, route = 'fake'): Member {
  return new Member({ url: new URL(`ajp://127.0.0.1:${port}`), route, weight: 1, admin: 'active' })
}

export function buildExchange(req: IncomingMessage, res: ServerResponse, member: Member): Exchange {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
  }
  const socket = req.socket
  headers['x-forwarded-for'] = socket.remoteAddress ?? ''
  return {
    req,
    res,
    member,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers,
    client: {
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      secure: false,
    },
    publicHost: req.headers.host ?? `${socket.localAddress}:${socket.localPort}`,
    sendResponseHead(status: number, responseHeaders: ResponseHeaders, statusMessage?: string): boolean {
      for (const [name, value] of Object.entries(responseHeaders)) res.setHeader(name, value)
      if (statusMessage === undefined) res.writeHead(status)
      else res.writeHead(status, statusMessage)
      return true
    },
  }
}

export interface Outcome {
  result?: ForwardResult
  error?: LbError
}

export interface FrontServer {
  readonly port: number
  /** Outcomes of forwarded requests, in completion order. */
  readonly outcomes: Outcome[]
  /** The client requests, in arrival order. */
  readonly requests: IncomingMessage[]
  /** Resolves with the next outcome (one already recorded and not yet taken, or a future one). */
  nextOutcome(): Promise<Outcome>
  close(): Promise<void>
}

export interface FrontOptions {
  /** Called with each client request before it is forwarded. */
  readonly beforeForward?: (req: IncomingMessage) => void
}

export async function startFront(transport: Transport, member: Member, options: FrontOptions = {}): Promise<FrontServer> {
  const outcomes: Outcome[] = []
  const requests: IncomingMessage[] = []
  let taken = 0
  const waiters: Array<() => void> = []
  const record = (o: Outcome): void => {
    outcomes.push(o)
    waiters.shift()?.()
  }
  const server: Server = createServer((req, res) => {
    requests.push(req)
    options.beforeForward?.(req)
    transport.forward(buildExchange(req, res, member)).then(
      (result) => record({ result }),
      (err: unknown) => {
        const error = toGatewayError(err)
        record({ error })
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(error.statusCode, { 'content-type': 'text/plain', 'x-error-code': error.code })
          res.end(String((error.cause as { code?: string } | undefined)?.code ?? error.code))
        }
      },
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    outcomes,
    requests,
    async nextOutcome() {
      if (outcomes.length <= taken) await new Promise<void>((resolve) => waiters.push(resolve))
      return outcomes[taken++] as Outcome
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface ClientReply {
  status: number
  headers: IncomingMessage['headers']
  body: Buffer
  /** True when the response was cut off (aborted) instead of ending. */
  aborted: boolean
}

/** A plain HTTP client call, no keep-alive, that reports aborted responses instead of throwing. */
export function call(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string | string[]>; body?: Buffer | string | AsyncIterable<Buffer> },
): Promise<ClientReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      let aborted = false
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('aborted', () => {
        aborted = true
      })
      res.on('error', () => {
        aborted = true
      })
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), aborted: aborted || !res.complete }))
    })
    // A response cut off before its head reached the client is an aborted response too.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') resolve({ status: 0, headers: {}, body: Buffer.alloc(0), aborted: true })
      else reject(err)
    })
    const body = options.body
    if (body === undefined) req.end()
    else if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
    else {
      void (async () => {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r))
        req.end()
      })()
    }
  })
}
