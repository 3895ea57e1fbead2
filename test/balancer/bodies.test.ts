import { createHash, randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it } from 'vitest'
import { forEachHttpTransport, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'
import { readAfterPause } from '../support/read-after-pause.js'

beforeEach(guardProcess)

interface Echo {
  node: string
  method: string
  url: string
  headers: Record<string, string>
  length: number
  sha256: string
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

async function oneMember(options: { preserveHost?: boolean; via?: string } = {}) {
  const a = await startUpstream('A')
  const front = await startBalancer({ members: [{ url: a.url, route: 'A' }], ...options })
  return { a, ...front }
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('balancer: request and response bodies', () => {
  it('forwards a 5 MiB POST intact (SHA-256)', async () => {
    const { url } = await oneMember()
    const body = randomBytes(5 * 1024 * 1024)
    const r = await httpRequest(`${url}/upload`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })
    const echo = json<Echo>(r)
    expect(echo.length).toBe(body.length)
    expect(echo.sha256).toBe(sha256(body))
    expect(echo.headers['content-length']).toBe(String(body.length))
  })

  it('forwards a chunked upload intact', async () => {
    const { url } = await oneMember()
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 997))
    const r = await httpRequest(`${url}/upload`, { method: 'PUT', body: chunks })
    const echo = json<Echo>(r)
    const all = Buffer.concat(chunks)
    expect(echo.method).toBe('PUT')
    expect(echo.length).toBe(all.length)
    expect(echo.sha256).toBe(sha256(all))
    expect(echo.headers['transfer-encoding']).toBe('chunked')
  })

  it('forwards an empty POST', async () => {
    const { url } = await oneMember()
    const echo = json<Echo>(await httpRequest(`${url}/empty`, { method: 'POST', body: '' }))
    expect([echo.method, echo.length]).toEqual(['POST', 0])
  })

  it('streams a 5 MiB response intact', async () => {
    const payload = randomBytes(5 * 1024 * 1024)
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      for (let i = 0; i < payload.length; i += 256 * 1024) res.write(payload.subarray(i, i + 256 * 1024))
      res.end()
    })
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const r = await httpRequest(`${url}/download`)
    expect(r.body.length).toBe(payload.length)
    expect(sha256(r.body)).toBe(sha256(payload))
    expect(balancer.members[0]?.counters.bytesIn).toBe(payload.length)
  })

  it('pushes back on the member while the client does not read, and delivers everything after', async () => {
    const total = 16 * 1024 * 1024
    let upstreamRes: import('node:http').ServerResponse | undefined
    const a = await startUpstream('A', (_req, res) => {
      upstreamRes = res
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) })
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      for (let sent = 0; sent < total; sent += chunk.length) res.write(chunk)
      res.end()
    })
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const r = await readAfterPause(`${url}/download`, 300, () => upstreamRes?.writableLength ?? 0)
    // Most of the 16 MiB still waited at the member: the balancer did not buffer it all.
    expect(r.atResume).toBeGreaterThan(8 * 1024 * 1024)
    expect(r.received).toBe(total)
  })

  it('passes upstream statuses and headers through without treating them as member failures', async () => {
    const a = await startUpstream('A', (req, res) => {
      const status = Number(req.url?.slice(1))
      res.writeHead(status, { 'x-status': String(status), 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] })
      res.end(status === 204 || status === 304 ? undefined : `status ${status}`)
    })
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    for (const status of [404, 500, 503, 204, 201]) {
      const r = await httpRequest(`${url}/${status}`)
      expect(r.status).toBe(status)
      expect(r.headers['x-status']).toBe(String(status))
      expect(r.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/'])
    }
    expect(balancer.members[0]?.health).toBe('ok')
    expect(balancer.members[0]?.counters.errors).toBe(0)
  })

  it('answers HEAD without a body', async () => {
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(200, { 'content-length': '1234', 'content-type': 'text/plain' })
      res.end()
    })
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const r = await httpRequest(`${url}/h`, { method: 'HEAD' })
    expect(r.status).toBe(200)
    expect(r.headers['content-length']).toBe('1234')
    expect(r.body.length).toBe(0)
    expect(a.seen[0]?.method).toBe('HEAD')
  })
})

describe('balancer: what the member sees', () => {
  it('the path and query unchanged, the member’s Host, X-Forwarded-* from the socket, no hop-by-hop headers', async () => {
    const { url, a } = await oneMember()
    const port = new URL(url).port
    const echo = json<Echo>(await httpRequest(`${url}/a/b%20c;jsessionid=X.A?q=1&r=%2F&q=2`, {
      headers: {
        host: 'shop.example',
        connection: 'close, x-hop',
        'x-hop': 'dropped',
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-proto': 'https',
        cookie: 'JSESSIONID=X.A',
      },
    }))
    expect(echo.url).toBe('/a/b%20c;jsessionid=X.A?q=1&r=%2F&q=2')
    expect(echo.headers.host).toBe(new URL(a.url).host)
    expect(echo.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1')
    expect(echo.headers['x-forwarded-proto']).toBe('http')
    expect(echo.headers['x-forwarded-host']).toBe('shop.example')
    expect(echo.headers['x-forwarded-port']).toBe(port)
    expect(echo.headers.cookie).toBe('JSESSIONID=X.A')
    expect(echo.headers).not.toHaveProperty('x-hop')
  })

  it('the client’s Host with preserveHost, and a Via header when asked', async () => {
    const { url } = await oneMember({ preserveHost: true, via: 'edge-1' })
    const echo = json<Echo>(await httpRequest(`${url}/`, { headers: { host: 'shop.example:8443' } }))
    expect(echo.headers.host).toBe('shop.example:8443')
    expect(echo.headers.via).toBe('1.1 edge-1')
  })

  it('never tells the client the member’s address in Location', async () => {
    let memberUrl = ''
    const a = await startUpstream('A', (_req, res) => {
      res.writeHead(302, { location: `${memberUrl}/next?x=1`, 'content-length': '0' })
      res.end()
    })
    memberUrl = a.url
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const r = await httpRequest(`${url}/start`, { headers: { host: 'shop.example' } })
    expect(r.headers.location).toBe('http://shop.example/next?x=1')
  })
})
})
