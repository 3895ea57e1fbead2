import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import type { BalancerEvents } from '../../lib/balancer.js'
import { forEachHttpTransport, eventually, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

beforeEach(guardProcess)

type MemberError = BalancerEvents['member:error'][0]

/** A raw TCP upstream: `onSocket` decides what bytes (if any) go back. */
async function startRawUpstream(onSocket: (socket: net.Socket) => void): Promise<string> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    onSocket(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Resolves with the error a request fails with; fails the test if the request completes. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the response to be cut short')
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('balancer: upstream faults', () => {
  it('a member that never answers → 504 after `timeout`, without a retry', async () => {
    const silent = await startUpstream('A', () => {})
    const b = await startUpstream('B')
    const { url, balancer } = await startBalancer({ members: [{ url: silent.url, route: 'A' }, { url: b.url, route: 'B' }], timeout: 300 })
    const errors: MemberError[] = []
    balancer.on('member:error', (e) => errors.push(e))
    const started = Date.now()
    const r = await httpRequest(`${url}/slow`, { timeoutMs: 3_000 })
    const elapsed = Date.now() - started
    expect(r.status).toBe(504)
    expect(r.body.toString()).toBe('504 Gateway Timeout\n')
    expect(elapsed).toBeGreaterThanOrEqual(250)
    expect(elapsed).toBeLessThan(2_000)
    expect(errors.map((e) => [e.member.id, e.error.code, e.willRetry])).toEqual([['A', 'LB_ERR_UPSTREAM_TIMEOUT', false]])
    expect(b.seen).toHaveLength(0)
  })

  it('a member that answers slower than nothing-but-within `timeout` is fine', async () => {
    const a = await startUpstream('A', (_req, res) => void setTimeout(() => res.end('late'), 150))
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }], timeout: 400 })
    const r = await httpRequest(`${url}/`)
    expect([r.status, r.body.toString()]).toEqual([200, 'late'])
  })

  it('a body that keeps flowing slower than the whole timeout but never idles that long is not cut', async () => {
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      let n = 0
      const timer = setInterval(() => {
        res.write(`${n}\n`)
        if (++n === 8) {
          clearInterval(timer)
          res.end()
        }
      }, 60)
      res.on('close', () => clearInterval(timer))
    })
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }], timeout: 200 })
    const r = await httpRequest(`${url}/`)
    expect(r.body.toString().split('\n').filter(Boolean)).toHaveLength(8)
  })

  it('a member that resets mid-response after the head → the client sees an aborted response, not a hang', async () => {
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024) })
      res.write(randomBytes(64 * 1024), () => setTimeout(() => res.socket?.resetAndDestroy(), 20))
    })
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const errors: MemberError[] = []
    balancer.on('member:error', (e) => errors.push(e))
    const err = await rejection(httpRequest(`${url}/big`, { timeoutMs: 3_000 }))
    expect(err.message).not.toMatch(/client timeout/)
    expect(errors.map((e) => [e.error.code, e.willRetry])).toEqual([['LB_ERR_UPSTREAM_RESET', false]])
    // not a connect failure: the member stays in use
    expect(balancer.members[0]?.health).toBe('ok')
    expect(balancer.members[0]?.counters.inFlight).toBe(0)
  })

  // A member that answers before reading the whole request and then closes leaves request bytes
  // unread, so its kernel resets the connection (RFC 9112 §9.6): Node's own 431 for an oversized
  // head does this. Node 24 reports that reset on the request after the answer arrived.
  it.each([
    ['without a body', 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n', 431, ''],
    ['with a body that ends with the connection', 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\ntoo large\n', 413, 'too large\n'],
  ])('a member that answers early %s and resets the connection: the client gets that answer', async (_name, answer, status, body) => {
    const raw = await startRawUpstream((socket) => {
      socket.once('data', () => socket.write(answer, () => setTimeout(() => socket.resetAndDestroy(), 20)))
    })
    const { url, balancer } = await startBalancer({ members: [{ url: raw, route: 'A' }] })
    const errors: MemberError[] = []
    balancer.on('member:error', (e) => errors.push(e))
    const r = await httpRequest(`${url}/x`, { timeoutMs: 3_000 })
    expect([r.status, r.body.toString()]).toEqual([status, body])
    expect(errors).toEqual([])
    expect(balancer.members[0]?.health).toBe('ok')
    expect(await eventually(() => balancer.members[0]?.counters.inFlight === 0)).toBe(true)
  })

  it('a chunked response cut off mid-body → the client sees an aborted response', async () => {
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('partial', () => setTimeout(() => res.socket?.destroy(), 20))
    })
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const err = await rejection(httpRequest(`${url}/chunked`, { timeoutMs: 3_000 }))
    expect(err.message).not.toMatch(/client timeout/)
  })

  it('a member that accepts and then destroys the socket before any response → 502', async () => {
    const a = await startUpstream('A', (req) => req.socket.destroy())
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const r = await httpRequest(`${url}/x`, { timeoutMs: 3_000 })
    expect(r.status).toBe(502)
    expect(r.body.toString()).toBe('502 Bad Gateway\n')
    expect(balancer.members[0]?.counters.errors).toBe(1)
  })

  it('a member that destroys the socket after reading a POST body → 502, and the request is not replayed elsewhere', async () => {
    const a = await startUpstream('A', (req) => {
      req.resume()
      req.on('end', () => req.socket.destroy())
    })
    const b = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }] })
    const r = await httpRequest(`${url}/order`, { method: 'POST', body: 'buy 1' })
    expect(r.status).toBe(502)
    expect(b.seen).toHaveLength(0)
  })

  it('a member that sends garbage instead of HTTP → 502', async () => {
    const raw = await startRawUpstream((socket) => {
      socket.once('data', () => socket.end('NOT HTTP AT ALL\r\n\r\n'))
    })
    const { url, balancer } = await startBalancer({ members: [{ url: raw, route: 'A' }] })
    const errors: MemberError[] = []
    balancer.on('member:error', (e) => errors.push(e))
    const r = await httpRequest(`${url}/x`, { timeoutMs: 3_000 })
    expect(r.status).toBe(502)
    expect(errors.map((e) => e.error.code)).toEqual(['LB_ERR_UPSTREAM_PROTOCOL'])
  })

  it('a member that accepts and closes at once (FIN before any byte) → 502, no hang', async () => {
    const raw = await startRawUpstream((socket) => socket.end())
    const { url } = await startBalancer({ members: [{ url: raw, route: 'A' }] })
    const r = await httpRequest(`${url}/x`, { timeoutMs: 3_000 })
    expect([r.status, r.body.toString()]).toEqual([502, '502 Bad Gateway\n'])
  })

  it('a member that answers 413 before reading a large upload (and drains it): the client gets 413', async () => {
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(413, { 'content-type': 'text/plain' })
      res.end('too large')
    })
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const r = await httpRequest(`${url}/upload`, { method: 'POST', body: randomBytes(5 * 1024 * 1024), timeoutMs: 4_000 })
    expect([r.status, r.body.toString()]).toEqual([413, 'too large'])
    expect(balancer.members[0]?.counters.inFlight).toBe(0)
  })

  it('a member that answers 413 and closes under a large upload: 413 or 502, never a hang', async () => {
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' })
      res.end('too large')
    })
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    // The member closes with unread bytes in its buffer, so TCP may reset the connection before the
    // 413 is read (the "lingering close" race): either answer is correct, waiting forever is not.
    // The balancer answers either way (its lingering close keeps the answer readable under the
    // upload): a dropped client connection fails, and so does a hang.
    const outcome = await httpRequest(`${url}/upload`, { method: 'POST', body: randomBytes(5 * 1024 * 1024), timeoutMs: 4_000 }).then(
      (r) => `${r.status} ${r.body.toString()}`,
      (err: Error) => `no answer: ${err.message}`,
    )
    expect(['413 too large', '502 502 Bad Gateway\n']).toContain(outcome)
    expect(await eventually(() => balancer.members[0]?.counters.inFlight === 0)).toBe(true)
  })

  it('a member that closes idle keep-alive sockets early: later requests still succeed', async () => {
    const a = await startUpstream('A')
    a.server.keepAliveTimeout = 30
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    for (let i = 0; i < 4; i++) {
      expect(json<{ node: string }>(await httpRequest(`${url}/k${i}`)).node).toBe('A')
      await new Promise((r) => setTimeout(r, 60))
    }
  })
})
})
