/**
 * A member that fails at each point of its answer, on every transport (http-proxy-3, node,
 * undici, AJP): the client gets either a complete error response (502 or 504, as docs/errors.md
 * says) or a response it can tell is incomplete (a short Content-Length or a chunked body without
 * its last chunk) — never an empty reply, never a short answer that looks whole.
 *
 * Until the first body byte, the member's head is held back (head and first chunk leave in one
 * write), so a failure between the head and the body is still answered with a status, as httpd's
 * mod_proxy and mod_jk do. The members here misbehave on purpose: a real Tomcat does not send a
 * head and then die on demand.
 */
import net from 'node:net'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import type { BalancerOptions } from '../../lib/options.js'
import { containerPacket, endResponse, sendBody, sendHeaders, startFakeAjp, type FakeConnection } from '../ajp/support/fake-ajp-server.js'
import { eventually, guardProcess, startBalancer } from '../support/fake-upstream.js'

beforeEach(guardProcess)

const TIMEOUT = 300

/** What the client made of the answer, from the raw bytes it read until the connection closed. */
type Outcome =
  | { readonly kind: 'empty' }
  | { readonly kind: 'complete'; readonly status: number; readonly body: string }
  | { readonly kind: 'truncated'; readonly status: number }

/** One request on a fresh connection; reads until the balancer closes it (bounded). */
function rawGet(port: number, path = '/x'): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the balancer neither answered nor closed the connection'))
    }, 5_000)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(classify(Buffer.concat(chunks).toString('latin1')))
    })
    socket.write(`GET ${path} HTTP/1.1\r\nHost: lb.test\r\nConnection: close\r\n\r\n`)
  })
}

/** Whether the body is whole by its own framing (Content-Length, or chunked with its last chunk). */
function classify(text: string): Outcome {
  if (text === '') return { kind: 'empty' }
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return { kind: 'truncated', status: 0 }
  const head = text.slice(0, end)
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
  const body = text.slice(end + 4)
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)
  if (length) return Number(length[1]) === body.length ? { kind: 'complete', status, body } : { kind: 'truncated', status }
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    if (!body.endsWith('0\r\n\r\n')) return { kind: 'truncated', status }
    let rest = body
    let out = ''
    for (;;) {
      const line = rest.indexOf('\r\n')
      const size = parseInt(rest.slice(0, line), 16)
      if (size === 0) return { kind: 'complete', status, body: out }
      out += rest.slice(line + 2, line + 2 + size)
      rest = rest.slice(line + 4 + size)
    }
  }
  // Neither: delimited by the close, which a client cannot tell from a fault.
  return { kind: 'complete', status, body }
}

/** What a scripted member does once it has read the request. */
type HttpScript = (socket: net.Socket) => void

async function startScriptedHttpMember(script: HttpScript): Promise<string> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    let head = ''
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.removeListener('data', onData)
      script(socket)
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`
}

const HEAD_10 = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n'
const HEAD_100 = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n'
const HEAD_CHUNKED = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'

type Expected = { readonly kind: 'complete'; readonly status: 502 | 504 } | { readonly kind: 'truncated' }
const ANSWERED_502: Expected = { kind: 'complete', status: 502 }
const ANSWERED_504: Expected = { kind: 'complete', status: 504 }
const CUT: Expected = { kind: 'truncated' }

/** Failure points of an HTTP member: [name, script, what the client must get]. */
const HTTP_CASES: Array<[string, HttpScript, Expected]> = [
  ['before the head: a reset', (s) => s.resetAndDestroy(), ANSWERED_502],
  ['before the head: a close', (s) => s.end(), ANSWERED_502],
  ['before the head: a stall', () => {}, ANSWERED_504],
  ['before the head: half a status line, then a stall', (s) => s.write('HTTP/1.1 20'), ANSWERED_504],
  ['after the head, before the body: a stall', (s) => s.write(HEAD_10), ANSWERED_504],
  ['after the head, before the body: a reset', (s) => s.write(HEAD_10, () => setTimeout(() => s.resetAndDestroy(), 30)), ANSWERED_502],
  ['after the head, before the body: a close', (s) => s.end(HEAD_10), ANSWERED_502],
  ['after the head, before the body: a broken chunk size', (s) => s.write(`${HEAD_CHUNKED}zz\r\n`), ANSWERED_502],
  ['after a chunked head, before the body: a stall', (s) => s.write(HEAD_CHUNKED), ANSWERED_504],
  ['in the middle of the body: a reset', (s) => s.write(`${HEAD_100}0123456789`, () => setTimeout(() => s.resetAndDestroy(), 30)), CUT],
  ['in the middle of the body: a close', (s) => s.write(`${HEAD_100}0123456789`, () => setTimeout(() => s.end(), 30)), CUT],
  ['in the middle of the body: a stall', (s) => s.write(`${HEAD_100}0123456789`), CUT],
  ['in the middle of a chunked body: a broken chunk', (s) => s.write(`${HEAD_CHUNKED}5\r\nhello\r\n`, () => setTimeout(() => s.write('zz\r\n'), 30)), CUT],
  ['before the last chunk: a close', (s) => s.write(`${HEAD_CHUNKED}5\r\nhello\r\n`, () => setTimeout(() => s.end(), 30)), CUT],
  ['before the last chunk: a stall', (s) => s.write(`${HEAD_CHUNKED}5\r\nhello\r\n`), CUT],
]

const HTTP_TRANSPORTS = ['http-proxy-3', 'node', 'undici'] as const

async function expectOutcome(url: string, expected: Expected): Promise<void> {
  const port = Number(new URL(url).port)
  const outcome = await rawGet(port)
  if (expected.kind === 'truncated') {
    expect(outcome).toMatchObject({ kind: 'truncated', status: 200 })
  } else {
    expect(outcome).toEqual({ kind: 'complete', status: expected.status, body: `${expected.status} ${expected.status === 502 ? 'Bad Gateway' : 'Gateway Timeout'}\n` })
  }
}

describe.each(HTTP_TRANSPORTS)('a member that fails at each point of its answer (HTTP, %s)', (transport) => {
  it.each(HTTP_CASES)('%s', async (_name, script, expected) => {
    const member = await startScriptedHttpMember(script)
    const options: BalancerOptions = { members: [{ url: member, route: 'A' }], timeout: TIMEOUT, health: false, logger: false, http: { transport } }
    const { url, balancer } = await startBalancer(options)
    const failures: string[] = []
    balancer.on('member:error', (e) => failures.push(e.error.code))
    await expectOutcome(url, expected)
    // Logged once, counted against the member once; nothing left in flight.
    expect(await eventually(() => failures.length > 0)).toBe(true)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toBe(expected.kind === 'complete' && expected.status === 504 ? 'LB_ERR_UPSTREAM_TIMEOUT' : failures[0])
    expect(await eventually(() => balancer.members[0]?.counters.inFlight === 0)).toBe(true)
  })

  it('a head followed by a whole body still arrives as one answer', async () => {
    const member = await startScriptedHttpMember((s) => s.write(`${HEAD_10}0123456789`))
    const { url } = await startBalancer({ members: [{ url: member, route: 'A' }], timeout: TIMEOUT, health: false, logger: false, http: { transport } })
    expect(await rawGet(Number(new URL(url).port))).toEqual({ kind: 'complete', status: 200, body: '0123456789' })
  })
})

/** Failure points of an AJP member, after it read the FORWARD_REQUEST. */
const AJP_CASES: Array<[string, (conn: FakeConnection) => void, Expected]> = [
  ['before the head: a close', (c) => c.socket.destroy(), ANSWERED_502],
  ['before the head: a stall', () => {}, ANSWERED_504],
  ['after SEND_HEADERS: a stall', (c) => c.write(sendHeaders(200, [[0xa003, '10']])), ANSWERED_504],
  ['after SEND_HEADERS: a close', (c) => {
    c.write(sendHeaders(200, [[0xa003, '10']]))
    setTimeout(() => c.socket.destroy(), 30)
  }, ANSWERED_502],
  ['after SEND_HEADERS: a body packet over packetSize', (c) => {
    c.write(sendHeaders(200))
    c.socket.write(Buffer.concat([Buffer.from([0x41, 0x42, 0x23, 0x28, 0x03]), Buffer.alloc(8999)]))
  }, ANSWERED_502],
  ['after SEND_HEADERS: a body chunk that overruns its packet', (c) => {
    c.write(sendHeaders(200))
    c.socket.write(containerPacket(Buffer.from([0x03, 0xff, 0xf0, 0x61, 0x00])))
  }, ANSWERED_502],
  ['after SEND_HEADERS: more body than its Content-Length in the first packet', (c) => c.write(sendHeaders(200, [[0xa003, '5']]), sendBody('x'.repeat(50))), ANSWERED_502],
  ['after SEND_HEADERS: a second SEND_HEADERS', (c) => c.write(sendHeaders(200), sendHeaders(200)), ANSWERED_502],
  ['in the middle of the body: a close', (c) => {
    c.write(sendHeaders(200, [[0xa003, '100']]), sendBody('0123456789'))
    setTimeout(() => c.socket.destroy(), 30)
  }, CUT],
  ['in the middle of the body: a stall', (c) => c.write(sendHeaders(200, [[0xa003, '100']]), sendBody('0123456789')), CUT],
  ['before END_RESPONSE: a stall', (c) => c.write(sendHeaders(200), sendBody('hello')), CUT],
  ['before END_RESPONSE: a close', (c) => {
    c.write(sendHeaders(200), sendBody('hello'))
    setTimeout(() => c.socket.destroy(), 30)
  }, CUT],
]

describe('a member that fails at each point of its answer (AJP)', () => {
  async function setup(script: (conn: FakeConnection) => void) {
    const fake = await startFakeAjp(async (conn) => {
      const p = await conn.next()
      if (p.kind !== 'forward') return
      script(conn)
    })
    const { url, balancer } = await startBalancer({ members: [{ url: `ajp://127.0.0.1:${fake.port}`, route: 'A' }], timeout: TIMEOUT, health: false, logger: false })
    onTestFinished(() => fake.close())
    return { url, balancer }
  }

  it.each(AJP_CASES)('%s', async (_name, script, expected) => {
    const { url, balancer } = await setup(script)
    const failures: string[] = []
    balancer.on('member:error', (e) => failures.push(e.error.code))
    await expectOutcome(url, expected)
    expect(await eventually(() => failures.length > 0)).toBe(true)
    expect(failures).toHaveLength(1)
    expect(await eventually(() => balancer.sockets().A?.open === 0)).toBe(true)
  })

  it('a flush after SEND_HEADERS sends the head at once (a stream that starts later)', async () => {
    let later: (() => void) | undefined
    const { url } = await setup((c) => {
      c.write(sendHeaders(200), sendBody(Buffer.alloc(0)))
      later = () => c.write(sendBody('late'), endResponse(true))
    })
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1')
    onTestFinished(() => void socket.destroy())
    let text = ''
    socket.on('data', (c) => (text += c.toString('latin1')))
    socket.write('GET /stream HTTP/1.1\r\nHost: lb.test\r\nConnection: close\r\n\r\n')
    expect(await eventually(() => text.startsWith('HTTP/1.1 200'), 2_000)).toBe(true)
    later?.()
    expect(await eventually(() => text.includes('late'), 2_000)).toBe(true)
  })
})
