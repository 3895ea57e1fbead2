/**
 * Tiny in-process HTTP upstreams on port 0 for tests of edge cases Tomcat cannot produce.
 * Never a replacement for the Tomcat tests.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'

export interface FakeUpstream {
  readonly name: string
  readonly url: string
  readonly server: http.Server
  /** Requests seen, in order. */
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[]
  close(): Promise<void>
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, name: string) => void

/** Answers JSON describing the request, including the body's length and SHA-256. */
export const echoHandler: UpstreamHandler = (req, res, name) => {
  const hash = createHash('sha256')
  let length = 0
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    length += chunk.length
  })
  req.on('end', () => {
    const body = JSON.stringify({ node: name, method: req.method, url: req.url, headers: req.headers, length, sha256: hash.digest('hex') })
    res.writeHead(200, { 'content-type': 'application/json', 'x-node': name })
    res.end(body)
  })
}

export interface StartUpstreamOptions {
  /** Listen on this port instead of port 0 (to bring back a member that was dead on it). */
  port?: number
}

export async function startUpstream(name: string, handler: UpstreamHandler = echoHandler, options: StartUpstreamOptions = {}): Promise<FakeUpstream> {
  const seen: FakeUpstream['seen'] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    handler(req, res, name)
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const upstream: FakeUpstream = {
    name,
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  onTestFinished(() => upstream.close())
  return upstream
}

/**
 * Dead ports come from 21000-21999: below the kernel's ephemeral range (32768 and up, where every
 * `listen(0)` of the suite lands) and away from the fixed ports of Tomcat nodes and benchmarks. A
 * port that was merely free a moment ago could be taken by another test's server that never
 * answers, and a request meant to be refused would hang instead.
 */
const DEAD_PORTS = { first: 21000, last: 21999 }
// Each worker process starts at its own place in the range (spread by pid), so concurrent workers
// rarely probe the same ports.
let nextDeadPort = DEAD_PORTS.first + ((process.pid * 131) % (DEAD_PORTS.last - DEAD_PORTS.first))

/** Whether nothing listens on `port` of 127.0.0.1 now. */
function isFreePort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = http.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A URL on which nothing listens, and nothing of the suite will (a new port at each call). */
export async function deadUrl(): Promise<string> {
  for (let tries = 0; tries <= DEAD_PORTS.last - DEAD_PORTS.first; tries++) {
    const port = nextDeadPort
    nextDeadPort = port >= DEAD_PORTS.last ? DEAD_PORTS.first : port + 1
    if (await isFreePort(port)) return `http://127.0.0.1:${port}`
  }
  throw new Error(`no free port in ${DEAD_PORTS.first}-${DEAD_PORTS.last} for a dead member`)
}

/** Starts a plain node:http server on port 0 around a request handler; closed after the test. */
export async function startFront(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  onTestFinished(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${port}`, server }
}

/** Counts the TCP connections a server accepts (keep-alive checks). */
export function countConnections(server: http.Server): { readonly count: number } {
  let count = 0
  server.on('connection', () => {
    count++
  })
  return {
    get count() {
      return count
    },
  }
}

/**
 * A handler that streams `total` bytes slowly (one `chunkSize` write every `intervalMs`, with
 * backpressure) and reports how its response ended: `finished`, or `aborted` when the socket was
 * closed under it.
 */
export function slowDownload(total: number, chunkSize = 64 * 1024, intervalMs = 5): {
  handler: UpstreamHandler
  outcome: Promise<'finished' | 'aborted'>
} {
  let report!: (value: 'finished' | 'aborted') => void
  const outcome = new Promise<'finished' | 'aborted'>((resolve) => {
    report = resolve
  })
  const handler: UpstreamHandler = (_req, res) => {
    const chunk = Buffer.alloc(chunkSize, 0x61)
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    res.on('close', () => {
      if (timer) clearTimeout(timer)
      report(res.writableFinished ? 'finished' : 'aborted')
    })
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total })
    const step = (): void => {
      timer = undefined
      if (res.destroyed) return
      const size = Math.min(chunkSize, total - sent)
      sent += size
      const more = res.write(size === chunkSize ? chunk : chunk.subarray(0, size))
      if (sent >= total) return void res.end()
      if (more) timer = setTimeout(step, intervalMs)
      else res.once('drain', () => (timer = setTimeout(step, intervalMs)))
    }
    step()
  }
  return { handler, outcome }
}

export interface HttpResult {
  status: number
  statusMessage: string
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export interface HttpRequestOptions {
  method?: string
  headers?: http.OutgoingHttpHeaders
  /** A buffer or string is sent with a Content-Length; chunks of an iterable are sent chunked. */
  body?: Buffer | string | Iterable<Buffer> | AsyncIterable<Buffer>
  /** The whole exchange must end within this many ms, or the promise rejects. Default: 5000. */
  timeoutMs?: number
}

/**
 * A small `node:http` client: resolves with the complete response, rejects when the response is
 * cut short (aborted, reset) or when the exchange takes longer than `timeoutMs`.
 */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResult> {
  const { method = 'GET', headers = {}, body, timeoutMs = 5_000 } = options
  return new Promise<HttpResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy(new Error(`client timeout: no complete response within ${timeoutMs} ms`))
    }, timeoutMs)
    const fail = (err: Error): void => {
      clearTimeout(timer)
      reject(err)
    }
    const fixedBody = typeof body === 'string' || Buffer.isBuffer(body) ? body : undefined
    const req = http.request(url, {
      method,
      agent: false,
      headers: fixedBody === undefined ? headers : { 'content-length': Buffer.byteLength(fixedBody), ...headers },
    })
    req.on('error', fail)
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', fail)
      res.on('aborted', () => fail(new Error('response aborted')))
      res.on('close', () => {
        if (!res.complete) fail(new Error('response closed before it was complete'))
      })
      res.on('end', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) })
      })
    })
    if (body === undefined || fixedBody !== undefined) {
      req.end(fixedBody)
      return
    }
    void (async () => {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r))
      }
      req.end()
    })().catch((err: Error) => req.destroy(err))
  })
}

/** A JSON body, parsed. */
export function json<T = Record<string, unknown>>(result: HttpResult): T {
  return JSON.parse(result.body.toString('utf8')) as T
}

/** The HTTP transports (`http.transport`). */
export type HttpTransportName = 'http-proxy-3' | 'node' | 'undici'
export const HTTP_TRANSPORTS: readonly HttpTransportName[] = ['http-proxy-3', 'node', 'undici']

/** The transport of the {@link forEachHttpTransport} block that runs now. */
let testedHttpTransport: HttpTransportName | undefined

/**
 * Runs `suite` once per HTTP transport, in a `describe` each: balancers made meanwhile through
 * {@link withTestedHttpTransport} (every helper here and in test/reliability/support/hosts.ts)
 * use that transport unless their options name one.
 */
export function forEachHttpTransport(suite: (transport: HttpTransportName) => void): void {
  describe.each(HTTP_TRANSPORTS)('on the %s transport', (transport) => {
    beforeAll(() => {
      testedHttpTransport = transport
    })
    afterAll(() => {
      testedHttpTransport = undefined
    })
    suite(transport)
  })
}

/** `options` with the transport of the running {@link forEachHttpTransport} block, if any and unless they name one. */
export function withTestedHttpTransport(options: BalancerOptions): BalancerOptions {
  const transport = testedHttpTransport
  if (transport === undefined || options.http?.transport !== undefined) return options
  return { ...options, http: { ...options.http, transport } }
}

/**
 * Starts a balancer behind a bare `node:http` front on port 0 (no `next`: excluded paths get 404,
 * errors a short plain-text answer). Logging is off and `closeTimeout` is short unless given.
 * After the test the front's connections are cut first, then the balancer is closed.
 */
export async function startBalancer(options: BalancerOptions): Promise<{ balancer: Balancer; url: string; server: http.Server }> {
  const balancer = createBalancer({ logger: false, closeTimeout: 500, ...withTestedHttpTransport(options) })
  const server = http.createServer((req, res) => void balancer.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  onTestFinished(async () => {
    server.closeAllConnections()
    await balancer.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { balancer, url: `http://127.0.0.1:${port}`, server }
}

/**
 * Use as `beforeEach(guardProcess)`: a test fails when anything during it reaches
 * `uncaughtException` or `unhandledRejection` (nothing may crash the process).
 */
export function guardProcess(): () => void {
  const errors: unknown[] = []
  const record = (err: unknown): void => {
    errors.push(err)
  }
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
  return () => {
    process.off('uncaughtException', record)
    process.off('unhandledRejection', record)
    expect(errors, 'errors that would crash the process').toEqual([])
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => boolean, timeoutMs = 2_000, intervalMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (check()) return true
    if (Date.now() >= deadline) return false
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}
