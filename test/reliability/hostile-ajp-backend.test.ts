/**
 * A broken or hostile AJP backend, through the balancer (bare host): every case ends in a clean
 * 502/504 (or an aborted response once the head has left), a log line, no socket left open, and
 * the request sent once. Peers: mod_jk sends the same request to the broken backend twice; both
 * httpd modules turn END_RESPONSE-without-headers into 200 with an empty body and answer an
 * endless GET_BODY_CHUNK loop forever.
 */
import http from 'node:http'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import {
  CPONG,
  containerPacket,
  endResponse,
  getBodyChunk,
  sendBody,
  sendHeaders,
  startFakeAjp,
  type FakeConnection,
} from '../ajp/support/fake-ajp-server.js'
import { createAjpTransport } from '../../lib/transports/ajp/ajp-transport.js'
import { ajpMember } from '../ajp/support/exchange-server.js'
import { recordingLogger, startHost, startHttpMember } from './support/hosts.js'

beforeEach(guardProcess)

interface Reply {
  status: number
  body: string
  /** The response was cut off after its head (or the connection reset before one). */
  aborted: boolean
}

function request(url: string, method = 'GET', body?: string, timeoutMs = 3_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body === undefined ? {} : { 'content-length': Buffer.byteLength(body) } })
    const timer = setTimeout(() => req.destroy(new Error('client timeout: the balancer hung')), timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (err.code === 'ECONNRESET') resolve({ status: 0, body: '', aborted: true })
      else reject(err)
    })
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('latin1')
      res.on('data', (c: string) => (text += c))
      res.on('error', () => {})
      res.on('close', () => {
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, body: text, aborted: !res.complete })
      })
    })
    req.end(body)
  })
}

type Script = (conn: FakeConnection, index: number, forwards: { count: number }) => Promise<void>

/** Starts a scripted fake AJP member behind a bare host; counts FORWARD_REQUESTs. */
async function setup(script: Script, options: Partial<BalancerOptions> = {}, extraMembers: BalancerOptions['members'] = []) {
  const forwards = { count: 0, empties: 0 }
  const fake = await startFakeAjp(async (conn, index) => {
    await script(conn, index, forwards)
  })
  const log = recordingLogger()
  const host = await startHost('bare', {
    members: [{ url: `ajp://127.0.0.1:${fake.port}`, route: 'A' }, ...extraMembers],
    timeout: 400,
    health: false,
    logger: log,
    ...options,
  })
  onTestFinished(async () => {
    await host.close()
    await fake.close()
  })
  return { fake, host, log, forwards, balancer: host.balancer }
}

/** Reads the FORWARD_REQUEST (and any body) and counts it. */
async function takeForward(conn: FakeConnection, forwards: { count: number }): Promise<void> {
  const p = await conn.next()
  if (p.kind !== 'forward') throw new Error(`expected FORWARD_REQUEST, got ${p.kind}`)
  forwards.count++
}

async function noSocketsLeft(balancer: Balancer): Promise<boolean> {
  return eventually(() => (balancer.sockets().A?.open ?? 0) === 0, 2_000)
}

function failureLogged(log: ReturnType<typeof recordingLogger>, code: string): boolean {
  return log.lines.some((l) => l.level === 'warn' && l.msg === 'member exchange failed' && l.obj.code === code)
}

const OK = [sendHeaders(200, [[0xa003, '2']]), sendBody('ok'), endResponse(true)]

describe('hostile AJP backend', () => {
  it.each<[string, (conn: FakeConnection) => void, number, string]>([
    ['garbage (an HTTP answer on the AJP port)', (c) => c.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['bad magic', (c) => c.socket.write(Buffer.from([0x41, 0x43, 0x00, 0x02, 0x05, 0x01])), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['an oversize packet (9000 > packetSize)', (c) => c.socket.write(Buffer.concat([Buffer.from([0x41, 0x42, 0x23, 0x28, 0x04]), Buffer.alloc(8999)])), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['SEND_HEADERS announcing 10,000 headers', (c) => {
      const head = Buffer.from([0x04, 0x00, 0xc8, 0x00, 0x02, 0x32, 0x30, 0x00, 0x27, 0x10])
      const one = Buffer.from([0xa0, 0x0b, 0x00, 0x01, 0x61, 0x00]) // a 6-byte coded header
      c.socket.write(containerPacket(Buffer.concat([head, ...Array.from({ length: 1300 }, () => one)])))
    }, 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['END_RESPONSE without SEND_HEADERS (httpd: 200 with an empty body)', (c) => c.write(endResponse(true)), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['SEND_BODY_CHUNK before SEND_HEADERS', (c) => c.socket.write(sendBody('x')), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['a body chunk whose length overruns its packet, before the head', (c) => c.socket.write(containerPacket(Buffer.from([0x03, 0xff, 0xf0, 0x61, 0x00]))), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['a truncated packet, then close', (c) => {
      const packet = sendHeaders(200, [[0xa003, '2']])
      c.socket.end(packet.subarray(0, packet.length - 3))
    }, 502, 'LB_ERR_UPSTREAM_RESET'],
    ['a stall (no answer at all)', () => {}, 504, 'LB_ERR_UPSTREAM_TIMEOUT'],
    ['a stall after half a packet', (c) => c.socket.write(sendHeaders(200).subarray(0, 6)), 504, 'LB_ERR_UPSTREAM_TIMEOUT'],
    ['CPONG during an exchange', (c) => c.write(CPONG), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['a 1xx status as the final answer (END_RESPONSE after a 103)', (c) => c.write(sendHeaders(103), endResponse(true)), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['101 Switching Protocols (AJP cannot carry an upgrade)', (c) => c.write(sendHeaders(101)), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
    ['an unknown message type', (c) => c.socket.write(containerPacket(Buffer.from([0x42, 0x00]))), 502, 'LB_ERR_UPSTREAM_PROTOCOL'],
  ])('%s → %s, logged, no socket left, sent once', async (_name, misbehave, status, code) => {
    const { host, log, forwards, balancer } = await setup(async (conn, _i, f) => {
      await takeForward(conn, f)
      misbehave(conn)
    })
    const started = Date.now()
    const reply = await request(`${host.url}/x`, 'POST', 'payload', 8_000)
    expect(reply.status).toBe(status)
    expect(reply.body).toBe(`${status} ${http.STATUS_CODES[status]}\n`) // nothing of the member leaks
    expect(Date.now() - started).toBeLessThan(5_000) // timeout is 400 ms: no hang, even on a loaded machine
    expect(forwards.count).toBe(1)
    expect(failureLogged(log, code)).toBe(true)
    expect(await noSocketsLeft(balancer)).toBe(true)
  })

  it.each<[string, number[]]>([
    ['a 103 Early Hints', [103]],
    ['a 102 Processing', [102]],
    ['two 103s', [103, 103]],
    ['a 100 Continue nobody asked for', [100]],
  ])('%s before the final answer is dropped: 200 intact, member ok, sent once', async (_name, statuses) => {
    const { host, log, forwards, balancer } = await setup(async (conn, _i, f) => {
      await takeForward(conn, f)
      conn.write(...statuses.map((s) => sendHeaders(s, [['link', '</a.css>; rel=preload']])), ...OK)
    })
    const reply = await request(`${host.url}/x`, 'POST', 'payload')
    expect(reply).toEqual({ status: 200, body: 'ok', aborted: false })
    expect(forwards.count).toBe(1)
    expect(log.lines.filter((l) => l.level === 'warn')).toEqual([])
    expect(balancer.member('A')!.health).toBe('ok')
  })

  it.each<[string, (conn: FakeConnection) => void, 'a 502' | 'an aborted 200']>([
    ['an oversized body chunk (more than the announced Content-Length)', (c) => c.write(sendHeaders(200, [[0xa003, '5']]), sendBody('x'.repeat(50)), endResponse(true)), 'a 502'],
    ['a body chunk whose length overruns its packet, after the head', (c) => c.write(sendHeaders(200), containerPacket(Buffer.from([0x03, 0xff, 0xf0, 0x61, 0x00]))), 'a 502'],
    ['a close in the middle of the body', (c) => {
      c.write(sendHeaders(200, [[0xa003, '100']]), sendBody('x'.repeat(10)))
      setTimeout(() => c.socket.destroy(), 20)
    }, 'an aborted 200'],
  ])('%s → %s, never a completed response; logged; no socket left', async (_name, misbehave, expected) => {
    const { host, log, forwards, balancer } = await setup(async (conn, _i, f) => {
      await takeForward(conn, f)
      misbehave(conn)
    })
    const reply = await request(`${host.url}/x`)
    // The head is held until the first body byte: a fault before any reached the client is a 502.
    if (expected === 'a 502') expect([reply.status, reply.aborted]).toEqual([502, false])
    else expect([reply.status, reply.aborted]).toEqual([200, true])
    expect(forwards.count).toBe(1)
    expect(log.lines.some((l) => l.msg === 'member exchange failed')).toBe(true)
    expect(await noSocketsLeft(balancer)).toBe(true)
  })

  it.each([['GET', undefined], ['POST', 'ten bytes!']] as const)(
    'an endless GET_BODY_CHUNK loop on a %s is cut off (httpd answers it forever)',
    async (method, body) => {
      let asked = 0
      const { host, log, forwards, balancer } = await setup(async (conn, _i, f) => {
        await takeForward(conn, f)
        if (body !== undefined) await conn.next() // the unsolicited first chunk
        for (let i = 0; i < 1000; i++) {
          conn.write(getBodyChunk())
          asked++
          const p = await conn.next(1_000).catch(() => ({ kind: 'eof' as const }))
          if (p.kind !== 'data') return
        }
      })
      const reply = await request(`${host.url}/x`, method, body)
      expect(reply.status).toBe(502)
      expect(asked).toBeLessThanOrEqual(6)
      expect(forwards.count).toBe(1)
      expect(failureLogged(log, 'LB_ERR_UPSTREAM_PROTOCOL')).toBe(true)
      expect(await noSocketsLeft(balancer)).toBe(true)
    },
  )

  it('a garbage CPONG condemns only that connection: the request goes once, on a fresh one', async () => {
    const { host, forwards, balancer } = await setup(async (conn, index, f) => {
      for (;;) {
        const p = await conn.next(5_000).catch(() => ({ kind: 'eof' as const }))
        if (p.kind === 'eof') return
        if (p.kind === 'cping') {
          conn.socket.write(Buffer.from('garbage!'))
          continue
        }
        if (p.kind !== 'forward') return
        f.count++
        conn.write(...OK)
        if (index > 5) return
      }
    }, { ajp: { pingAfterIdle: 0 } })
    expect((await request(`${host.url}/one`)).status).toBe(200)
    expect((await request(`${host.url}/two`)).status).toBe(200)
    expect(forwards.count).toBe(2)
    expect(await eventually(() => balancer.sockets().A?.open === 1)).toBe(true)
  })

  it('a garbage CPONG fails the CPING probe with a protocol error', async () => {
    const fake = await startFakeAjp(async (conn) => {
      const p = await conn.next()
      if (p.kind === 'cping') conn.socket.write(containerPacket(Buffer.from([0x09, 0x00])))
    })
    const transport = createAjpTransport(ajpMember(fake.port))
    onTestFinished(async () => {
      await transport.close()
      await fake.close()
    })
    await expect(transport.ping()).rejects.toMatchObject({ code: 'LB_ERR_UPSTREAM_PROTOCOL', statusCode: 502 })
    expect(await eventually(() => transport.sockets().open === 0)).toBe(true)
  })

  it('a POST whose FORWARD_REQUEST the backend swallowed on a fresh socket is not sent again', async () => {
    const { host, forwards } = await setup(async (conn, _i, f) => {
      await takeForward(conn, f)
      conn.socket.destroy()
    })
    const reply = await request(`${host.url}/pay`, 'POST', '')
    expect(reply.status).toBe(502)
    expect(forwards.count).toBe(1)
  })

  // Regression: RequestDriver.onClose (lib/transports/ajp/request-driver.ts) resends the request on
  // a fresh socket when a *reused* socket closes before any complete message, whatever the method:
  // a bodiless POST the backend had received (and maybe acted on) is sent twice, mod_jk's fault.
  it('a bodiless POST on a reused socket closed after the FORWARD_REQUEST is not sent twice', async () => {
    const { host, forwards } = await setup(async (conn, index, f) => {
      await takeForward(conn, f)
      conn.write(...OK) // first request on this socket: fine, the socket goes back to the pool
      if (index > 0) return
      await takeForward(conn, f)
      conn.socket.destroy() // received the second request, then died without a byte
    }, { ajp: { pingAfterIdle: Infinity } })
    expect((await request(`${host.url}/first`)).status).toBe(200)
    const reply = await request(`${host.url}/pay`, 'POST', '')
    expect(forwards.count).toBe(2) // one each
    expect(reply.status).toBe(502)
  })

  // Regression: the same retry also fires after the backend had started answering (half a packet
  // arrived, so the request was processed): the driver checks #anyMessage but not the bytes
  // already buffered in the parser.
  it('a GET answered with half a packet on a reused socket is not sent twice', async () => {
    const { host, forwards } = await setup(async (conn, index, f) => {
      await takeForward(conn, f)
      conn.write(...OK)
      if (index > 0) return
      await takeForward(conn, f)
      conn.socket.end(sendHeaders(200).subarray(0, 7))
    }, { ajp: { pingAfterIdle: Infinity } })
    expect((await request(`${host.url}/first`)).status).toBe(200)
    const reply = await request(`${host.url}/again`)
    expect(forwards.count).toBe(2)
    expect(reply.status).toBe(502)
  })

  it('a GET on a reused socket closed before any byte is retried once on a fresh socket (safe)', async () => {
    const { host, forwards } = await setup(async (conn, index, f) => {
      await takeForward(conn, f)
      conn.write(...OK)
      if (index > 0) return
      await takeForward(conn, f)
      conn.socket.destroy()
    }, { ajp: { pingAfterIdle: Infinity } })
    expect((await request(`${host.url}/first`)).status).toBe(200)
    expect((await request(`${host.url}/again`)).status).toBe(200)
    expect(forwards.count).toBe(3)
  })

  it.each(['GET', 'POST'])('a protocol fault on a %s is not retried on another member', async (method) => {
    const b = await startHttpMember('B')
    onTestFinished(() => b.close())
    const { host, forwards } = await setup(async (conn, _i, f) => {
      await takeForward(conn, f)
      conn.write(endResponse(true))
    }, { scheduler: 'byrequests' }, [{ url: b.url, route: 'B' }])
    // Whatever the scheduler picks first, requests go on until A has been asked: the request A
    // fails is answered 502 and never reaches B; one B answers never reaches A.
    const outcomes: string[] = []
    for (let i = 0; i < 4 && forwards.count === 0; i++) {
      const bBefore = b.seen.length
      const reply = await request(`${host.url}/x${i}`, method, method === 'POST' ? 'data' : undefined)
      const askedA = forwards.count > 0
      outcomes.push(`${askedA ? 'A' : 'B'} ${reply.status} B saw ${b.seen.length - bBefore}`)
    }
    expect(forwards.count).toBe(1)
    expect(outcomes.at(-1)).toBe('A 502 B saw 0')
    for (const earlier of outcomes.slice(0, -1)) expect(earlier).toBe('B 200 B saw 1')
  })
})
