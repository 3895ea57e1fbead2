/**
 * Upgrades (issue #9) through the balancer against in-process WebSocket upstreams: routing and
 * stickiness, AJP-only members, limits, timeouts, closing, and no leaked socket.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import { deadUrl } from '../support/fake-upstream.js'
import { startFront, until } from './support/front.js'
import type { Front } from './support/front.js'
import { WsClient, connectWs, openWs } from './support/ws-client.js'
import { OP, encodeFrame } from './support/ws-frames.js'
import { startWsUpstream, writeFromUpstream } from './support/ws-upstream.js'
import type { WsUpstream } from './support/ws-upstream.js'

async function pair(options: Record<string, unknown> = {}): Promise<{ a: WsUpstream; b: WsUpstream; front: Front }> {
  const a = await startWsUpstream('A')
  const b = await startWsUpstream('B')
  const front = await startFront({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }], ...options })
  return { a, b, front }
}

/** Every counter of upgraded connections back at zero, and no upstream socket left open. */
async function expectNoLeaks(front: Front, ...upstreams: WsUpstream[]): Promise<void> {
  await until(() => front.balancer.members.every((m) => m.counters.upgraded === 0 && m.counters.inFlight === 0), 5_000, 'counters at zero')
  await until(() => upstreams.every((u) => u.open.size === 0), 5_000, 'upstream sockets closed')
  expect(Object.values(front.balancer.upgrades()).every((n) => n === 0)).toBe(true)
}

describe('upgrades through bare node:http', () => {
  it('echoes text, binary and fragmented messages, and counts the connection while it is open', async () => {
    const { a, b, front } = await pair()
    const ws = await openWs(`${front.ws}/chat?x=1`)
    const member = front.balancer.member(ws.response.headers['x-node'] as string)!
    expect(member.counters.upgraded).toBe(1)
    expect(member.counters.inFlight).toBe(1)
    ws.sendText('hello')
    expect((await ws.next()).data.toString()).toBe('hello')
    const binary = Buffer.from([0, 1, 2, 250, 251, 255])
    ws.sendBinary(binary)
    const echoed = await ws.next()
    expect(echoed.type).toBe('binary')
    expect(echoed.data.equals(binary)).toBe(true)
    const big = 'x'.repeat(70_000)
    ws.sendFragmented(big, 3)
    expect((await ws.next()).data.toString()).toBe(big)
    const upstream = member.id === 'A' ? a : b
    expect(upstream.seen[0]?.url).toBe('/chat?x=1')
    expect(upstream.seen[0]?.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(upstream.seen[0]?.headers.upgrade).toBe('websocket')
    const answer = await ws.close(1000, 'bye')
    expect(answer?.code).toBe(1000)
    await expectNoLeaks(front, a, b)
    expect(member.counters.bytesOut).toBeGreaterThan(70_000)
  })

  it('keeps a session on its member and spreads new connections with the scheduler', async () => {
    const { a, b, front } = await pair()
    const events: { member: string; reason: string; status: number }[] = []
    front.balancer.on('upgrade', (e) => events.push({ member: e.member.id, reason: e.reason, status: e.status }))
    const sticky: WsClient[] = []
    for (let i = 0; i < 4; i++) sticky.push(await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=0123456789ABCDEF.B' } }))
    expect(sticky.map((c) => c.response.headers['x-node'])).toEqual(['B', 'B', 'B', 'B'])
    const fresh = [await openWs(front.ws + '/ws'), await openWs(front.ws + '/ws')]
    expect(new Set(fresh.map((c) => c.response.headers['x-node']))).toEqual(new Set(['A', 'B']))
    // ;jsessionid= in the path works as well
    const byPath = await openWs(front.ws + '/ws;jsessionid=0123.A')
    expect(byPath.response.headers['x-node']).toBe('A')
    expect(events.filter((e) => e.reason === 'sticky').map((e) => e.member)).toEqual(['B', 'B', 'B', 'B', 'A'])
    expect(events.every((e) => e.status === 101)).toBe(true)
    for (const c of [...sticky, ...fresh, byPath]) await c.close()
    await expectNoLeaks(front, a, b)
  })

  it('sends a session whose member is stopped to another member (same reasons as requests)', async () => {
    const { a, b, front } = await pair()
    front.balancer.setMemberState('B', 'stopped')
    const reasons: string[] = []
    front.balancer.on('upgrade', (e) => reasons.push(e.reason))
    const ws = await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=0123.B' } })
    expect(ws.response.headers['x-node']).toBe('A')
    expect(reasons[0]).not.toBe('sticky')
    await ws.close()
    await expectNoLeaks(front, a, b)
  })

  it('tunnels another Upgrade token listed in upgrade.protocols', async () => {
    const { a, b, front } = await pair({ upgrade: { protocols: ['websocket', 'x-echo'] } })
    const tunnel = await openWs(front.ws + '/raw', { protocol: 'x-echo/1' })
    expect(tunnel.response.headers.upgrade).toBe('x-echo/1')
    const got = new Promise<Buffer>((resolve) => tunnel.socket.once('data', resolve))
    tunnel.socket.write('raw bytes')
    expect((await got).toString()).toBe('raw bytes')
    tunnel.socket.end()
    await expectNoLeaks(front, a, b)
  })

  it('relays an answer that is not a 101 and frees the member', async () => {
    const refusing = await startWsUpstream('R', { mode: 'refuse' })
    const front = await startFront({ members: [{ url: refusing.url, route: 'R' }] })
    const answer = await connectWs(front.ws + '/nows')
    expect(answer).not.toBeInstanceOf(WsClient)
    expect((answer as { status: number }).status).toBe(404)
    expect((answer as { body: string }).body).toBe('no socket')
    await expectNoLeaks(front, refusing)
  })
})

describe('AJP members', () => {
  it('answers 501 on the raw socket and logs what to configure', async () => {
    const front = await startFront({ members: [{ url: 'ajp://127.0.0.1:1', route: 'J' }], health: false })
    const answer = await connectWs(front.ws + '/ws')
    expect(answer).not.toBeInstanceOf(WsClient)
    expect((answer as { status: number }).status).toBe(501)
    expect((answer as { body: string }).body).toContain('cannot be forwarded over AJP')
    expect(front.warnings.join('\n')).toMatch(/upgradeUrl.*"member":"J"|"member":"J".*upgradeUrl/)
    expect(front.balancer.member('J')!.counters.inFlight).toBe(0)
  })

  it('tunnels to upgradeUrl while requests go over AJP', async () => {
    const http = await startWsUpstream('J-http')
    const front = await startFront({ members: [{ url: 'ajp://127.0.0.1:1', upgradeUrl: http.url, route: 'J' }], health: false })
    const ws = await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=abc.J' } })
    expect(ws.response.headers['x-node']).toBe('J-http')
    ws.sendText('over http')
    expect((await ws.next()).data.toString()).toBe('over http')
    await ws.close()
    await expectNoLeaks(front, http)
  })

  it('validates upgradeUrl', async () => {
    await expect(startFront({ members: [{ url: 'ajp://127.0.0.1:8009', upgradeUrl: 'ajp://127.0.0.1:8009' }] })).rejects.toThrow(/upgradeUrl must be an http/)
    await expect(startFront({ members: [{ url: 'http://127.0.0.1:8080', upgradeUrl: 'http://127.0.0.1:8080/x' }] })).rejects.toThrow(/upgradeUrl must be an origin/)
    await expect(startFront({ members: [{ url: 'http://127.0.0.1:8080' }], upgrade: { idleTimeout: -1 } })).rejects.toThrow(/upgrade.idleTimeout/)
    await expect(startFront({ members: [{ url: 'http://127.0.0.1:8080' }], upgrade: { nope: 1 } as never })).rejects.toThrow(/upgrade.nope/)
  })
})

describe('failures before the 101', () => {
  it('answers 503 when the member refuses the connection, and puts it in error', async () => {
    const front = await startFront({ members: [{ url: await deadUrl(), route: 'D' }], health: false })
    const answer = await connectWs(front.ws + '/ws')
    expect((answer as { status: number }).status).toBe(503)
    expect(front.balancer.member('D')!.health).toBe('error')
    await until(() => front.balancer.member('D')!.counters.inFlight === 0)
  })

  it('answers 504 when the member does not answer the handshake in time', async () => {
    const hanging = await startWsUpstream('H', { mode: 'hang' })
    const front = await startFront({ members: [{ url: hanging.url, route: 'H' }], timeout: 300, health: false })
    const answer = await connectWs(front.ws + '/ws')
    expect((answer as { status: number }).status).toBe(504)
    await expectNoLeaks(front, hanging)
  })

  it('answers 502 when the member drops the connection', async () => {
    const dropping = await startWsUpstream('X', { mode: 'drop' })
    const front = await startFront({ members: [{ url: dropping.url, route: 'X' }], health: false })
    const answer = await connectWs(front.ws + '/ws')
    expect((answer as { status: number }).status).toBe(502)
    await expectNoLeaks(front, dropping)
  })

  it('frees everything when the client goes away during the handshake', async () => {
    const hanging = await startWsUpstream('H', { mode: 'hang' })
    const front = await startFront({ members: [{ url: hanging.url, route: 'H' }], health: false })
    const pending = connectWs(front.ws + '/ws', { timeoutMs: 300 })
    await expect(pending).rejects.toThrow(/no handshake answer/)
    await expectNoLeaks(front, hanging)
  })
})

describe('load and limits', () => {
  it('counts upgraded connections as in flight for bybusyness', async () => {
    const { a, b, front } = await pair({ scheduler: 'bybusyness' })
    const first = await openWs(front.ws + '/ws')
    const nodes = [first.response.headers['x-node']]
    const others: WsClient[] = []
    for (let i = 0; i < 3; i++) {
      const ws = await openWs(front.ws + '/ws')
      nodes.push(ws.response.headers['x-node'])
      others.push(ws)
    }
    // Two long-lived connections on each member, never three on one.
    expect(nodes.filter((n) => n === 'A')).toHaveLength(2)
    expect(nodes.filter((n) => n === 'B')).toHaveLength(2)
    for (const ws of [first, ...others]) await ws.close()
    await expectNoLeaks(front, a, b)
  })

  it('sends new connections past a full member and answers 503 when all are full or the session member is', async () => {
    const { a, b, front } = await pair({ upgrade: { maxPerMember: 1 } })
    const one = await openWs(front.ws + '/ws')
    const two = await openWs(front.ws + '/ws')
    expect(new Set([one.response.headers['x-node'], two.response.headers['x-node']])).toEqual(new Set(['A', 'B']))
    const third = await connectWs(front.ws + '/ws')
    expect((third as { status: number }).status).toBe(503)
    const sticky = await connectWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=1.A' } })
    expect((sticky as { status: number }).status).toBe(503)
    expect(front.warnings.join('\n')).toContain('maxPerMember')
    await one.close()
    await until(() => front.balancer.member(one.response.headers['x-node'] as string)!.counters.upgraded === 0)
    const again = await openWs(front.ws + '/ws')
    expect(again.response.headers['x-node']).toBe(one.response.headers['x-node'])
    await two.close()
    await again.close()
    await expectNoLeaks(front, a, b)
  })

  it('closes an idle connection with 1001 after upgrade.idleTimeout', async () => {
    const { a, b, front } = await pair({ upgrade: { idleTimeout: 300 } })
    const ws = await openWs(front.ws + '/ws')
    ws.sendText('still here')
    await ws.next()
    const started = Date.now()
    const message = await ws.next(3_000)
    expect(message.type).toBe('close')
    expect(message.code).toBe(1001)
    expect(message.reason).toBe('idle timeout')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    await ws.closed
    await expectNoLeaks(front, a, b)
    expect([...a.closeCodes, ...b.closeCodes]).toEqual([1001])
  })
})

describe('closing', () => {
  it('client and member: either side closing closes the other', async () => {
    const { a, b, front } = await pair()
    const ws = await openWs(front.ws + '/ws')
    ws.destroy()
    await expectNoLeaks(front, a, b)
    const ws2 = await openWs(front.ws + '/ws')
    for (const u of [a, b]) for (const s of u.open) s.destroy()
    await ws2.closed
    await expectNoLeaks(front, a, b)
  })

  it('draining keeps upgraded connections; stopped closes them with 1001 after the grace', async () => {
    const { a, b, front } = await pair({ upgrade: { closeGrace: 300 } })
    const ws = await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=1.A' } })
    front.balancer.setMemberState('A', 'draining')
    ws.sendText('draining')
    expect((await ws.next()).data.toString()).toBe('draining')
    const stoppedAt = Date.now()
    front.balancer.setMemberState('A', 'stopped')
    ws.sendText('within grace')
    expect((await ws.next()).data.toString()).toBe('within grace')
    const close = await ws.next(3_000)
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(250)
    expect(close).toMatchObject({ type: 'close', code: 1001, reason: 'member stopped' })
    await ws.closed
    await expectNoLeaks(front, a, b)
    expect(a.closeCodes).toEqual([1001])
  })

  it('a member made active again within the grace keeps its connections', async () => {
    const { a, b, front } = await pair({ upgrade: { closeGrace: 200 } })
    const ws = await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=1.A' } })
    front.balancer.setMemberState('A', 'stopped')
    front.balancer.setMemberState('A', 'active')
    await new Promise((r) => setTimeout(r, 400))
    ws.sendText('alive')
    expect((await ws.next()).data.toString()).toBe('alive')
    await ws.close()
    await expectNoLeaks(front, a, b)
  })

  it('never writes the close frame into the middle of a relayed frame', async () => {
    const a = await startWsUpstream('A', { onClose: 'ignore' })
    const b = await startWsUpstream('B')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }], upgrade: { closeGrace: 0 } })
    const ws = await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=1.A' } })
    const frame = encodeFrame(OP.text, Buffer.from('a message split in two'), false)
    writeFromUpstream(a, frame.subarray(0, 7))
    await new Promise((r) => setTimeout(r, 50))
    front.balancer.setMemberState('A', 'stopped')
    await new Promise((r) => setTimeout(r, 50))
    writeFromUpstream(a, frame.subarray(7))
    expect((await ws.next()).data.toString()).toBe('a message split in two')
    expect(await ws.next()).toMatchObject({ type: 'close', code: 1001 })
    await ws.closed
    // This upstream never closes its side; the balancer's own sockets are gone all the same.
    await expectNoLeaks(front, b)
  })

  it('balancer.close() closes upgraded connections with 1001 and refuses new ones', async () => {
    const { a, b, front } = await pair({ upgrade: { closeGrace: 100 } })
    const ws = await openWs(front.ws + '/ws')
    const closing = front.balancer.close()
    const refused = await connectWs(front.ws + '/ws')
    expect((refused as { status: number }).status).toBe(503)
    expect(await ws.next(3_000)).toMatchObject({ type: 'close', code: 1001, reason: 'balancer closing' })
    await closing
    await ws.closed
    await expectNoLeaks(front, a, b)
  })

  it('removing a member closes its connections', async () => {
    const { a, b, front } = await pair({ upgrade: { closeGrace: 50 }, closeTimeout: 3_000 })
    const ws = await openWs(front.ws + '/ws', { headers: { cookie: 'JSESSIONID=1.B' } })
    await front.balancer.removeMember('B')
    expect(await ws.next(3_000)).toMatchObject({ type: 'close', code: 1001, reason: 'member removed' })
    await ws.closed
    await until(() => b.open.size === 0 && a.open.size === 0)
  })
})

describe('CONNECT', () => {
  async function connect(url: string, target: string): Promise<string> {
    const { port } = new URL(url)
    const socket = net.connect(Number(port), '127.0.0.1')
    socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`)
    let reply = ''
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')))
    await new Promise<void>((resolve, reject) => {
      socket.on('close', () => resolve())
      socket.on('error', reject)
      setTimeout(() => reject(new Error(`no close within 3 s; got ${JSON.stringify(reply)}`)), 3_000).unref()
    })
    return reply
  }

  it('is answered 405 with Allow and the connection closed, with a log line; nothing reaches a member', async () => {
    const { a, b, front } = await pair()
    for (const target of ['front:443', '127.0.0.1:22']) {
      const reply = await connect(front.url, target)
      expect(reply).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/)
      expect(reply).toMatch(/\r\nAllow: GET, HEAD, POST/)
    }
    expect(a.seen.length + b.seen.length).toBe(0)
    const ws = await openWs(front.ws + '/ws')
    await ws.close()
    await expectNoLeaks(front, a, b)
  })

  it('leaves CONNECT to a listener of the server\'s own', async () => {
    const a = await startWsUpstream('A')
    const server = http.createServer()
    server.on('connect', (_req: http.IncomingMessage, socket: Duplex) => socket.end('HTTP/1.1 200 Connection Established\r\n\r\n'))
    const balancer = createBalancer({ members: [{ url: a.url }], logger: false })
    const detach = balancer.attachUpgrades(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      expect(server.listenerCount('connect')).toBe(1)
      const reply = await connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'x:1')
      expect(reply).toMatch(/^HTTP\/1\.1 200 /)
    } finally {
      detach()
      await balancer.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await a.close()
    }
  })
})

describe('the member path of upgrades and requests', () => {
  /** A member that records the path of every request and every upgrade (upgrades get 404). */
  async function recordingMember(): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
    const paths: string[] = []
    const server = http.createServer((req, res) => {
      paths.push(`request ${req.url}`)
      res.end('ok')
    })
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
      paths.push(`upgrade ${req.url}`)
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      paths,
      close: () => new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
    }
  }

  // Regression: with upstreamPath '/testapp' a request to the bare mount went to /testapp and an
  // upgrade to /testapp/; a traversal was forwarded as sent by both.
  it('is the same for both, built by one function, normalised and confined to the mount', async () => {
    const member = await recordingMember()
    const balancer = createBalancer({ members: [{ url: member.url }], upstreamPath: '/testapp', logger: false })
    const server = http.createServer((req, res) => {
      const originalUrl = req.url ?? '/'
      req.url = originalUrl.slice('/app'.length) || '/'
      void balancer.handle(req, res, undefined, { mountPath: '/app', originalUrl })
    })
    balancer.attachUpgrades(server, { mountPath: '/app' })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const sent = ['/app', '/app/', '/app?x=1', '/app/a/../b;jsessionid=S.A?y=/../z', '/app;jsessionid=S.A/c', '/app//d/./e/%2e%2e/f']
      const expected = ['/testapp', '/testapp/', '/testapp?x=1', '/testapp/b;jsessionid=S.A?y=/../z', '/testapp;jsessionid=S.A/c', '/testapp/d/f']
      for (const path of sent) {
        await rawHttp(base, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
        await rawHttp(base, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`)
      }
      expect(member.paths).toEqual(expected.flatMap((p) => [`request ${p}`, `upgrade ${p}`]))
      for (const path of ['/app/..', '/app/../examples/', '/app/..;/examples/', '/app/%2e%2e/examples', '/app/x/..%2f..%2fexamples', '/app/;/../examples']) {
        expect(await rawHttp(base, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
        expect(await rawHttp(base, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400 /)
      }
      expect(member.paths).toHaveLength(expected.length * 2)
    } finally {
      await balancer.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await member.close()
    }
  })
})

/** Sends `raw` on a fresh connection and resolves with everything received until it closes. */
function rawHttp(base: string, raw: string): Promise<string> {
  const { port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(raw))
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.on('close', () => resolve(data))
    socket.on('error', reject)
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')))
  })
}

describe('upgrades behind a trusted TLS terminator (trustProxy)', () => {
  const fromLb = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example:8443', 'x-forwarded-port': '8443', 'x-forwarded-for': '203.0.113.9' }

  it('pass on what a trusted proxy reports', async () => {
    const a = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], trustProxy: 'loopback' })
    const ws = await openWs(`${front.ws}/chat`, { headers: fromLb })
    const seen = a.seen[0]?.headers ?? {}
    expect([seen['x-forwarded-proto'], seen['x-forwarded-host'], seen['x-forwarded-port'], seen['x-forwarded-for']]).toEqual(['https', 'shop.example:8443', '8443', '203.0.113.9, 127.0.0.1'])
    await ws.close(1000, 'bye')
    await expectNoLeaks(front, a)
  })

  it('replace what an untrusted client claims', async () => {
    const a = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], trustProxy: '10.0.0.0/8' })
    const ws = await openWs(`${front.ws}/chat`, { headers: fromLb })
    const seen = a.seen[0]?.headers ?? {}
    const port = new URL(front.ws).port
    expect([seen['x-forwarded-proto'], seen['x-forwarded-host'], seen['x-forwarded-port']]).toEqual(['http', `127.0.0.1:${port}`, port])
    await ws.close(1000, 'bye')
    await expectNoLeaks(front, a)
  })
})
