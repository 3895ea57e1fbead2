/**
 * Who stalled, against real Tomcat, on every transport (http-proxy-3, node, undici, AJP).
 *
 * A client that stops sending its upload, or stops reading a large download, must cost nobody but
 * itself: after `clientBodyTimeout` / `clientSendTimeout` its exchange ends (408 before the answer
 * started, a closed connection after), the member's connection that carried it is closed (never
 * reused mid-exchange), and it counts as a client abort, never as a member error. Before this,
 * four such clients on two members with `timeout: 1500` made every later request answer 503 on
 * the http-proxy-3 and node transports (the member was blamed: `maxFails` 1, `retry` 60 s), and on
 * AJP and undici the stalled clients held their pooled sockets (and Tomcat threads) without bound.
 *
 * The other side of the same rule: a client that pauses for longer than the member's `timeout`
 * but less than its own timeout still gets its whole upload through, or its whole download.
 */
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { balancerSnapshot } from '../../lib/admin/snapshot.js'
import { renderPrometheus } from '../../lib/admin/render-prometheus.js'
import type { BalancerOptions } from '../../lib/options.js'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../support/tomcat.js'
import { poolsIdle } from './support/connections.js'
import { HOST_KINDS, recordingLogger, startHost } from './support/hosts.js'

beforeEach(guardProcess)

const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]
const MiB = 1024 * 1024
/** Stalled clients per member, each way. */
const PER_MEMBER = 2
const DOWNLOAD = 64 * MiB

type TransportName = 'http-proxy-3' | 'node' | 'undici' | 'ajp'
const TRANSPORTS: readonly TransportName[] = ['http-proxy-3', 'node', 'undici', 'ajp']

function optionsFor(transport: TransportName, extra: Partial<BalancerOptions>): BalancerOptions {
  const ajp = transport === 'ajp'
  return {
    members: [A, B].map((n) => ({ url: ajp ? n.ajpUrl : n.httpUrl, route: n.route })),
    health: false,
    sticky: false,
    ajp: { secret: AJP_SECRET },
    ...(ajp ? {} : { http: { transport } }),
    ...extra,
  }
}

/** What a raw client saw before its connection ended. */
interface RawOutcome {
  readonly text: string
  /** Bytes received (head and body). */
  readonly bytes: number
  /** The balancer ended the connection (FIN or reset), not the test. */
  readonly closedByPeer: boolean
  readonly ms: number
}

/**
 * Sends a POST head announcing `announced` body bytes and `sent` of them, then nothing more: a
 * client that stalled mid-upload. Resolves when the connection ends, or after `limitMs`.
 */
function stalledUpload(port: number, announced: number, sent: number, limitMs: number): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = net.connect(port, '127.0.0.1')
    let text = ''
    let bytes = 0
    const done = (closedByPeer: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve({ text, bytes, closedByPeer, ms: Date.now() - started })
    }
    const timer = setTimeout(() => done(false), limitMs)
    socket.on('data', (d: Buffer) => {
      bytes += d.length
      text += d.toString('latin1')
    })
    socket.on('end', () => done(true))
    socket.on('error', () => done(true))
    socket.write(`POST /testapp/echo.jsp HTTP/1.1\r\nHost: front\r\nContent-Type: application/octet-stream\r\nContent-Length: ${announced}\r\n\r\n`)
    socket.write(Buffer.alloc(sent, 0x61))
  })
}

/** A client that asked for a large download, read its head, then stopped reading. */
interface StalledReader {
  /** Whether the response head arrived. */
  readonly head: Promise<string>
  /** Reads again, to the end of the connection, `untilBytes` received, or `limitMs`. */
  finish(limitMs: number, untilBytes?: number): Promise<RawOutcome>
}

function stalledReader(port: number, path: string): StalledReader {
  const started = Date.now()
  const socket = net.connect(port, '127.0.0.1')
  let text = ''
  let bytes = 0
  let ended = false
  socket.on('error', () => (ended = true))
  socket.on('end', () => (ended = true))
  const head = new Promise<string>((resolve) => {
    socket.once('data', (d: Buffer) => {
      bytes += d.length
      text = d.toString('latin1').slice(0, 200)
      socket.pause() // stop reading: the kernel buffers fill, then the balancer's
      resolve(text)
    })
  })
  socket.write(`GET ${path} HTTP/1.1\r\nHost: front\r\n\r\n`)
  return {
    head,
    finish(limitMs, untilBytes = Infinity) {
      return new Promise((resolve) => {
        const done = (closedByPeer: boolean): void => {
          clearTimeout(timer)
          socket.destroy()
          resolve({ text, bytes, closedByPeer, ms: Date.now() - started })
        }
        const timer = setTimeout(() => done(false), limitMs)
        if (ended) return done(true)
        socket.on('data', (d: Buffer) => {
          bytes += d.length
          if (bytes >= untilBytes) done(false)
        })
        socket.on('end', () => done(true))
        socket.on('error', () => done(true))
        socket.on('close', () => done(true))
        socket.resume()
      })
    },
  }
}

async function statusOf(url: string, init?: RequestInit): Promise<{ status: number; body: string }> {
  const res = await fetch(url, init)
  return { status: res.status, body: await res.text() }
}

const CASES = TRANSPORTS.flatMap((transport) => HOST_KINDS.map((kind) => [transport, kind] as const))

describe.each(CASES)('client stalls against Tomcat, %s transport, %s host', (transport, kind) => {
  it('stalled uploaders get 408 and stalled readers are cut: members unharmed, sockets released, counted as client aborts', async () => {
    await ensureTomcatNodes()
    const logger = recordingLogger()
    const clientTimeout = 800
    const host = await startHost(kind, optionsFor(transport, { timeout: 1500, clientBodyTimeout: clientTimeout, clientSendTimeout: clientTimeout, logger }))
    onTestFinished(() => host.close())
    const stalls = PER_MEMBER * 2

    const readers = Array.from({ length: stalls }, () => stalledReader(host.port, `/testapp/big.jsp?bytes=${DOWNLOAD}`))
    const heads = await Promise.all(readers.map((r) => r.head))
    for (const head of heads) expect(head).toMatch(/^HTTP\/1\.1 200 /)
    // Each is answered within clientTimeout; 6 s leaves room for a loaded machine, not for a
    // connection left open until the host server gives up on it.
    const uploads = await Promise.all(Array.from({ length: stalls }, () => stalledUpload(host.port, MiB, 4096, 6_000)))

    // The uploaders: 408, and the connection closed (its unread body cannot be skipped). Koa's
    // error handler removes every header the balancer set; the connection is closed all the same.
    for (const u of uploads) {
      expect(u.text.slice(0, 40)).toMatch(/^HTTP\/1\.1 408 /)
      if (kind !== 'koa') expect(u.text.toLowerCase()).toContain('connection: close')
      expect(u.closedByPeer).toBe(true)
    }
    // Every stalled exchange is over, and counted as a client abort: the readers' too.
    const aborts = (): number => host.balancer.members.reduce((n, m) => n + m.counters.clientAborts, 0)
    expect(await eventually(() => aborts() === 2 * stalls, 15_000, 50), `client aborts ${aborts()}`).toBe(true)
    // No socket to Tomcat is held for them: the ones that carried them were closed, none is busy.
    expect(await eventually(() => poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)

    // The readers' connections were closed before the download was complete.
    const read = await Promise.all(readers.map((r) => r.finish(15_000)))
    for (const r of read) {
      expect(r.closedByPeer).toBe(true)
      expect(r.bytes).toBeLessThan(DOWNLOAD)
    }

    // Not the members' fault: no error, still in use, and every later request is served.
    for (const m of host.balancer.members) expect([m.id, m.health, m.counters.errors]).toEqual([m.id, 'ok', 0])
    const later = await Promise.all(Array.from({ length: 8 }, () => statusOf(`${host.url}/testapp/index.jsp?format=json`)))
    expect(later.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(logger.lines.filter((l) => l.level !== 'debug')).toEqual([])
    // The host's error handler saw the 408s only (Express and Koa get them through next/throw).
    expect(host.errors.map((e) => (e as { code?: string }).code)).toEqual(kind === 'bare' ? [] : Array(stalls).fill('LB_ERR_CLIENT_TIMEOUT'))

    const metrics = renderPrometheus(balancerSnapshot(host.balancer))
    const counted = [...metrics.matchAll(/^sticky_balancer_client_aborts_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0)
    expect(counted).toBe(2 * stalls)
    expect(metrics).toMatch(/^sticky_balancer_errors_total\{[^}]*member="TomcatA"\} 0$/m)
  })

})

describe.each(TRANSPORTS)('client pauses against Tomcat, %s transport', (transport) => {
  it('a client that pauses longer than the member timeout, but less than its own, still gets its whole exchange', async () => {
    await ensureTomcatNodes()
    const host = await startHost('bare', optionsFor(transport, { timeout: 1000, clientBodyTimeout: 6000, clientSendTimeout: 6000 }))
    onTestFinished(() => host.close())

    // An upload that stops for 2.5 s (2.5 × timeout) half-way, then completes.
    const body = randomBytes(256 * 1024)
    const upload = new Promise<{ status: number; echo: TestappEchoJson | undefined }>((resolve, reject) => {
      const socket = net.connect(host.port, '127.0.0.1')
      let text = ''
      socket.on('data', (d: Buffer) => {
        text += d.toString('latin1')
        const at = text.indexOf('\r\n\r\n')
        const length = /content-length: (\d+)/i.exec(text)?.[1]
        if (at >= 0 && length !== undefined && text.length - at - 4 >= Number(length)) {
          socket.destroy()
          const status = Number(text.slice(9, 12))
          resolve({ status, echo: status === 200 ? (JSON.parse(text.slice(at + 4)) as TestappEchoJson) : undefined })
        }
      })
      socket.on('error', reject)
      socket.on('end', () => resolve({ status: Number(text.slice(9, 12)) || 0, echo: undefined }))
      socket.write(`POST /testapp/echo.jsp HTTP/1.1\r\nHost: front\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`)
      socket.write(body.subarray(0, 100 * 1024))
      setTimeout(() => socket.write(body.subarray(100 * 1024)), 2500)
    })

    // A download read after a 2.5 s pause.
    const size = 32 * MiB
    const reader = stalledReader(host.port, `/testapp/big.jsp?bytes=${size}`)
    expect(await reader.head).toMatch(/^HTTP\/1\.1 200 /)
    await new Promise((r) => setTimeout(r, 2500))
    const download = reader.finish(30_000, size)

    const up = await upload
    expect(up.status).toBe(200)
    expect(up.echo?.bodyLength).toBe(body.length)
    // The download arrived whole: the connection stayed open (keep-alive) until the test closed it.
    const down = await download
    expect(down.closedByPeer, `received ${down.bytes} bytes`).toBe(false)
    expect(down.bytes).toBeGreaterThan(size)
    for (const m of host.balancer.members) expect([m.id, m.health, m.counters.errors, m.counters.clientAborts]).toEqual([m.id, 'ok', 0, 0])
    expect(await eventually(() => poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)
  })
})
