/**
 * Bounded waiting and buffering: at most `http.maxQueue` requests wait for a member's busy
 * connections (one more is answered 503 at once), and bodies read in full for retries
 * (`retryBodyLimit`) never hold more than `retryBodyTotal` bytes across requests (one more is
 * streamed, not buffered). On every HTTP transport (forEachHttpTransport).
 */
import net from 'node:net'
import type http from 'node:http'
import { beforeEach, describe, expect, it } from 'vitest'
import { forEachHttpTransport, eventually, guardProcess, httpRequest, startBalancer, startUpstream } from '../support/fake-upstream.js'

beforeEach(guardProcess)

/** An upstream that answers each request only when the test releases it. */
async function heldUpstream() {
  const held: http.ServerResponse[] = []
  const upstream = await startUpstream('H', (req, res) => {
    req.resume()
    req.on('end', () => held.push(res))
  })
  const releaseAll = (): void => {
    for (const res of held.splice(0)) res.end('ok')
  }
  return { upstream, held, releaseAll }
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('http.maxQueue', () => {
  it('beyond maxQueue waiting requests, the next one is answered 503 at once; the waiting ones are served', async () => {
    const { upstream, held, releaseAll } = await heldUpstream()
    const { url, balancer } = await startBalancer({ members: [{ url: upstream.url, route: 'H' }], http: { maxSockets: 1, maxQueue: 2 }, connectTimeout: 20_000 })
    const errors: string[] = []
    balancer.on('member:error', (e) => errors.push(e.error.code))
    const first = httpRequest(`${url}/1`, { timeoutMs: 20_000 })
    expect(await eventually(() => held.length === 1, 5_000)).toBe(true)
    const waiting = [httpRequest(`${url}/2`, { timeoutMs: 20_000 }), httpRequest(`${url}/3`, { timeoutMs: 20_000 })]
    // both are in flight: their attempts started and wait in the member's queue (nothing else takes them)
    expect(await eventually(() => balancer.member('H')!.counters.inFlight === 3, 5_000)).toBe(true)
    const over = await httpRequest(`${url}/4`, { timeoutMs: 5_000 })
    expect(over.status).toBe(503)
    expect(errors).toEqual(['LB_ERR_UPSTREAM_BUSY'])
    expect(upstream.seen.map((s) => s.url)).toEqual(['/1'])
    expect(balancer.member('H')!.health).toBe('ok') // busy is not broken
    const release = setInterval(releaseAll, 20)
    try {
      expect((await Promise.all([first, ...waiting])).map((r) => r.status)).toEqual([200, 200, 200])
    } finally {
      clearInterval(release)
    }
    expect(upstream.seen.map((s) => s.url)).toEqual(['/1', '/2', '/3'])
  })
})

/** Sends a PUT head announcing `length` bytes and `sent` of them, keeping the socket open. */
function partialPut(url: string, path: string, length: number, sent: number): { socket: net.Socket; finish: () => Promise<string> } {
  const { port } = new URL(url)
  const socket = net.connect(Number(port), '127.0.0.1')
  let answer = ''
  socket.on('data', (d: Buffer) => (answer += d.toString('latin1')))
  socket.write(`PUT ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${'a'.repeat(sent)}`)
  return {
    socket,
    finish: () =>
      new Promise<string>((resolve) => {
        socket.on('close', () => resolve(answer))
        socket.write('a'.repeat(length - sent))
      }),
  }
}

describe('retryBodyTotal', () => {
  it('a body that does not fit what other requests buffer is streamed at once; the budget comes back when they end', async () => {
    const upstream = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: upstream.url, route: 'B' }], retryBodyLimit: 1000, retryBodyTotal: 1500 })
    // 1000 bytes announced, 500 sent: buffered, so the member sees nothing yet
    const one = partialPut(url, '/one', 1000, 500)
    await new Promise((r) => setTimeout(r, 200))
    expect(upstream.seen).toEqual([])
    // 1000 more would make 2000 > 1500: streamed, so the member sees the request before its body is complete
    const two = partialPut(url, '/two', 1000, 500)
    expect(await eventually(() => upstream.seen.some((s) => s.url === '/two'), 5_000)).toBe(true)
    expect(upstream.seen.map((s) => s.url)).toEqual(['/two'])
    // both complete and are answered
    for (const answer of await Promise.all([one.finish(), two.finish()])) expect(answer).toMatch(/^HTTP\/1\.1 200 /)
    expect(upstream.seen.map((s) => s.url).sort()).toEqual(['/one', '/two'])
    // the budget is free again: a new body is buffered
    const three = partialPut(url, '/three', 1000, 500)
    await new Promise((r) => setTimeout(r, 200))
    expect(upstream.seen.map((s) => s.url)).not.toContain('/three')
    expect(await three.finish()).toMatch(/^HTTP\/1\.1 200 /)
  })
})
})
