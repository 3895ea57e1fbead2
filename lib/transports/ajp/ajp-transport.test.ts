import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import {
  CPONG,
  endResponse,
  getBodyChunk,
  sendBody,
  sendHeaders,
  serveLoop,
  startFakeAjp,
  type DecodedForward,
  type FakeConnection,
} from '../../../test/ajp/support/fake-ajp-server.js'
import { ajpMember, call, startFront, type FrontOptions } from '../../../test/ajp/support/exchange-server.js'
import { readAfterPause } from '../../../test/support/read-after-pause.js'
import { InvalidOptionError } from '../../errors.js'
import { createAjpTransport, describeForwardRequest, type AjpTransport } from './ajp-transport.js'
import type { AjpTransportOptions } from './options.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'

async function setup(
  handle: (conn: FakeConnection, index: number) => Promise<void> | void,
  options: AjpTransportOptions = {},
  frontOptions: FrontOptions = {},
  clientTimeouts?: ClientTimeouts,
) {
  const fake = await startFakeAjp(handle)
  const member = ajpMember(fake.port)
  const transport = createAjpTransport(member, { secret: 'k', ...options }, clientTimeouts)
  const front = await startFront(transport, member, frontOptions)
  onTestFinished(async () => {
    await front.close()
    await fake.close()
    await transport.close()
  })
  return { fake, transport, front }
}

/** A member that takes the whole request body, packet by packet as it asks, and answers `done`. */
async function setupBodyReceiver(options: AjpTransportOptions = {}, frontOptions: FrontOptions = {}) {
  let got: Buffer[] = []
  const started = await setup(
    (conn) =>
      serveLoop(conn, async () => {
        got = await conn.receiveBody()
        conn.write(...ok('done'))
      }),
    options,
    frontOptions,
  )
  return { ...started, received: (): Buffer => Buffer.concat(got) }
}

const ok = (body = 'hello'): Buffer[] => [sendHeaders(200, [[0xa001, 'text/plain'], [0xa003, String(Buffer.byteLength(body))]]), sendBody(body), endResponse(true)]

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

describe('createAjpTransport options', () => {
  it('validates options and names the bad one', () => {
    const member = ajpMember(8009)
    expect(() => createAjpTransport(member, { packetSize: 4096 })).toThrow(/packetSize/)
    expect(() => createAjpTransport(member, { packetSize: 70000 })).toThrow(InvalidOptionError)
    expect(() => createAjpTransport(member, { maxConnections: 0 })).toThrow(/maxConnections/)
    expect(() => createAjpTransport(member, { replyTimeout: -1 })).toThrow(/replyTimeout/)
    expect(() => createAjpTransport(member, { secret: '' })).toThrow(/secret/)
    expect(() => createAjpTransport(member, { bogus: 1 } as AjpTransportOptions)).toThrow(/bogus/)
    const t = createAjpTransport(member)
    expect(t.options).toMatchObject({ packetSize: 8192, connectTimeout: 5000, replyTimeout: 60000, idleTimeout: 60000, maxConnections: 64, pingAfterIdle: 10000, pingTimeout: 2000 })
    expect(createAjpTransport(member, { pingAfterIdle: Infinity, replyTimeout: 0 }).options.pingAfterIdle).toBe(Infinity)
  })
})

describe('AJP transport against a fake container', () => {
  it('forwards a GET with proxy-side facts, relays the answer and reuses the socket', async () => {
    const seen: DecodedForward[] = []
    const { fake, front, transport } = await setup((conn) =>
      serveLoop(conn, (req) => {
        seen.push(req)
        conn.write(sendHeaders(200, [[0xa001, 'text/plain'], [0xa007, 'a=1; Path=/'], ['Set-Cookie', 'b=2'], ['X-Up', 'yes']]), sendBody('hel'), sendBody(''), sendBody('lo'), endResponse(true))
      }),
    )
    const r1 = await call(front.port, { path: '/app/x%20y?q=1&r=%C3%A9', headers: { 'user-agent': 'ua', 'x-ajp-secret': 'nope', 'X-Custom': 'c' } })
    expect(r1.status).toBe(200)
    expect(r1.body.toString()).toBe('hello')
    expect(r1.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2'])
    expect(r1.headers['x-up']).toBe('yes')
    const req = seen[0] as DecodedForward
    expect(req.method).toBe(2)
    expect(req.protocol).toBe('HTTP/1.1')
    expect(req.uri).toBe('/app/x%20y')
    expect(req.remoteAddr).toBe('127.0.0.1')
    expect(req.remoteHost).toBe(null)
    expect(req.serverName).toBe('127.0.0.1')
    expect(req.serverPort).toBe(front.port)
    expect(req.isSsl).toBe(false)
    expect(req.headers).toContainEqual([0xa00e, 'ua'])
    expect(req.headers).toContainEqual([0xa008, '0'])
    expect(req.headers).toContainEqual(['x-ajp-secret', 'nope'])
    const attrs = new Map(req.attributes.map(([c, v]) => [c === 0x0a ? (v as [string, string])[0] : c, c === 0x0a ? (v as [string, string])[1] : v]))
    expect(attrs.get(0x0c)).toBe('k')
    expect(attrs.get(0x05)).toBe('q=1&r=%C3%A9')
    expect(attrs.get(0x06)).toBe('fake')
    expect(attrs.get('AJP_LOCAL_ADDR')).toBe('127.0.0.1')
    expect(Number(attrs.get('AJP_REMOTE_PORT'))).toBeGreaterThan(0)
    expect(req.attributes).toHaveLength(5)
    expect((await front.nextOutcome()).result).toEqual({ status: 200, bytesIn: 5, bytesOut: 0 })

    await call(front.port, { path: '/again' })
    expect(fake.accepted).toHaveLength(1)
    await until(() => transport.sockets().idle === 1)
    expect(transport.sockets()).toEqual({ open: 1, idle: 1 })
  })

  it('sends a stored method for methods without a code', async () => {
    const seen: DecodedForward[] = []
    const { front } = await setup((conn) => serveLoop(conn, (req) => (seen.push(req), conn.write(...ok()))))
    await call(front.port, { method: 'PATCH', path: '/p', body: 'x' })
    await call(front.port, { method: 'PROPFIND', path: '/p' })
    expect(seen[0]?.method).toBe(0xff)
    expect(seen[0]?.attributes).toContainEqual([0x0d, 'PATCH'])
    expect(seen[1]?.method).toBe(8)
  })

  it('sends the first body packet unsolicited, then exactly one per GET_BODY_CHUNK, then the empty one', async () => {
    const body = Buffer.alloc(20_000, 0x61)
    body.write('start', 0)
    const got: Buffer[] = []
    let silentAfterEnd = false
    const { front } = await setup((conn) =>
      serveLoop(conn, async () => {
        let packet = await conn.next()
        expect(packet.kind).toBe('data')
        if (packet.kind === 'data') got.push(packet.data)
        expect(await conn.silentFor(50)).toBe(true) // nothing unrequested
        for (;;) {
          conn.write(getBodyChunk(5000))
          packet = await conn.next()
          if (packet.kind !== 'data') throw new Error('expected data')
          if (packet.data.length === 0) break
          expect(packet.data.length).toBeLessThanOrEqual(5000)
          got.push(packet.data)
        }
        silentAfterEnd = await conn.silentFor(50)
        conn.write(...ok('done'))
      }),
    )
    const r = await call(front.port, { method: 'POST', path: '/up', body })
    expect(r.body.toString()).toBe('done')
    expect(sha(Buffer.concat(got))).toBe(sha(body))
    expect(got[0]?.length).toBe(8186)
    expect(silentAfterEnd).toBe(true)
    expect((await front.nextOutcome()).result?.bytesOut).toBe(20_000)
  })

  it('fills body packets across the client\'s chunks: one packet per 8186 bytes, the last one short', async () => {
    const body = Buffer.alloc(300_000)
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff
    let got: Buffer[] = []
    const { front } = await setup((conn) =>
      serveLoop(conn, async () => {
        await new Promise((r) => setTimeout(r, 50)) // let the client's bytes arrive in several chunks
        got = await conn.receiveBody()
        conn.write(...ok('done'))
      }),
    )
    const r = await call(front.port, { method: 'PUT', path: '/up', body })
    expect(r.body.toString()).toBe('done')
    expect(sha(Buffer.concat(got))).toBe(sha(body))
    const sizes = got.map((part) => part.length)
    expect(sizes.slice(0, -1).every((n) => n === 8186)).toBe(true)
    expect(sizes.length).toBe(Math.ceil(body.length / 8186))
  })

  it('pauses a client whose body Tomcat has not asked for, and resumes it packet by packet', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024)
    for (let i = 0; i < body.length; i += 4) body.writeUInt32BE(i, i)
    const got: Buffer[] = []
    let pausedWhileWaiting: boolean | undefined
    let heldWhileWaiting = 0
    const { front } = await setup((conn) =>
      serveLoop(conn, async () => {
        const first = await conn.next()
        if (first.kind === 'data') got.push(first.data)
        // Tomcat takes its time before asking for more: the balancer must stop reading the client.
        await until(() => front.requests[0]?.isPaused() === true)
        await new Promise((r) => setTimeout(r, 100))
        pausedWhileWaiting = front.requests[0]?.isPaused()
        heldWhileWaiting = front.requests[0]?.socket.bytesRead ?? 0
        conn.write(getBodyChunk())
        got.push(...(await conn.receiveBody()))
        conn.write(...ok('done'))
      }),
    )
    const r = await call(front.port, { method: 'PUT', path: '/up', body })
    expect(r.body.toString()).toBe('done')
    expect(pausedWhileWaiting).toBe(true)
    // What the balancer read from the client while paused: the request stream's buffer and a few
    // socket reads, far from the 2 MiB on offer.
    expect(heldWhileWaiting).toBeLessThan(256 * 1024)
    expect(sha(Buffer.concat(got))).toBe(sha(body))
  })

  it('sends the body of a client request that was paused before the exchange', async () => {
    const body = Buffer.alloc(100_000, 0x62)
    const { front, received } = await setupBodyReceiver({}, { beforeForward: (req) => req.pause() })
    const r = await call(front.port, { method: 'POST', path: '/up', body })
    expect(r.body.toString()).toBe('done')
    expect(sha(received())).toBe(sha(body))
  })

  it('streams a chunked body only on demand, without content-length, and answers body requests after the response started', async () => {
    const chunks = ['one-', 'two-', 'three']
    let got = ''
    let clSent: unknown
    const { front } = await setup((conn) =>
      serveLoop(conn, async (req) => {
        clSent = req.headers.find(([n]) => n === 0xa008)
        expect(await conn.silentFor(50)).toBe(true) // no unsolicited packet for unknown length
        conn.write(sendHeaders(200), sendBody('early '))
        for (;;) {
          conn.write(getBodyChunk(8186))
          const p = await conn.next()
          if (p.kind !== 'data') throw new Error('expected data')
          if (p.data.length === 0) break
          got += p.data.toString()
        }
        conn.write(sendBody('late'), endResponse(true))
      }),
    )
    async function* gen() {
      for (const c of chunks) {
        yield Buffer.from(c)
        await new Promise((r) => setTimeout(r, 10))
      }
    }
    const r = await call(front.port, { method: 'POST', path: '/chunked', body: gen() })
    expect(r.body.toString()).toBe('early late')
    expect(got).toBe('one-two-three')
    expect(clSent).toBeUndefined()
  })

  it('leaves an unread body to the client side and keeps the socket when Tomcat ends early', async () => {
    const { front, fake, transport } = await setup((conn) =>
      serveLoop(conn, async (req) => {
        // the unsolicited first packet, then answer without reading more
        if (req.headers.some(([n, v]) => n === 0xa008 && v !== '0')) await conn.next()
        conn.write(...ok('ignored body'))
      }),
    )
    const r = await call(front.port, { method: 'POST', path: '/x', body: Buffer.alloc(100_000, 1) })
    expect(r.body.toString()).toBe('ignored body')
    await until(() => transport.sockets().idle === 1)
    const r2 = await call(front.port, { path: '/y' })
    expect(r2.status).toBe(200)
    expect(fake.accepted).toHaveLength(1)
  })

  it('answers 502 on garbage and bad magic, and drops the socket', async () => {
    let n = 0
    const { front, transport } = await setup((conn) =>
      serveLoop(conn, () => {
        conn.write(n++ === 0 ? Buffer.from('HTTP/1.1 200 OK\r\n\r\n') : Buffer.from([0x41, 0x42, 0x00, 0x01, 0x63]))
      }),
    )
    const r = await call(front.port, { path: '/' })
    expect(r.status).toBe(502)
    expect(r.body.toString()).toBe('AJP_ERR_BAD_MAGIC')
    const r2 = await call(front.port, { path: '/' })
    expect(r2.body.toString()).toBe('AJP_ERR_UNKNOWN_TYPE')
    await until(() => transport.sockets().open === 0)
  })

  it('answers 502 to END_RESPONSE without SEND_HEADERS', async () => {
    const { front } = await setup((conn) => serveLoop(conn, () => conn.write(endResponse(true))))
    const r = await call(front.port, { path: '/' })
    expect(r.status).toBe(502)
    expect(r.body.toString()).toBe('AJP_ERR_NO_HEADERS')
  })

  it('cuts off a container that keeps asking for body after the end', async () => {
    let requests = 0
    const { front, transport } = await setup((conn) =>
      serveLoop(conn, async () => {
        for (;;) {
          conn.write(getBodyChunk())
          requests++
          const p = await conn.next()
          if (p.kind === 'eof') return
        }
      }),
    )
    const r = await call(front.port, { method: 'POST', path: '/', body: 'abc' })
    expect(r.status).toBe(502)
    expect(r.body.toString()).toBe('AJP_ERR_BODY_OVERREAD')
    expect(requests).toBeLessThan(10)
    await until(() => transport.sockets().open === 0)
  })

  it('times out a stalled member with 504 (replyTimeout)', async () => {
    const { front, transport } = await setup((conn) => serveLoop(conn, () => new Promise(() => {})), { replyTimeout: 150 })
    const started = Date.now()
    const r = await call(front.port, { path: '/' })
    expect(r.status).toBe(504)
    expect(Date.now() - started).toBeLessThan(5_000)
    await until(() => transport.sockets().open === 0)
  })

  // The connection sets the socket timeout only when its value changes: a reused connection must
  // still time out, whether replyTimeout equals idleTimeout (no call at all) or not.
  for (const idleTimeout of [150, 60_000]) {
    it(`times out a stall on a reused connection (replyTimeout 150, idleTimeout ${idleTimeout})`, async () => {
      let requests = 0
      const { front, transport, fake } = await setup((conn) => serveLoop(conn, () => (requests++ === 0 ? conn.write(...ok()) : new Promise(() => {}))), { replyTimeout: 150, idleTimeout })
      expect((await call(front.port, { path: '/' })).status).toBe(200)
      await until(() => transport.sockets().idle === 1)
      const started = Date.now()
      const r = await call(front.port, { path: '/' })
      expect(r.status).toBe(504)
      expect(Date.now() - started).toBeLessThan(5_000)
      // the stalled request went on the first, pooled connection: the one the name is about
      expect([fake.accepted.length, requests]).toEqual([1, 2])
      await until(() => transport.sockets().open === 0)
    })
  }

  it('reads on to END_RESPONSE and keeps the connection when the client leaves after the whole response', async () => {
    let requests = 0
    const { front, transport, fake } = await setup((conn) =>
      serveLoop(conn, async () => {
        requests++
        conn.write(sendHeaders(200, [[0xa003, '5']]), sendBody('hello'))
        await new Promise((r) => setTimeout(r, 100)) // END_RESPONSE comes after the client has everything
        conn.write(endResponse(true))
      }),
    )
    const { connect } = await import('node:net')
    const text = await new Promise<string>((resolve) => {
      const socket = connect(front.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
      let got = ''
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1')
        if (got.endsWith('\r\n\r\nhello')) socket.destroy() // complete: leave at once
      })
      socket.on('close', () => resolve(got))
    })
    expect(text).toMatch(/^HTTP\/1\.1 200/)
    const outcome = await front.nextOutcome()
    expect(outcome.result?.status).toBe(200)
    await until(() => transport.sockets().idle === 1)
    expect((await call(front.port, { path: '/' })).body.toString()).toBe('hello')
    expect(requests).toBe(2)
    expect(fake.accepted.length).toBe(1) // the same connection served both
  })

  it('still closes the connection when the client leaves before the whole response', async () => {
    const { front, transport, fake } = await setup((conn) =>
      serveLoop(conn, async () => {
        conn.write(sendHeaders(200, [[0xa003, '10']]), sendBody('hello'))
        await new Promise((r) => setTimeout(r, 100))
        conn.write(sendBody('world'), endResponse(true))
      }),
    )
    const { connect } = await import('node:net')
    await new Promise<void>((resolve) => {
      const socket = connect(front.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))
      socket.on('data', (d: Buffer) => {
        if (d.toString('latin1').includes('hello')) socket.destroy()
      })
      socket.on('close', () => resolve())
    })
    await until(() => transport.sockets().open === 0)
    await until(() => fake.accepted[0]?.closed === true)
  })

  it('aborts the client response when the member dies mid-body', async () => {
    const { front, transport } = await setup((conn) =>
      serveLoop(conn, () => {
        conn.write(sendHeaders(200, [[0xa003, '100']]), sendBody('partial'))
        setTimeout(() => conn.socket.destroy(), 30)
      }),
    )
    const r = await call(front.port, { path: '/' })
    expect(r.status).toBe(200)
    expect(r.aborted).toBe(true)
    const outcome = await front.nextOutcome()
    expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_RESET')
    await until(() => transport.sockets().open === 0)
  })

  it('aborts the client response when the body is shorter than the announced Content-Length', async () => {
    const { front } = await setup((conn) => serveLoop(conn, () => conn.write(sendHeaders(200, [[0xa003, '10']]), sendBody('short'), endResponse(true))))
    const r = await call(front.port, { path: '/' })
    expect(r.aborted).toBe(true)
    expect((await front.nextOutcome()).error?.code).toBe('LB_ERR_UPSTREAM_PROTOCOL')
  })

  it('closes the socket on END_RESPONSE reuse=0', async () => {
    const { front, fake, transport } = await setup((conn) => serveLoop(conn, () => conn.write(sendHeaders(200), sendBody('x'), endResponse(false))))
    await call(front.port, { path: '/' })
    await until(() => transport.sockets().open === 0)
    await call(front.port, { path: '/' })
    expect(fake.accepted).toHaveLength(2)
  })

  it('relays HEAD, 204 and 304 without waiting for a body', async () => {
    const { front } = await setup((conn) =>
      serveLoop(conn, (req) => {
        const status = req.uri === '/304' ? 304 : req.uri === '/204' ? 204 : 200
        conn.write(sendHeaders(status, [[0xa003, '1234']]), endResponse(true))
      }),
    )
    const head = await call(front.port, { method: 'HEAD', path: '/' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('1234')
    expect(head.aborted).toBe(false)
    expect((await call(front.port, { path: '/304' })).status).toBe(304)
    expect((await call(front.port, { path: '/204' })).status).toBe(204)
  })

  it('reports a connector-level 403 (wrong secret) as a 502 configuration error, but passes an application 403', async () => {
    const { front } = await setup((conn) =>
      serveLoop(conn, (req) => {
        if (req.uri === '/app403') conn.write(sendHeaders(403, [[0xa001, 'text/html']]), sendBody('<h1>no</h1>'), endResponse(true))
        else if (req.uri === '/big403') conn.write(sendHeaders(403), ...[0, 1, 2, 3].map(() => sendBody(Buffer.alloc(5000, 0x62))), endResponse(true))
        else conn.write(sendHeaders(403, [[0xa001, 'text/html;charset=utf-8']]), sendBody('<h1>HTTP Status 403</h1>'), endResponse(false))
      }),
    )
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    onTestFinished(() => void process.off('warning', onWarning))
    const r = await call(front.port, { path: '/' })
    expect(r.status).toBe(502)
    expect(r.body.toString()).toBe('AJP_ERR_SECRET_REJECTED')
    const app = await call(front.port, { path: '/app403' })
    expect(app.status).toBe(403)
    expect(app.body.toString()).toBe('<h1>no</h1>')
    // A 403 with a body too big for a connector page is passed on as it streams.
    const big = await call(front.port, { path: '/big403' })
    expect(big.status).toBe(403)
    expect(big.body.length).toBe(20_000)
    await until(() => warnings.length > 0)
    expect((warnings[0] as Error & { code?: string }).code).toBe('AJP_ERR_SECRET_REJECTED')
  })

  it('retries once on a fresh socket when a reused one turns out dead', async () => {
    const { front, fake } = await setup((conn, index) =>
      serveLoop(conn, async () => {
        if (index === 0 && conn.socket.bytesWritten > 0) {
          conn.socket.destroy() // the second request on the first socket: gone
          return
        }
        conn.write(...ok(`from ${index}`))
      }),
    )
    expect((await call(front.port, { path: '/' })).body.toString()).toBe('from 0')
    const r = await call(front.port, { path: '/' })
    expect(r.body.toString()).toBe('from 1')
    expect(fake.accepted).toHaveLength(2)
  })

  it('fails with a connect error (503) when the member refuses', async () => {
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const port = (probe.address() as { port: number }).port
    await new Promise((r) => probe.close(r))
    const member = ajpMember(port)
    const transport = createAjpTransport(member)
    const front = await startFront(transport, member)
    onTestFinished(() => front.close())
    const r = await call(front.port, { path: '/' })
    expect(r.status).toBe(503)
    expect((await front.nextOutcome()).error?.code).toBe('LB_ERR_UPSTREAM_CONNECT')
    await expect(transport.ping()).rejects.toMatchObject({ code: 'LB_ERR_UPSTREAM_CONNECT' })
  })

  it('CPINGs idle sockets before reuse, and ping() works as a probe', async () => {
    let pings = 0
    const { front, transport } = await setup(
      (conn) => {
        conn.socket.on('data', (d: Buffer) => {
          if (d.length >= 5 && d[2] === 0 && d[3] === 1 && d[4] === 10) pings++
        })
        return serveLoop(conn, () => conn.write(...ok()))
      },
      { pingAfterIdle: 0 },
    )
    await call(front.port, { path: '/' })
    await until(() => transport.sockets().idle === 1)
    await call(front.port, { path: '/' })
    expect(pings).toBe(1)
    const before = Date.now()
    const pingsBefore = pings
    const rtt = await transport.ping()
    // a measured round trip: not negative, and no longer than the wait for it
    expect(rtt).toBeGreaterThanOrEqual(0)
    expect(rtt).toBeLessThanOrEqual(Date.now() - before + 1)
    expect(pings).toBeGreaterThan(pingsBefore) // ping() reached the member
  })

  it('replaces an idle socket that does not answer CPING', async () => {
    const { front, fake } = await setup(
      (conn, index) => serveLoop(conn, () => conn.write(...ok(`n${index}`))),
      { pingAfterIdle: 0, pingTimeout: 100 },
    )
    await call(front.port, { path: '/' })
    // Make the first socket deaf to CPING: swallow everything it receives from now on.
    const first = fake.accepted[0] as FakeConnection
    first.socket.removeAllListeners('data')
    const r = await call(front.port, { path: '/' })
    expect(r.body.toString()).toBe('n1')
    expect(fake.accepted).toHaveLength(2)
    expect(CPONG.length).toBe(5)
  })

  it('refuses protocol upgrades with 501', async () => {
    const { front } = await setup((conn) => serveLoop(conn, () => conn.write(...ok())))
    const r = await call(front.port, { path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket' } })
    expect(r.status).toBe(501)
  })

  it('answers 431 when the request head does not fit a packet', async () => {
    const { front, fake } = await setup((conn) => serveLoop(conn, () => conn.write(...ok())))
    const r = await call(front.port, { path: '/', headers: { 'x-big': 'a'.repeat(9000) } })
    expect(r.status).toBe(431)
    expect(fake.accepted).toHaveLength(0)
  })

  it('queues beyond maxConnections and bounds the queue', async () => {
    const { front, fake } = await setup((conn) => serveLoop(conn, async () => {
      await new Promise((r) => setTimeout(r, 50))
      conn.write(...ok())
    }), { maxConnections: 1, maxQueued: 1 })
    const replies = await Promise.all([call(front.port, { path: '/1' }), call(front.port, { path: '/2' }), call(front.port, { path: '/3' })])
    const statuses = replies.map((r) => r.status).sort()
    expect(statuses).toEqual([200, 200, 503])
    expect(fake.accepted).toHaveLength(1)
  })

  it('destroys the AJP socket when the client goes away mid-response', async () => {
    let serverConn: FakeConnection | undefined
    const { front, transport } = await setup((conn) =>
      serveLoop(conn, () => {
        serverConn = conn
        conn.write(sendHeaders(200), sendBody('first'))
      }),
    )
    const { request } = await import('node:http')
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: front.port, path: '/', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.end()
    })
    const outcome = await front.nextOutcome()
    expect(outcome.result?.status).toBe(200)
    await until(() => serverConn?.closed === true)
    await until(() => transport.sockets().open === 0)
  })

  it('closes the AJP socket when the client aborts mid-upload', async () => {
    let serverConn: FakeConnection | undefined
    const { front, transport } = await setup((conn) =>
      serveLoop(conn, async () => {
        serverConn = conn
        for (;;) {
          const p = await conn.next(10_000)
          if (p.kind === 'eof') return
          conn.write(getBodyChunk())
        }
      }),
    )
    const { request } = await import('node:http')
    const req = request({ host: '127.0.0.1', port: front.port, method: 'POST', path: '/', agent: false, headers: { 'content-length': '1000000' } })
    req.on('error', () => {})
    req.write(Buffer.alloc(20_000))
    await until(() => serverConn !== undefined)
    await new Promise((r) => setTimeout(r, 50))
    req.destroy()
    const outcome = await front.nextOutcome()
    expect(outcome.result?.status).toBe(499)
    expect(outcome.result?.bytesOut).toBeGreaterThan(0)
    await until(() => serverConn?.closed === true)
    await until(() => transport.sockets().open === 0)
  })

  it('streams a 5 MB upload and a 5 MB download with bounded chunks', async () => {
    const up = Buffer.alloc(5 * 1024 * 1024)
    for (let i = 0; i < up.length; i += 4096) up.writeUInt32BE(i, i)
    const down = Buffer.alloc(5 * 1024 * 1024, 7)
    const { front } = await setup((conn) =>
      serveLoop(conn, async () => {
        const parts: Buffer[] = []
        let total = 0
        let p = await conn.next()
        while (p.kind === 'data' && p.data.length > 0) {
          parts.push(p.data)
          total += p.data.length
          if (total >= up.length) break
          conn.write(getBodyChunk())
          p = await conn.next()
        }
        const digest = sha(Buffer.concat(parts))
        conn.write(sendHeaders(200, [['X-Sha', digest]]))
        for (let i = 0; i < down.length; i += 8184) conn.write(sendBody(down.subarray(i, i + 8184)))
        conn.write(endResponse(true))
      }),
    )
    const r = await call(front.port, { method: 'PUT', path: '/big', body: up })
    expect(r.headers['x-sha']).toBe(sha(up))
    expect(r.body.length).toBe(down.length)
    expect(r.aborted).toBe(false)
  })

  it('closes idle sockets after idleTimeout', async () => {
    const { front, transport, fake } = await setup((conn) => serveLoop(conn, () => conn.write(...ok())), { idleTimeout: 300 })
    await call(front.port, { path: '/' })
    await until(() => transport.sockets().idle === 1)
    const idleSince = Date.now()
    await until(() => transport.sockets().open === 0, 5_000)
    // not before idleTimeout (less the few ms between going idle and being seen idle here)
    expect(Date.now() - idleSince).toBeGreaterThanOrEqual(250)
    await until(() => fake.accepted[0]?.closed === true)
  })

  it('closes idle sockets after idleTimeout when it equals replyTimeout, and keeps busy ones', async () => {
    const { front, transport, fake } = await setup((conn) => serveLoop(conn, () => conn.write(...ok())), { idleTimeout: 400, replyTimeout: 400 })
    // Requests back to back for twice the timeout: the pooled socket stays open (a gap of 400 ms
    // between two requests on a loaded machine would be needed to lose it).
    const until800 = Date.now() + 800
    while (Date.now() < until800) expect((await call(front.port, { path: '/' })).status).toBe(200)
    expect(fake.accepted.length).toBe(1)
    await until(() => transport.sockets().idle === 1)
    await until(() => transport.sockets().open === 0, 5_000)
    await until(() => fake.accepted[0]?.closed === true)
  })

  /** Sends `total` body bytes as full SEND_BODY_CHUNK packets (the last one shorter). */
  function writeBodyPackets(conn: FakeConnection, total: number, fill: number): void {
    const chunk = sendBody(Buffer.alloc(8184, fill))
    for (let sent = 0; sent < total; sent += 8184) conn.socket.write(sent + 8184 <= total ? chunk : sendBody(Buffer.alloc(total - sent, fill)))
  }

  it('pushes back on the member while the client does not read', async () => {
    let serverConn: FakeConnection | undefined
    const total = 16 * 1024 * 1024
    const { front } = await setup((conn) =>
      serveLoop(conn, () => {
        serverConn = conn
        conn.write(sendHeaders(200, [[0xa003, String(total)]]))
        writeBodyPackets(conn, total, 0x63)
        conn.write(endResponse(true))
      }),
    )
    const r = await readAfterPause(`http://127.0.0.1:${front.port}/`, 300, () => serverConn?.socket.writableLength ?? 0)
    // Most of the 16 MiB still waited in the member's socket: we did not buffer it all.
    expect(r.atResume).toBeGreaterThan(8 * 1024 * 1024)
    expect(r.received).toBe(total)
  })

  it('does not time the member out while the client is the one not reading (replyTimeout)', async () => {
    const total = 4 * 1024 * 1024
    const { front } = await setup(
      (conn) =>
        serveLoop(conn, () => {
          conn.write(sendHeaders(200, [[0xa003, String(total)]]))
          writeBodyPackets(conn, total, 0x61)
          conn.write(endResponse(true))
        }),
      { replyTimeout: 150 },
    )
    const r = await readAfterPause(`http://127.0.0.1:${front.port}/`, 500)
    expect(r).toMatchObject({ status: 200, received: total, complete: true })
  })

  it('does not time the member out while a slow client sends its body (replyTimeout)', async () => {
    const parts = [Buffer.alloc(20_000, 0x61), Buffer.alloc(20_000, 0x62), Buffer.alloc(20_000, 0x63)]
    async function* slowBody(): AsyncIterable<Buffer> {
      for (const part of parts) {
        yield part
        await new Promise((r) => setTimeout(r, 300))
      }
    }
    const { front, received } = await setupBodyReceiver({ replyTimeout: 150 })
    const r = await call(front.port, { method: 'POST', path: '/up', headers: { 'content-length': '60000' }, body: slowBody() })
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('done')
    expect(sha(received())).toBe(sha(Buffer.concat(parts)))
  })

  it('times the member out again once a slow client has drained (replyTimeout)', async () => {
    const sent = 1024 * 1024
    const { front, transport } = await setup(
      (conn) =>
        serveLoop(conn, () => {
          // Twice as much is announced as is sent, and then the member stalls.
          conn.write(sendHeaders(200, [[0xa003, String(2 * sent)]]))
          writeBodyPackets(conn, sent, 0x62)
          return new Promise(() => {})
        }),
      { replyTimeout: 150 },
    )
    const started = Date.now()
    const r = await readAfterPause(`http://127.0.0.1:${front.port}/`, 500)
    expect(r.status).toBe(200)
    expect(r.complete).toBe(false)
    expect(r.received).toBeGreaterThanOrEqual(sent - 8184)
    expect(r.received).toBeLessThan(2 * sent)
    expect(Date.now() - started).toBeLessThan(3000)
    await until(() => transport.sockets().open === 0)
  })

  it('ends a stalled upload after clientBodyTimeout: LB_ERR_CLIENT_TIMEOUT, the AJP socket closed', async () => {
    let serverConn: FakeConnection | undefined
    const { front, transport } = await setup(
      (conn) =>
        serveLoop(conn, async () => {
          serverConn = conn
          for (;;) {
            const p = await conn.next(10_000)
            if (p.kind === 'eof') return
            conn.write(getBodyChunk())
          }
        }),
      { replyTimeout: 100 },
      {},
      { clientBodyTimeout: 400, clientSendTimeout: 60_000 },
    )
    const { request } = await import('node:http')
    const req = request({ host: '127.0.0.1', port: front.port, method: 'POST', path: '/', agent: false, headers: { 'content-length': '1000000' } })
    req.on('error', () => {})
    req.write(Buffer.alloc(20_000))
    const started = Date.now()
    const outcome = await front.nextOutcome()
    // the member's replyTimeout (100 ms) did not fire: the wait was the client's
    expect(outcome.error).toMatchObject({ code: 'LB_ERR_CLIENT_TIMEOUT', statusCode: 408, stall: 'body' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(350)
    await until(() => serverConn?.closed === true)
    await until(() => transport.sockets().open === 0)
    req.destroy()
  })

  it('ends a stalled reader after clientSendTimeout: the client response cut, the AJP socket closed', async () => {
    let serverConn: FakeConnection | undefined
    const total = 16 * 1024 * 1024
    const { front, transport } = await setup(
      (conn) =>
        serveLoop(conn, () => {
          serverConn = conn
          conn.write(sendHeaders(200, [[0xa003, String(total)]]))
          writeBodyPackets(conn, total, 0x63)
          conn.write(endResponse(true))
        }),
      { replyTimeout: 100 },
      {},
      { clientBodyTimeout: 60_000, clientSendTimeout: 300 },
    )
    const read = readAfterPause(`http://127.0.0.1:${front.port}/`, 1500)
    const outcome = await front.nextOutcome()
    expect(outcome.error).toMatchObject({ code: 'LB_ERR_CLIENT_TIMEOUT', stall: 'send' })
    await until(() => serverConn?.closed === true)
    await until(() => transport.sockets().open === 0)
    const r = await read
    expect(r.status).toBe(200)
    expect(r.complete).toBe(false)
    expect(r.received).toBeLessThan(total)
  })

  it('never cuts a client whose body keeps coming, gaps under clientBodyTimeout, however long in all', async () => {
    const parts = Array.from({ length: 5 }, (_, i) => Buffer.alloc(10_000, 0x61 + i))
    async function* slowBody(): AsyncIterable<Buffer> {
      for (const part of parts) {
        yield part
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    let got: Buffer[] = []
    const { front } = await setup(
      (conn) =>
        serveLoop(conn, async () => {
          got = await conn.receiveBody()
          conn.write(...ok('done'))
        }),
      { replyTimeout: 100 },
      {},
      { clientBodyTimeout: 450, clientSendTimeout: 450 },
    )
    const r = await call(front.port, { method: 'POST', path: '/up', headers: { 'content-length': '50000' }, body: slowBody() })
    expect(r.status).toBe(200)
    expect(sha(Buffer.concat(got))).toBe(sha(Buffer.concat(parts)))
  })

  it('rejects after close()', async () => {
    const { transport } = await setup((conn) => serveLoop(conn, () => conn.write(...ok())))
    await (transport as AjpTransport).close()
    await expect(transport.ping()).rejects.toMatchObject({ code: 'LB_ERR_CLOSED' })
  })
})

describe('describeForwardRequest behind a trusted TLS terminator', () => {
  it('sends what the proxy reported: is_ssl, server_name and server_port, remote_addr; no TLS facts of its own', () => {
    const req = { httpVersion: '1.1', headers: {}, socket: { remoteAddress: '10.0.0.2' } } as never
    const client = { address: '10.0.0.2', port: 40_112, localAddress: '10.0.0.5', localPort: 8443, secure: true, forwardedFor: '203.0.113.9', forwardedHost: 'shop.example:8443', proxied: true }
    const described = describeForwardRequest({ path: '/app/x?q=1', client, publicHost: 'shop.example:8443', method: 'GET', req, headers: { host: 'shop.example:8443' } }, 0, 'A', 's')
    expect(described).toMatchObject({ isSsl: true, serverName: 'shop.example', serverPort: 8443, remoteAddr: '203.0.113.9', remotePort: 40_112, localAddr: '10.0.0.5', tls: undefined })
  })

  it('without a trusted proxy, the socket\'s facts', () => {
    const req = { httpVersion: '1.1', headers: {}, socket: { remoteAddress: '10.0.0.2' } } as never
    const client = { address: '10.0.0.2', port: 40_112, localAddress: '10.0.0.5', localPort: 8080, secure: false }
    const described = describeForwardRequest({ path: '/app/x', client, publicHost: 'shop.example', method: 'GET', req, headers: { host: 'shop.example' } }, 0, 'A', 's')
    expect(described).toMatchObject({ isSsl: false, serverName: 'shop.example', serverPort: 8080, remoteAddr: '10.0.0.2' })
  })
})
