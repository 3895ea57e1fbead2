import http from 'node:http'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Balancer } from '../../lib/balancer.js'
import { eventually, guardProcess, httpRequest, json, slowDownload, startBalancer, startUpstream } from '../support/fake-upstream.js'

beforeEach(guardProcess)

/** Upstream sockets in use (open but not idle), summed over members. */
function busySockets(balancer: Balancer): number {
  return Object.values(balancer.sockets()).reduce((sum, s) => sum + s.open - s.idle, 0)
}

describe('balancer: excluded paths', () => {
  it('without next(), an excluded path gets 404 and never reaches a member', async () => {
    const a = await startUpstream('A')
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }], exclude: ['/skip', /\.local$/] })
    for (const path of ['/skip', '/skip/', '/skip/deep/x?y=1', '/any/file.local']) {
      const r = await httpRequest(`${url}${path}`)
      expect(r.status, path).toBe(404)
      expect(r.body.toString(), path).toMatch(/^404 Not Found/)
    }
    expect(a.seen).toHaveLength(0)
    for (const path of ['/skipper', '/x/skip', '/file.local.txt']) {
      expect((await httpRequest(`${url}${path}`)).status, path).toBe(200)
    }
    expect(a.seen.map((s) => s.url)).toEqual(['/skipper', '/x/skip', '/file.local.txt'])
  })

  it('with next(), an excluded path calls next() without an error', async () => {
    const a = await startUpstream('A')
    const { balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }], exclude: ['/skip'] })
    const calls: unknown[][] = []
    const { startFront } = await import('../support/fake-upstream.js')
    const front = await startFront((req, res) => {
      void balancer.handle(req, res, (...args: unknown[]) => {
        calls.push(args)
        res.end('next')
      })
    })
    const r = await httpRequest(`${front.url}/skip/a`)
    expect(r.body.toString()).toBe('next')
    expect(calls).toEqual([[]])
  })
})

describe('balancer: client aborts', () => {
  it('a client aborting a large slow download closes the upstream request and frees the socket', async () => {
    const download = slowDownload(50 * 1024 * 1024)
    const a = await startUpstream('A', download.handler)
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const errors: unknown[] = []
    balancer.on('member:error', (e) => errors.push(e))

    const received = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${url}/big`, { agent: false }, (res) => {
        let bytes = 0
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes >= 1024 * 1024) {
            req.destroy()
            resolve(bytes)
          }
        })
        res.on('error', () => {})
      })
      req.on('error', (err) => {
        if (!req.destroyed) reject(err)
      })
      setTimeout(() => reject(new Error('no data within 3 s')), 3_000).unref()
    })
    expect(received).toBeGreaterThanOrEqual(1024 * 1024)

    const outcome = await Promise.race([download.outcome, new Promise((r) => setTimeout(() => r('still streaming'), 2_000))])
    expect(outcome).toBe('aborted')
    expect(await eventually(() => busySockets(balancer) === 0, 2_000)).toBe(true)
    expect(balancer.members[0]?.counters.inFlight).toBe(0)
    // the client went away: not the member's fault
    expect(errors).toEqual([])
    expect(balancer.members[0]?.health).toBe('ok')
    // and the balancer still works
    a.server.removeAllListeners('request')
    a.server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => res.end('after'))
    expect((await httpRequest(`${url}/after`)).body.toString()).toBe('after')
  })

  it('a client aborting mid-upload aborts the upstream request and nothing leaks', async () => {
    let upstreamAborted!: () => void
    const aborted = new Promise<void>((resolve) => {
      upstreamAborted = resolve
    })
    const a = await startUpstream('A', (req, res) => {
      req.resume()
      req.on('error', () => {})
      req.on('close', () => {
        if (!req.complete) upstreamAborted()
      })
      req.on('end', () => res.end('complete'))
    })
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const req = http.request(`${url}/upload`, { method: 'POST', agent: false })
    req.on('error', () => {})
    req.write(Buffer.alloc(256 * 1024))
    expect(await eventually(() => a.seen.length === 1)).toBe(true)
    await new Promise((r) => setTimeout(r, 50))
    req.destroy()
    await Promise.race([aborted, new Promise((_, reject) => setTimeout(() => reject(new Error('upstream request not aborted')), 2_000))])
    expect(await eventually(() => busySockets(balancer) === 0 && balancer.members[0]?.counters.inFlight === 0, 2_000)).toBe(true)
    expect(balancer.members[0]?.health).toBe('ok')
  })
})

describe('balancer: close()', () => {
  it('waits for a request in flight, then resolves; requests after close get 503', async () => {
    const a = await startUpstream('A', (_req, res) => void setTimeout(() => res.end('slow done'), 300))
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }], closeTimeout: 5_000 })
    const inFlight = httpRequest(`${url}/slow`)
    expect(await eventually(() => a.seen.length === 1)).toBe(true)

    const started = Date.now()
    let closed = false
    const closing = balancer.close().then(() => {
      closed = true
    })
    // a new request while closing is refused at once
    const refused = await httpRequest(`${url}/new`)
    expect(refused.status).toBe(503)
    expect(closed).toBe(false)

    const r = await inFlight
    expect([r.status, r.body.toString()]).toEqual([200, 'slow done'])
    await closing
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    expect(Date.now() - started).toBeLessThan(3_000)

    const after = await httpRequest(`${url}/after`)
    expect(after.status).toBe(503)
    expect(after.body.toString()).toBe('503 Service Unavailable\n')
    expect(a.seen).toHaveLength(1)
    expect(busySockets(balancer)).toBe(0)
    expect(Object.values(balancer.sockets()).every((s) => s.open === 0)).toBe(true)
  })

  it('passes LB_ERR_CLOSED to next() after close', async () => {
    const a = await startUpstream('A')
    const { balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    await balancer.close()
    const errors: unknown[] = []
    const { startFront } = await import('../support/fake-upstream.js')
    const front = await startFront((req, res) => {
      void balancer.handle(req, res, (err) => {
        errors.push(err)
        res.end()
      })
    })
    await httpRequest(`${front.url}/x`)
    expect(errors).toEqual([expect.objectContaining({ code: 'LB_ERR_CLOSED', statusCode: 503 })])
  })

  it('cuts requests still in flight after closeTimeout', async () => {
    let memberSawClose = false
    const a = await startUpstream('A', (req) => void req.socket.on('close', () => (memberSawClose = true)))
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }], closeTimeout: 500 })
    const inFlight = httpRequest(`${url}/never`, { timeoutMs: 8_000 }).then(
      (r) => `status ${r.status}`,
      (err: Error) => err.message,
    )
    expect(await eventually(() => a.seen.length === 1)).toBe(true)
    const started = Date.now()
    let cutAt = 0
    void inFlight.then(() => (cutAt = Date.now()))
    await balancer.close()
    // not before closeTimeout (the request had that long to finish), and not much after it
    expect(Date.now() - started).toBeGreaterThanOrEqual(450)
    expect(Date.now() - started).toBeLessThan(5_000)
    // cut: the client's request ends without an answer (no hang), and so does the member's
    expect(await inFlight).toBe('socket hang up')
    expect(cutAt - started).toBeGreaterThanOrEqual(450)
    expect(await eventually(() => memberSawClose, 2_000)).toBe(true)
    // the destroyed sockets leave the agent on their 'close' events, a tick or two later
    expect(await eventually(() => busySockets(balancer) === 0, 500)).toBe(true)
  })

  it('close() twice is harmless', async () => {
    const a = await startUpstream('A')
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    expect(json<{ node: string }>(await httpRequest(`${url}/`)).node).toBe('A')
    await Promise.all([balancer.close(), balancer.close()])
    await balancer.close()
    // still closed, and consistently so: refused with 503, nothing reaches the member, no socket
    const after = await httpRequest(`${url}/after`)
    expect([after.status, after.body.toString()]).toEqual([503, '503 Service Unavailable\n'])
    expect(a.seen).toHaveLength(1)
    expect(Object.values(balancer.sockets()).every((s) => s.open === 0)).toBe(true)
  })
})
