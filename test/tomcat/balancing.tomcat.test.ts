/**
 * The balancer against two real Tomcat nodes, over each connector (HTTP and AJP with its secret):
 * spreading, weights, stickiness, bodies, forwarding headers, reverse rewriting, failover to a dead
 * member, and client aborts.
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import express from 'express'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import type { BalancerOptions } from '../../lib/index.js'
import { stickyBalancer } from '../../adapters/express/index.js'
import { deadUrl, eventually, startFront } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappEchoJson, TestappIndexJson } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [typeof TOMCAT_NODES[0], typeof TOMCAT_NODES[0]]
const quiet = { logger: false as const, ajp: { secret: AJP_SECRET } }
/** The HTTP transport of the variant under test (set by each describe block). */
let currentTransport: Pick<BalancerOptions, 'http'> = {}

async function bareFront(options: BalancerOptions) {
  const balancer = createBalancer({ ...quiet, ...currentTransport, ...options })
  onTestFinished(() => balancer.close())
  const front = await startFront((req, res) => void balancer.handle(req, res))
  return { balancer, ...front }
}

async function nodeCounts(url: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/testapp/index.jsp?format=json`)
    const body = (await res.json()) as TestappIndexJson
    counts[body.node] = (counts[body.node] ?? 0) + 1
  }
  return counts
}

describe.each(['http', 'http-node', 'http-undici', 'ajp'] as const)('balancing over %s to real Tomcat', (variant) => {
  // http: http-proxy-3 (the default); http-node / http-undici: the http.transport 'node' / 'undici' paths; ajp: AJP13
  const protocol = variant === 'ajp' ? 'ajp' : 'http'
  const urlOf = (node: typeof A) => (protocol === 'http' ? node.httpUrl : node.ajpUrl)
  beforeAll(() => {
    currentTransport = variant === 'http-node' ? { http: { transport: 'node' } } : variant === 'http-undici' ? { http: { transport: 'undici' } } : {}
  })

  it('splits 100 requests without cookies 50/50 with weights 1:1', async () => {
    const { url } = await bareFront({ members: [{ url: urlOf(A), route: A.route }, { url: urlOf(B), route: B.route }] })
    expect(await nodeCounts(url, 100)).toEqual({ TomcatA: 50, TomcatB: 50 })
  })

  it('splits 100 requests 75/25 with weights 3:1', async () => {
    const { url } = await bareFront({ members: [{ url: urlOf(A), route: A.route, weight: 3 }, { url: urlOf(B), route: B.route, weight: 1 }] })
    expect(await nodeCounts(url, 100)).toEqual({ TomcatA: 75, TomcatB: 25 })
  })

  it('keeps a session on its node: 20 follow-ups with the cookie see the same node and session', async () => {
    const { url } = await bareFront({ members: [{ url: urlOf(A), route: A.route }, { url: urlOf(B), route: B.route }] })
    const first = await fetch(`${url}/testapp/index.jsp?format=json`)
    const cookie = first.headers.getSetCookie()[0]?.split(';')[0] ?? ''
    const body = (await first.json()) as TestappIndexJson
    expect(body.sessionId.endsWith(`.${body.node}`)).toBe(true)
    for (let i = 0; i < 20; i++) {
      const next = (await (await fetch(`${url}/testapp/index.jsp?format=json`, { headers: { cookie } })).json()) as TestappIndexJson
      expect(next).toMatchObject({ node: body.node, sessionId: body.sessionId, hits: i + 2 })
    }
  })

  it('streams a 5 MiB POST that arrives with the right SHA-256', async () => {
    const { url } = await bareFront({ members: [{ url: urlOf(A), route: A.route }] })
    const payload = randomBytes(5 * 1024 * 1024)
    const res = await fetch(`${url}/testapp/echo.jsp`, { method: 'POST', body: payload, headers: { 'content-type': 'application/octet-stream' } })
    const echo = (await res.json()) as TestappEchoJson
    expect(echo.bodyLength).toBe(payload.length)
    expect(echo.bodySha256).toBe(createHash('sha256').update(payload).digest('hex'))
  })

  it('sends a PUT body buffered for replay (retryBodyLimit) intact to Tomcat', async () => {
    const { url } = await bareFront({ members: [{ url: urlOf(A), route: A.route }], retryBodyLimit: 256 * 1024 })
    const payload = randomBytes(200 * 1024)
    const echo = (await (await fetch(`${url}/testapp/echo.jsp`, { method: 'PUT', body: payload })).json()) as TestappEchoJson
    expect(echo.method).toBe('PUT')
    expect(echo.bodyLength).toBe(payload.length)
    expect(echo.bodySha256).toBe(createHash('sha256').update(payload).digest('hex'))
  })

  it('sends X-Forwarded-* and the member Host as Tomcat sees them', async () => {
    const { url, server } = await bareFront({ members: [{ url: urlOf(A), route: A.route }] })
    const port = (server.address() as { port: number }).port
    const echo = (await (await fetch(`${url}/testapp/echo.jsp`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' } })).json()) as TestappEchoJson
    expect(echo.headers['x-forwarded-for']).toEqual(['203.0.113.9, 127.0.0.1'])
    expect(echo.headers['x-forwarded-host']).toEqual([`127.0.0.1:${port}`])
    expect(echo.headers['x-forwarded-proto']).toEqual(['http'])
    expect(echo.headers['x-forwarded-port']).toEqual([String(port)])
    // over HTTP the member's own host (ProxyPreserveHost Off); AJP always carries the client's Host
    const host = protocol === 'http' ? `127.0.0.1:${A.httpPort}` : `127.0.0.1:${port}`
    expect(echo.headers.host).toEqual([host])
    expect(echo.serverPort).toBe(protocol === 'http' ? A.httpPort : port)
    expect(echo.remoteAddr).toBe('127.0.0.1')
    expect(echo.headers.connection ?? []).not.toContain('close')
  })

  it('keeps the client Host with preserveHost', async () => {
    const { url, server } = await bareFront({ members: [{ url: urlOf(A), route: A.route }], preserveHost: true })
    const port = (server.address() as { port: number }).port
    const echo = (await (await fetch(`${url}/testapp/echo.jsp`)).json()) as TestappEchoJson
    expect(echo.headers.host).toEqual([`127.0.0.1:${port}`])
    expect(echo.serverPort).toBe(port)
  })

  it('rewrites a redirect from Tomcat and cookie paths to the public mount (Express at /app → /testapp)', async () => {
    const app = express()
    const middleware = stickyBalancer({ ...quiet, ...currentTransport, members: [{ url: urlOf(A), route: A.route }], upstreamPath: '/testapp' })
    onTestFinished(() => middleware.balancer.close())
    app.use('/app', middleware)
    const { url } = await startFront(app)
    const res = await fetch(`${url}/app/redirect.jsp?to=index.jsp`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${url}/app/index.jsp`)
    const cookies = await fetch(`${url}/app/cookies.jsp`)
    const paths = cookies.headers.getSetCookie().map((c) => /Path=([^;]*)/i.exec(c)?.[1])
    expect(paths).toContain('/app')
    expect(paths).toContain('/app/sub')
    expect(paths.some((p) => p?.startsWith('/testapp'))).toBe(false)
  })

  it('fails over from a dead member: the request still succeeds and the dead one gets nothing more', async () => {
    const dead = await deadUrl()
    const { url, balancer } = await bareFront({ members: [{ url: dead, route: 'Dead' }, { url: urlOf(A), route: A.route }] })
    const counts = await nodeCounts(url, 10)
    expect(counts).toEqual({ TomcatA: 10 })
    const [deadMember] = balancer.members
    expect(deadMember?.counters.requests).toBe(1)
    expect(deadMember?.health).toBe('error')
    // a POST body survives the failover intact
    const body = randomBytes(256 * 1024)
    const fresh = await bareFront({ members: [{ url: dead, route: 'Dead' }, { url: urlOf(A), route: A.route }] })
    const echo = (await (await fetch(`${fresh.url}/testapp/echo.jsp`, { method: 'POST', body })).json()) as TestappEchoJson
    expect(echo.bodySha256).toBe(createHash('sha256').update(body).digest('hex'))
  })

  it('closes the upstream request when a client aborts a large download (no leaked socket)', async () => {
    const { url, balancer } = await bareFront({ members: [{ url: urlOf(A), route: A.route }] })
    await fetch(`${url}/testapp/static.txt`).then((r) => r.text())
    const idle = balancer.sockets()[A.route]
    expect(idle).toEqual({ open: 1, idle: 1 })
    await new Promise((r) => setTimeout(r, 50))
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${url}/testapp/big.jsp?bytes=${2 ** 40}`, (res) => {
        let seen = 0
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length
          if (seen > 1024 * 1024) req.destroy()
        })
        res.on('close', () => resolve())
      })
      req.on('error', () => resolve())
      setTimeout(() => reject(new Error('download did not start')), 10_000)
    })
    // 1 TiB cannot be drained within the test: the exchange with Tomcat can only end in time by
    // being cut, and the socket that carried it must not stay busy (still reading the download).
    const member = balancer.members[0]!
    expect(await eventually(() => member.counters.inFlight === 0, 10_000), 'the exchange with Tomcat ended').toBe(true)
    expect(await eventually(() => balancer.sockets()[A.route] !== undefined && balancer.sockets()[A.route]?.open === balancer.sockets()[A.route]?.idle, 10_000)).toBe(true)
    expect(member.counters.bytesIn).toBeLessThan(1024 * 1024 * 1024)
    expect(member.counters.errors).toBe(0) // the client's doing, not the member's
    // the balancer still serves
    expect((await fetch(`${url}/testapp/static.txt`)).status).toBe(200)
  })
})
