/**
 * Who stalled, at the edges, with in-process members (run on every HTTP transport by the
 * forEachHttpTransport block below; AJP's edges are in
 * lib/transports/ajp/ajp-transport.test.ts, real Tomcat in test/reliability/client-stalls.tomcat.test.ts).
 *
 * A client stall ends its exchange after `clientBodyTimeout` / `clientSendTimeout` and is never
 * the member's failure; the member's `timeout` ignores time spent waiting on the client and counts
 * again once the client moves.
 */
import type http from 'node:http'
import net from 'node:net'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Balancer } from '../../lib/balancer.js'
import { forEachHttpTransport, eventually, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'
import type { UpstreamHandler } from '../support/fake-upstream.js'
import { readAfterPause } from '../support/read-after-pause.js'

beforeEach(guardProcess)

/** How the member's side of each request ended: its request body complete, its response finished. */
interface MemberSide {
  readonly bodyComplete: boolean
  readonly responseFinished: boolean
}

/** Reads the body, then answers with `answer` (or never, when it is undefined); records how each exchange ended. */
function recordingHandler(answer: ((res: http.ServerResponse, bodyLength: number) => void) | undefined): { handler: UpstreamHandler; ended: MemberSide[] } {
  const ended: MemberSide[] = []
  const handler: UpstreamHandler = (req, res) => {
    let length = 0
    let bodyComplete = false
    req.on('data', (c: Buffer) => (length += c.length))
    req.on('end', () => {
      bodyComplete = true
      answer?.(res, length)
    })
    res.on('close', () => ended.push({ bodyComplete, responseFinished: res.writableFinished }))
  }
  return { handler, ended }
}

/** Answers `total` bytes, honouring backpressure (a member whose writes wait for us). */
function bigAnswer(total: number): (res: http.ServerResponse) => void {
  return (res) => {
    if (res.req.url !== '/big') return void res.end('small')
    res.writeHead(200, { 'content-length': total })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent)
        sent += n
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
  }
}

/** Sends a head announcing `announced` bytes and `sent` of them, then stalls; resolves with what came back once the connection ends. */
function stalledUpload(url: string, announced: number, sent: number): Promise<{ text: string; ms: number }> {
  const { port } = new URL(url)
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = net.connect(Number(port), '127.0.0.1')
    let text = ''
    const done = (): void => {
      socket.destroy()
      resolve({ text, ms: Date.now() - started })
    }
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
    socket.on('end', done)
    socket.on('error', done)
    socket.write(`POST /up HTTP/1.1\r\nHost: front\r\nContent-Length: ${announced}\r\n\r\n`)
    socket.write(Buffer.alloc(sent, 0x62))
  })
}

function memberState(balancer: Balancer): [string, string, number, number][] {
  return balancer.members.map((m) => [m.id, m.health, m.counters.errors, m.counters.clientAborts])
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('balancer: client stalls', () => {
  it('a stalled upload gets 408 after clientBodyTimeout, not 504 after the shorter member timeout; the member is not blamed, nor another one tried', async () => {
    const a = recordingHandler((res) => res.end('never'))
    const memberA = await startUpstream('A', a.handler)
    const memberB = await startUpstream('B')
    const { balancer, url } = await startBalancer({
      members: [{ url: memberA.url, route: 'A' }, { url: memberB.url, route: 'B' }],
      scheduler: 'byrequests',
      timeout: 100,
      clientBodyTimeout: 400,
    })
    // The first new request goes to the first member.
    const reply = await stalledUpload(url, 100_000, 1000)
    expect(reply.text).toMatch(/^HTTP\/1\.1 408 /)
    expect(reply.text.toLowerCase()).toContain('connection: close')
    expect(reply.ms).toBeGreaterThanOrEqual(350)
    // The member's side of the exchange was cut (its body never completed) and its connection closed.
    expect(await eventually(() => a.ended.length === 1)).toBe(true)
    expect(a.ended).toEqual([{ bodyComplete: false, responseFinished: false }])
    expect(memberB.seen).toHaveLength(0)
    expect(memberState(balancer)).toEqual([['A', 'ok', 0, 1], ['B', 'ok', 0, 0]])
    expect(await eventually(() => Object.values(balancer.sockets()).every((s) => s.open === s.idle))).toBe(true)
    // and the member serves the next request
    expect((await httpRequest(`${url}/next`)).status).toBe(200)
  })

  it('a body read in full for retries (retryBodyLimit) that stalls gets 408 after clientBodyTimeout; no member sees it', async () => {
    const member = await startUpstream('A')
    const { balancer, url } = await startBalancer({ members: [{ url: member.url, route: 'A' }], retryBodyLimit: 64 * 1024, clientBodyTimeout: 300 })
    const { port } = new URL(url)
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(Number(port), '127.0.0.1')
      let text = ''
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
      socket.on('end', () => resolve(text))
      socket.on('error', () => resolve(text))
      socket.write('PUT /doc HTTP/1.1\r\nHost: front\r\nContent-Length: 1000\r\n\r\n')
      socket.write(Buffer.alloc(100, 0x63))
    })
    expect(reply).toMatch(/^HTTP\/1\.1 408 /)
    expect(reply.toLowerCase()).toContain('connection: close')
    expect(member.seen).toHaveLength(0)
    expect(memberState(balancer)).toEqual([['A', 'ok', 0, 0]])
  })

  it('an upload paused longer than timeout (but less than clientBodyTimeout) arrives whole', async () => {
    const a = recordingHandler((res, length) => res.end(JSON.stringify({ length })))
    const member = await startUpstream('A', a.handler)
    const { balancer, url } = await startBalancer({ members: [{ url: member.url, route: 'A' }], timeout: 150, clientBodyTimeout: 3000 })
    async function* pausedBody(): AsyncIterable<Buffer> {
      yield Buffer.alloc(30_000, 0x61)
      await new Promise((r) => setTimeout(r, 600))
      yield Buffer.alloc(30_000, 0x62)
    }
    const r = await httpRequest(`${url}/up`, { method: 'POST', headers: { 'content-length': '60000' }, body: pausedBody() })
    expect(r.status).toBe(200)
    expect(json<{ length: number }>(r).length).toBe(60_000)
    expect(memberState(balancer)).toEqual([['A', 'ok', 0, 0]])
  })

  it('after a client pause longer than timeout, a member that then goes silent still gets 504 after timeout', async () => {
    const a = recordingHandler(undefined) // reads the whole body, never answers
    const member = await startUpstream('A', a.handler)
    const { balancer, url } = await startBalancer({ members: [{ url: member.url, route: 'A' }], timeout: 200, clientBodyTimeout: 5000 })
    let bodyDone = 0
    async function* pausedBody(): AsyncIterable<Buffer> {
      yield Buffer.alloc(1000, 0x61)
      await new Promise((r) => setTimeout(r, 600))
      yield Buffer.alloc(1000, 0x62)
      bodyDone = Date.now()
    }
    const r = await httpRequest(`${url}/up`, { method: 'POST', headers: { 'content-length': '2000' }, body: pausedBody(), timeoutMs: 4000 })
    expect(r.status).toBe(504)
    // the member's silence was timed from when the client had sent everything, not from the start
    expect(Date.now() - bodyDone).toBeGreaterThanOrEqual(150)
    expect(Date.now() - bodyDone).toBeLessThan(3000)
    expect(memberState(balancer)).toEqual([['A', 'error', 1, 0]])
  })

  it('a reader that stops reading is cut after clientSendTimeout; the member is not blamed and its connection is closed', async () => {
    const total = 32 * 1024 * 1024
    const a = recordingHandler(bigAnswer(total))
    const member = await startUpstream('A', a.handler)
    const { balancer, url } = await startBalancer({ members: [{ url: member.url, route: 'A' }], timeout: 100, clientSendTimeout: 300 })
    const r = await readAfterPause(`${url}/big`, 2000)
    expect(r.status).toBe(200)
    expect(r.complete).toBe(false)
    expect(r.received).toBeLessThan(total)
    expect(a.ended).toEqual([{ bodyComplete: true, responseFinished: false }])
    expect(memberState(balancer)).toEqual([['A', 'ok', 0, 1]])
    expect(await eventually(() => Object.values(balancer.sockets()).every((s) => s.open === s.idle))).toBe(true)
    expect((await httpRequest(`${url}/next`)).status).toBe(200)
  })

  it('a reader paused longer than timeout (but less than clientSendTimeout) gets the whole body', async () => {
    const total = 16 * 1024 * 1024
    const a = recordingHandler(bigAnswer(total))
    const member = await startUpstream('A', a.handler)
    const { balancer, url } = await startBalancer({ members: [{ url: member.url, route: 'A' }], timeout: 150, clientSendTimeout: 5000 })
    const r = await readAfterPause(`${url}/big`, 700)
    expect(r).toMatchObject({ status: 200, received: total, complete: true })
    expect(memberState(balancer)).toEqual([['A', 'ok', 0, 0]])
  })
})
})
