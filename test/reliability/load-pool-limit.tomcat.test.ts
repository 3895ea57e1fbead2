/**
 * The upstream pools at their limit, against the real Tomcat nodes (TomcatA/TomcatB), over HTTP
 * (`http.maxSockets`) and AJP (`ajp.maxConnections`):
 *
 * - 200 concurrent requests (slow pages, uploads, new sessions, static files) through pools of 4:
 *   every request waits its turn and completes; no pool ever opens more than 4 sockets, and every
 *   pool is idle afterwards;
 * - a request that waits longer than `connectTimeout` for a pooled connection is answered 503
 *   `LB_ERR_UPSTREAM_BUSY`, with a log line and a count, and the member stays in use: a busy pool
 *   is not a broken member (mod_jk's `OK/BUSY`, HAProxy's `timeout queue`);
 * - AJP `maxQueued`: beyond it a request is answered 503 at once;
 * - a member whose every pooled connection is busy still passes its active health check.
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../support/tomcat.js'
import { poolsIdle, samplePools } from './support/connections.js'
import { recordingLogger, startHost } from './support/hosts.js'
import type { BalancerOptions } from '../../lib/options.js'

beforeEach(guardProcess)

const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]
const LIMIT = 4
const REQUESTS = 200

interface Reply {
  status: number
  body: Buffer
  headers: http.IncomingHttpHeaders
  ms: number
}

/** One request on a connection of its own; rejects on a socket error, after `timeoutMs` as hung. */
function request(url: string, { method = 'GET', body, timeoutMs = 30_000 }: { method?: string; body?: Buffer; timeoutMs?: number } = {}): Promise<Reply> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body ? { 'content-length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, ms: Date.now() - started }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`hung: no answer within ${timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

function membersOver(protocol: 'http' | 'ajp', nodes: readonly TomcatNode[]): BalancerOptions['members'] {
  return nodes.map((n) => ({ url: protocol === 'http' ? n.httpUrl : n.ajpUrl, route: n.route }))
}

describe.each(['http', 'ajp'] as const)('pools at their limit, %s members', (protocol) => {
  it(`${REQUESTS} concurrent requests through pools of ${LIMIT}: all queue and complete; the pools stay within ${LIMIT} and end idle`, async () => {
    await ensureTomcatNodes()
    const logger = recordingLogger()
    const host = await startHost('bare', {
      members: membersOver(protocol, [A, B]),
      health: false,
      logger,
      connectTimeout: 30_000, // the longest wait in the queue: longer than the whole run here
      http: { maxSockets: LIMIT, maxFreeSockets: LIMIT },
      ajp: { secret: AJP_SECRET, maxConnections: LIMIT },
    })
    onTestFinished(() => host.close())
    const upload = randomBytes(64 * 1024)
    const uploadSha = createHash('sha256').update(upload).digest('hex')
    const peaks = samplePools(host.balancer)
    const started = Date.now()
    const replies = await Promise.all(Array.from({ length: REQUESTS }, async (_, i) => {
      const kind = i % 5 === 0 ? 'slow' : i % 5 === 1 ? 'upload' : i % 5 === 2 ? 'session' : 'static'
      const url = `${host.url}/testapp/${kind === 'slow' ? 'slow.jsp?ms=150' : kind === 'upload' ? 'echo.jsp' : kind === 'session' ? 'index.jsp?format=json' : 'static.txt'}`
      const reply = await request(url, kind === 'upload' ? { method: 'POST', body: upload } : {})
      return { kind, ...reply }
    }))
    const elapsed = Date.now() - started
    peaks.stop()
    expect(replies.filter((r) => r.status !== 200).map((r) => `${r.kind} ${r.status} ${r.body.toString().slice(0, 80)}`)).toEqual([])
    for (const r of replies.filter((x) => x.kind === 'upload')) expect((JSON.parse(r.body.toString()) as TestappEchoJson).bodySha256).toBe(uploadSha)
    // 40 slow pages of 150 ms over 2 × 4 connections take at least 750 ms: they did queue
    expect(elapsed).toBeGreaterThanOrEqual(700)
    for (const route of [A.route, B.route]) {
      expect(peaks.open[route], `${route}: most sockets at once`).toBeLessThanOrEqual(LIMIT)
      expect(peaks.open[route], `${route}: most sockets at once`).toBeGreaterThan(0)
    }
    expect(await eventually(() => poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)
    expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([])
    for (const m of host.balancer.members) expect([m.id, m.health, m.counters.errors]).toEqual([m.id, 'ok', 0])
  })

  it('a request that waits longer than connectTimeout for a pooled connection gets 503 LB_ERR_UPSTREAM_BUSY; the member stays in use', async () => {
    await ensureTomcatNodes()
    const logger = recordingLogger()
    const host = await startHost('bare', {
      members: membersOver(protocol, [A]),
      health: false,
      logger,
      connectTimeout: 400,
      http: { maxSockets: 2, maxFreeSockets: 2 },
      ajp: { secret: AJP_SECRET, maxConnections: 2 },
    })
    onTestFinished(() => host.close())
    const member = host.balancer.members[0]!
    const replies = await Promise.all(Array.from({ length: 6 }, () => request(`${host.url}/testapp/slow.jsp?ms=6000`, { timeoutMs: 15_000 })))
    const byStatus = replies.map((r) => r.status).sort()
    expect(byStatus).toEqual([200, 200, 503, 503, 503, 503])
    for (const r of replies.filter((x) => x.status === 503)) {
      expect(r.body.toString()).toBe('503 Service Unavailable\n')
      expect(r.ms).toBeGreaterThanOrEqual(350) // waited its connectTimeout in the queue…
      expect(r.ms).toBeLessThan(4_000) // …and not for a connection to free up (6 s)
    }
    const busy = logger.lines.filter((l) => l.msg === 'member exchange failed')
    expect(busy.map((l) => [l.level, l.obj.member, l.obj.code])).toEqual(Array(4).fill(['warn', A.route, 'LB_ERR_UPSTREAM_BUSY']))
    expect(member.counters.errors).toBe(4)
    // busy is not broken: the member is still healthy and takes the next request
    expect(member.health).toBe('ok')
    expect((await request(`${host.url}/testapp/static.txt`)).status).toBe(200)
    expect(await eventually(() => poolsIdle(host.balancer), 3_000), JSON.stringify(host.balancer.sockets())).toBe(true)
    expect(host.balancer.sockets()[A.route]!.open).toBeLessThanOrEqual(2)
  })

  it('a busy member\'s request goes to another member when one has room', async () => {
    await ensureTomcatNodes()
    const host = await startHost('bare', {
      members: membersOver(protocol, [A, B]),
      sticky: { force: false },
      health: false,
      logger: false,
      connectTimeout: 300,
      http: { maxSockets: 1, maxFreeSockets: 1 },
      ajp: { secret: AJP_SECRET, maxConnections: 1 },
    })
    onTestFinished(() => host.close())
    // Occupy A's only connection, then ask twice for A's session: the second request waits its
    // connectTimeout, then B (whose connection is free) answers it.
    const session = await (await fetch(`${A.httpUrl}/testapp/index.jsp?format=json`)).json() as { sessionId: string }
    const cookie = `JSESSIONID=${session.sessionId}`
    const hold = requestWithCookie(`${host.url}/testapp/slow.jsp?ms=1200`, cookie)
    await new Promise((r) => setTimeout(r, 150))
    const second = await requestWithCookie(`${host.url}/testapp/slow.jsp?ms=10`, cookie)
    expect(second.status).toBe(200)
    expect(JSON.parse(second.body.toString()).node).toBe(B.route)
    expect(host.balancer.member(A.route)!.health).toBe('ok') // before the held request ends (a success would reset it)
    expect((await hold).status).toBe(200)
  })
})

describe.each(['http', 'ajp'] as const)('active health checks while the pool is full, %s members', (protocol) => {
  it('a member whose every pooled connection is busy still passes its health check', async () => {
    await ensureTomcatNodes()
    const host = await startHost('bare', {
      members: membersOver(protocol, [A]),
      health: { interval: 200, timeout: 500, fails: 1, path: '/testapp/static.txt' },
      logger: false,
      connectTimeout: 5_000,
      http: { maxSockets: 1, maxFreeSockets: 1 },
      ajp: { secret: AJP_SECRET, maxConnections: 1 },
    })
    onTestFinished(() => host.close())
    const member = host.balancer.members[0]!
    const states: string[] = []
    host.balancer.on('member:state', (change) => states.push(`${change.health} (${change.reason})`))
    // the only connection is busy for 2 s: about ten probes come and go meanwhile
    const held = request(`${host.url}/testapp/slow.jsp?ms=2000`)
    held.catch(() => {}) // awaited below; a failed expectation before must not leave it unhandled
    await new Promise((r) => setTimeout(r, 1_500))
    expect(member.health).toBe('ok')
    expect((await held).status).toBe(200)
    expect(states).toEqual([])
    expect(await eventually(() => poolsIdle(host.balancer), 3_000)).toBe(true)
    expect(host.balancer.sockets()[A.route]!.open).toBeLessThanOrEqual(1)
  })
})

function requestWithCookie(url: string, cookie: string): Promise<Reply> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers: { cookie } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers, ms: Date.now() - started }))
    }).on('error', reject)
  })
}

describe('AJP pool: maxQueued', () => {
  it('beyond maxQueued waiting requests, a request gets 503 LB_ERR_UPSTREAM_BUSY at once', async () => {
    await ensureTomcatNodes()
    const logger = recordingLogger()
    const host = await startHost('bare', {
      members: membersOver('ajp', [A]),
      health: false,
      logger,
      connectTimeout: 5_000,
      ajp: { secret: AJP_SECRET, maxConnections: 1, maxQueued: 1 },
    })
    onTestFinished(() => host.close())
    const replies = await Promise.all([0, 1, 2, 3].map(async (i) => {
      await new Promise((r) => setTimeout(r, i * 150)) // one after the other: 1 runs, 1 waits, 2 are refused
      return request(`${host.url}/testapp/slow.jsp?ms=4000`, { timeoutMs: 15_000 })
    }))
    expect(replies.map((r) => r.status).sort()).toEqual([200, 200, 503, 503])
    // refused at once: not after a page (4 s), nor after connectTimeout (5 s) in the queue
    for (const r of replies.filter((x) => x.status === 503)) expect(r.ms).toBeLessThan(3_000)
    expect(logger.lines.filter((l) => l.msg === 'member exchange failed').map((l) => l.obj.code)).toEqual(['LB_ERR_UPSTREAM_BUSY', 'LB_ERR_UPSTREAM_BUSY'])
    expect(host.balancer.members[0]!.health).toBe('ok')
  })
})
