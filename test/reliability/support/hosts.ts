/**
 * Fixtures of the reliability suite that live for a whole `describe` (started in `beforeAll`,
 * closed in `afterAll`): the three host kinds around one balancer, members that record exactly
 * what reached them (HTTP and AJP), a raw-socket client for hostile bytes, and a logger that keeps
 * its lines. Everything listens on 127.0.0.1:0.
 *
 * @module
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import Koa from 'koa'
import { createBalancer } from '../../../lib/balancer.js'
import type { Balancer } from '../../../lib/balancer.js'
import type { Logger } from '../../../lib/logger.js'
import type { BalancerOptions } from '../../../lib/options.js'
import { HTTP_TRANSPORTS, withTestedHttpTransport } from '../../support/fake-upstream.js'
import type { HttpTransportName } from '../../support/fake-upstream.js'
import { stickyBalancer as expressBalancer } from '../../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../../adapters/koa/index.js'
import {
  endResponse,
  getBodyChunk,
  sendBody,
  sendHeaders,
  serveLoop,
  startFakeAjp,
  type DecodedForward,
  type FakeAjpServer,
} from '../../ajp/support/fake-ajp-server.js'

export type HostKind = 'express' | 'koa' | 'bare'
export const HOST_KINDS: readonly HostKind[] = ['express', 'koa', 'bare']

/** A member behind the balancer: an HTTP member on one HTTP transport, or an AJP member. */
export interface MemberSetup {
  readonly kind: 'http' | 'ajp'
  /** `http.transport` for an HTTP member. */
  readonly transport: HttpTransportName | undefined
  /** For test titles: `http (node)`, `ajp`. */
  readonly label: string
}

/** An HTTP member on each HTTP transport, then an AJP member: the per-transport suites run each. */
export const MEMBER_SETUPS: readonly MemberSetup[] = [
  ...HTTP_TRANSPORTS.map((transport): MemberSetup => ({ kind: 'http', transport, label: `http (${transport})` })),
  { kind: 'ajp', transport: undefined, label: 'ajp' },
]

/** `options` with the setup's HTTP transport (unchanged for an AJP member). */
export function onTransportOf(setup: MemberSetup, options: BalancerOptions): BalancerOptions {
  return setup.transport === undefined ? options : { ...options, http: { ...options.http, transport: setup.transport } }
}

export interface LogLine {
  level: keyof Logger
  msg: string
  obj: Record<string, unknown>
}

/** A pino-compatible logger that records every line. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = []
  const at = (level: keyof Logger) => (obj: object, msg?: string): void => {
    lines.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> })
  }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

export interface Host {
  readonly kind: HostKind
  readonly port: number
  readonly url: string
  readonly balancer: Balancer
  readonly server: http.Server
  /** Errors the framework's error handling received. */
  readonly errors: unknown[]
  close(): Promise<void>
}

/**
 * Starts a host of `kind` with the balancer mounted at the root. A request the balancer passes on
 * (`next()`) gets 404 `next`; an error gets its `statusCode` (Express error middleware, Koa's own).
 * `backlog` is the listen queue (Node's default 511 is too short for thousands of connects at once).
 */
export async function startHost(kind: HostKind, options: BalancerOptions, serverOptions: http.ServerOptions = {}, { backlog }: { backlog?: number } = {}): Promise<Host> {
  const balancer = createBalancer({ logger: false, closeTimeout: 500, ...withTestedHttpTransport(options) })
  const errors: unknown[] = []
  let listener: http.RequestListener
  if (kind === 'express') {
    const app = express()
    app.use(expressBalancer(balancer))
    app.use((_req: Request, res: Response) => void res.status(404).type('text').send('next'))
    // As Express's own final handler does: the error's status and headers (`Allow`, `Connection`);
    // an exposed message is shown.
    app.use((err: { statusCode?: number; expose?: boolean; message?: string; headers?: Record<string, string> }, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(err)
      if (err.headers) res.set(err.headers)
      res.status(err.statusCode ?? 500).type('text').send(err.expose ? `error: ${err.message}` : 'error')
    })
    listener = app
  } else if (kind === 'koa') {
    const app = new Koa()
    app.silent = true
    app.on('error', (err: unknown) => void errors.push(err))
    app.use(koaBalancer(balancer))
    app.use((ctx) => {
      ctx.status = 404
      ctx.body = 'next'
    })
    listener = app.callback()
  } else {
    listener = (req, res) => void balancer.handle(req, res)
  }
  const server = http.createServer(serverOptions, listener)
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', ...(backlog ? { backlog } : {}) }, resolve))
  const { port } = server.address() as AddressInfo
  return {
    kind,
    port,
    url: `http://127.0.0.1:${port}`,
    balancer,
    server,
    errors,
    async close() {
      server.closeAllConnections()
      await balancer.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** What a member saw of one request. */
export interface SeenRequest {
  method: string
  url: string
  headers: Record<string, string | string[] | undefined>
  bodyLength: number
  /** The member read the whole body (its Content-Length, or the end of the chunks) and answered. */
  complete?: boolean
}

export interface RecordingMember {
  readonly kind: 'http' | 'ajp'
  readonly url: string
  readonly seen: SeenRequest[]
  /** AJP only: every FORWARD_REQUEST, decoded. */
  readonly forwards: DecodedForward[]
  close(): Promise<void>
}

/** The JSON every recording member answers with. */
export interface EchoBody {
  node: string
  method: string
  url: string
  bodyLength: number
}

/** An HTTP member (node:http) that records each request and answers an {@link EchoBody}. */
export async function startHttpMember(name: string): Promise<RecordingMember> {
  const seen: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    const entry: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyLength: 0 }
    seen.push(entry)
    req.on('data', (c: Buffer) => void (entry.bodyLength += c.length))
    req.on('error', () => {})
    req.on('end', () => {
      entry.complete = true
      const body = JSON.stringify({ node: name, method: entry.method, url: entry.url, bodyLength: entry.bodyLength } satisfies EchoBody)
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    kind: 'http',
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    forwards: [],
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

const METHOD_NAMES: Record<number, string> = { 1: 'OPTIONS', 2: 'GET', 3: 'HEAD', 4: 'POST', 5: 'PUT', 6: 'DELETE', 7: 'TRACE' }

/** The value of a FORWARD_REQUEST header, by lower-case name or by code. */
export function forwardHeader(forward: DecodedForward, name: string, code?: number): string | undefined {
  const hit = forward.headers.find(([n]) => (typeof n === 'number' ? n === code : n.toLowerCase() === name))
  return hit?.[1]
}

/** Reads the request body the way Tomcat does (unsolicited first packet, then GET_BODY_CHUNK). */
export async function readAjpBody(conn: Parameters<Parameters<typeof serveLoop>[1]>[1], forward: DecodedForward, how?: { end?: 'length' | 'empty' | 'other' }): Promise<number> {
  const declared = forwardHeader(forward, 'content-length', 0xa008)
  let total = 0
  const ended = (end: 'length' | 'empty' | 'other'): number => {
    if (how) how.end = end
    return total
  }
  if (declared === undefined) {
    for (;;) {
      conn.write(getBodyChunk())
      const p = await conn.next()
      if (p.kind !== 'data') return ended('other')
      if (p.data.length === 0) return ended('empty')
      total += p.data.length
    }
  }
  const length = Number(declared)
  while (total < length) {
    if (total > 0) conn.write(getBodyChunk())
    const p = await conn.next()
    if (p.kind !== 'data') return ended('other')
    if (p.data.length === 0) return ended('empty')
    total += p.data.length
  }
  return ended('length')
}

/** A fake AJP member that records each FORWARD_REQUEST and answers an {@link EchoBody}. */
export async function startAjpMember(name: string): Promise<RecordingMember> {
  const seen: SeenRequest[] = []
  const forwards: DecodedForward[] = []
  const fake: FakeAjpServer = await startFakeAjp((conn) =>
    serveLoop(conn, async (forward) => {
      forwards.push(forward)
      const query = forward.attributes.find(([code]) => code === 0x05)?.[1]
      const method = METHOD_NAMES[forward.method] ?? (forward.attributes.find(([code]) => code === 0x0d)?.[1] as string | undefined) ?? '?'
      const entry: SeenRequest = { method, url: typeof query === 'string' ? `${forward.uri}?${query}` : forward.uri, headers: {}, bodyLength: 0 }
      for (const [n, v] of forward.headers) if (typeof n === 'string') entry.headers[n.toLowerCase()] = v
      seen.push(entry)
      const how: { end?: 'length' | 'empty' | 'other' } = {}
      entry.bodyLength = await readAjpBody(conn, forward, how)
      // an empty body packet ends the body for Tomcat, even short of its Content-Length
      entry.complete = how.end !== 'other'
      const body = JSON.stringify({ node: name, method: entry.method, url: entry.url, bodyLength: entry.bodyLength } satisfies EchoBody)
      conn.write(sendHeaders(200, [[0xa001, 'application/json'], [0xa003, String(Buffer.byteLength(body))]]), sendBody(body), endResponse(true))
    }),
  )
  return { kind: 'ajp', url: `ajp://127.0.0.1:${fake.port}`, seen, forwards, close: () => fake.close() }
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export interface RawExchange {
  /** Every byte the server sent, as latin1. */
  text: string
  /** The responses parsed from `text`, in order. */
  responses: RawResponse[]
  /** True when the server closed the connection (otherwise we stopped waiting). */
  closed: boolean
}

/**
 * Writes `bytes` (latin1 string or chunks written `gapMs` apart) on a fresh TCP connection and
 * collects what comes back until the server closes, `responses` complete responses arrived, or
 * `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  bytes: string | string[],
  { timeoutMs = 2_000, responses = Infinity, gapMs = 0 }: { timeoutMs?: number; responses?: number; gapMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    let done = false
    const timers: NodeJS.Timeout[] = []
    const finish = (closed: boolean): void => {
      if (done) return
      done = true
      for (const t of timers) clearTimeout(t)
      socket.destroy()
      resolve({ text, responses: parseResponses(text), closed })
    }
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      if (responses !== Infinity && parseResponses(text).length >= responses) finish(false)
    })
    socket.on('close', () => finish(true))
    socket.on('error', () => {})
    timers.push(setTimeout(() => finish(false), timeoutMs))
    const parts = typeof bytes === 'string' ? [bytes] : bytes
    parts.forEach((part, i) => {
      const write = (): void => {
        if (!socket.destroyed) socket.write(Buffer.from(part, 'latin1'))
      }
      if (i === 0 || gapMs === 0) write()
      else timers.push(setTimeout(write, gapMs * i))
    })
  })
}


/** Interim (1xx) responses ahead of a final one. */
const INTERIM = /^(?:HTTP\/1\.1 1\d\d[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n)+/

/** The first final response in `text`; for a HEAD, its head alone (no body follows it). */
function finalResponse(text: string, head: boolean): RawResponse | undefined {
  const final = text.replace(INTERIM, '')
  if (!head) return parseResponses(final)[0]
  return final.includes('\r\n\r\n') ? { status: Number(final.split(' ')[1]), headers: {}, body: '' } : undefined
}

/**
 * Writes `bytes` on a fresh connection; resolves with the first final (non-1xx) response (a HEAD's
 * head alone), or undefined when none came within `timeoutMs`.
 */
export function sendForFinalResponse(port: number, bytes: string, timeoutMs = 5_000): Promise<RawResponse | undefined> {
  const head = bytes.startsWith('HEAD ')
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    const finish = (response: RawResponse | undefined): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(response)
    }
    const timer = setTimeout(() => finish(undefined), timeoutMs)
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1')
      const response = finalResponse(text, head)
      if (response) finish(response)
    })
    socket.on('close', () => finish(finalResponse(text, head)))
    socket.on('error', () => {})
    socket.write(Buffer.from(bytes, 'latin1'))
  })
}

/** Parses concatenated HTTP/1.1 responses (Content-Length, chunked, or body to the end). */
export function parseResponses(text: string): RawResponse[] {
  const out: RawResponse[] = []
  let rest = text
  while (rest.startsWith('HTTP/1.')) {
    const headEnd = rest.indexOf('\r\n\r\n')
    if (headEnd < 0) break
    const lines = rest.slice(0, headEnd).split('\r\n')
    const status = Number((lines[0] as string).split(' ')[1])
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const c = line.indexOf(':')
      headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim()
    }
    let body = rest.slice(headEnd + 4)
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length'])
      if (body.length < n) break
      rest = body.slice(n)
      body = body.slice(0, n)
    } else if (headers['transfer-encoding'] === 'chunked') {
      let decoded = ''
      let complete = false
      for (;;) {
        const eol = body.indexOf('\r\n')
        if (eol < 0) break
        const size = parseInt(body.slice(0, eol), 16)
        if (size === 0) {
          body = body.slice(eol + 4)
          complete = true
          break
        }
        decoded += body.slice(eol + 2, eol + 2 + size)
        body = body.slice(eol + 4 + size)
      }
      if (!complete) break
      rest = body
      body = decoded
    } else {
      rest = ''
    }
    out.push({ status, headers, body })
  }
  return out
}

/** A plain GET on a fresh connection; resolves with the status (0 when none came). */
export async function aliveStatus(port: number, path = '/alive'): Promise<number> {
  const r = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: front\r\nConnection: close\r\n\r\n`, { responses: 1 })
  return r.responses[0]?.status ?? 0
}
