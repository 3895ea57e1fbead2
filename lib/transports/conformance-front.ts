/**
 * The front and the client of the transport conformance suite: a node:http server that turns each
 * request into an {@link Exchange} and hands it to the transport under test, as the balancer does,
 * recording each outcome with what had reached the client when it settled; and a plain client that
 * reports aborted responses instead of throwing.
 *
 * @module
 * @internal
 */
import http from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { toGatewayError } from '../errors.js'
import type { LbError } from '../errors.js'
import type { Member } from '../members/member.js'
import type { Exchange, ForwardResult, ResponseHeaders, Transport } from './transport.js'

/** The outcome of one `forward()`, with what had reached the client when it settled. */
export interface Outcome {
  readonly result?: ForwardResult
  readonly error?: LbError
  /** Whether the client response head was written when the promise settled. */
  readonly headersSent: boolean
  /** Whether the client request body had been read (in part or whole) when a retryable error came. */
  readonly bodyLeft?: Buffer
}

export interface Front {
  readonly url: string
  readonly port: number
  /** Resolves with the next outcome, in completion order. */
  nextOutcome(): Promise<Outcome>
  /** The next forward declines heads with these statuses (`sendResponseHead` returns false). */
  decline: Set<number>
  close(): Promise<void>
}

/** A front that turns each request into an {@link Exchange}, as the balancer does. */
export async function startFront(transport: Transport, member: Member, front: { decline: Set<number> }): Promise<Front> {
  const outcomes: Outcome[] = []
  const waiters: Array<(o: Outcome) => void> = []
  const record = (o: Outcome): void => {
    const waiter = waiters.shift()
    if (waiter) waiter(o)
    else outcomes.push(o)
  }
  const server = http.createServer((req, res) => {
    transport.forward(exchangeOf(req, res, member, front.decline)).then(
      (result) => record({ result, headersSent: res.headersSent }),
      (err: unknown) => {
        const error = toGatewayError(err)
        const headersSent = res.headersSent
        if (headersSent || res.destroyed) return record({ error, headersSent })
        if (error.code === 'LB_ERR_UPSTREAM_CONNECT' || error.code === 'LB_ERR_UPSTREAM_BUSY') {
          // What another member would get: the rest of the client's body, read now.
          const chunks: Buffer[] = []
          req.on('data', (c: Buffer) => chunks.push(c))
          req.on('end', () => {
            const bodyLeft = Buffer.concat(chunks)
            record({ error, headersSent, bodyLeft })
            res.writeHead(error.statusCode, { 'x-error-code': error.code }).end(bodyLeft)
          })
          req.resume()
          return
        }
        record({ error, headersSent })
        res.writeHead(error.statusCode, { 'x-error-code': error.code }).end()
      },
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    decline: front.decline,
    nextOutcome: () => {
      const o = outcomes.shift()
      return o ? Promise.resolve(o) : new Promise<Outcome>((resolve) => waiters.push(resolve))
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection'])

function exchangeOf(req: IncomingMessage, res: ServerResponse, member: Member, decline: ReadonlySet<number>): Exchange {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
  headers.host = member.url.host
  const socket = req.socket
  return {
    req,
    res,
    member,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers,
    client: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, localAddress: socket.localAddress ?? '', localPort: socket.localPort ?? 0, secure: false },
    publicHost: req.headers.host ?? '127.0.0.1',
    sendResponseHead(status: number, responseHeaders: ResponseHeaders, statusMessage?: string): boolean {
      if (decline.has(status)) return false
      const out: Record<string, string | string[]> = {}
      for (const [name, value] of Object.entries(responseHeaders)) if (!HOP_BY_HOP.has(name)) out[name] = value
      if (statusMessage === undefined) res.writeHead(status, out)
      else res.writeHead(status, statusMessage, out)
      return true
    },
  }
}

/** What the client got. */
export interface Reply {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: Buffer
  /** The response was cut off (or never came: the connection was closed). */
  readonly aborted: boolean
}

export interface CallOptions {
  readonly method?: string
  readonly path?: string
  readonly headers?: Record<string, string>
  /** The body, sent whole; or `chunks`, sent one by one, each after `beforeChunk` resolved. */
  readonly body?: string
  readonly chunks?: readonly Buffer[]
  readonly beforeChunk?: (index: number) => Promise<void>
  /** Called with the response head; the client request is destroyed when it returns true. */
  readonly abortOnHead?: boolean
}

/** A plain client request, no keep-alive; aborted responses are reported, not thrown. */
export function call(port: number, options: CallOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path ?? '/', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      let aborted = false
      if (options.abortOnHead) {
        req.destroy()
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), aborted: true })
      }
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('aborted', () => void (aborted = true))
      res.on('error', () => void (aborted = true))
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), aborted: aborted || !res.complete }))
    })
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || options.abortOnHead) resolve({ status: 0, headers: {}, body: Buffer.alloc(0), aborted: true })
      else reject(err)
    })
    if (options.chunks === undefined) return void req.end(options.body)
    void (async () => {
      for (const [i, chunk] of options.chunks!.entries()) {
        await options.beforeChunk?.(i)
        req.write(chunk)
      }
      req.end()
    })().catch((err: Error) => req.destroy(err))
  })
}

/** Polls `check` until it holds; fails after `ms` (generous: the machine may be loaded). */
export async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
