/**
 * 2,000 client connections at once through the balancer to the two real Tomcat nodes
 * (TomcatA/TomcatB), over HTTP and over AJP, in a bare `node:http` host, Express and Koa.
 *
 * Every connection is a keep-alive connection of its own that carries a session of one node and
 * sends three requests for `index.jsp` one after the other (the last with `Connection: close`).
 * The upstream pools are small next to the load (`http.maxSockets` / `ajp.maxConnections` 32), so
 * nearly every request waits for a pooled connection: the pools must queue, not fail.
 *
 * - every request is answered 200 by the node that owns its session, in the same session;
 * - nothing fails or hangs, and every client connection is closed cleanly by the server;
 * - no pool ever holds more sockets than its limit, and each is idle afterwards;
 * - the process's handles and file descriptors come back to their baseline once the host closes.
 *
 * Needs ~4,100 file descriptors (a client and a server socket per connection): the hard limit
 * (`ulimit -Hn`; Node raises its soft limit to it) must allow it, or the first test fails and says so.
 */
import { readFileSync } from 'node:fs'
import type http from 'node:http'
import { beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import { AJP_SECRET, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappIndexJson, TomcatNode } from '../support/tomcat.js'
import { openFds, poolsIdle, runConnections, samplePools } from './support/connections.js'
import type { ConnectionPlan } from './support/connections.js'
import { startHost } from './support/hosts.js'
import type { HostKind } from './support/hosts.js'
import { collectGarbage, pause, totalResources } from './support/load.js'

beforeEach(guardProcess)

const CONNECTIONS = Number(process.env.RELIABILITY_CONNECTIONS ?? 2_000)
const REQUESTS_PER_CONNECTION = 3
const POOL_LIMIT = 32
const SESSIONS_PER_NODE = 25

/** Creates a session on `node` directly; returns its id (`<id>.<route>`). */
async function newSession(node: TomcatNode): Promise<string> {
  const res = await fetch(`${node.httpUrl}/testapp/index.jsp?format=json`)
  const body = (await res.json()) as TestappIndexJson
  expect(body.sessionId.endsWith(`.${node.route}`)).toBe(true)
  return body.sessionId
}

/** Polls the server's count of open connections until it is 0 or `timeoutMs` passes; returns the last count. */
async function serverConnectionsDrop(server: http.Server, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const n = await new Promise<number>((resolve) => server.getConnections((_err, count) => resolve(count)))
    if (n === 0 || Date.now() > deadline) return n
    await pause(20)
  }
}

/** This process's limit of open files (Node raised its soft limit to the hard one at start). */
function fileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'))
    const soft = line?.split(/\s{2,}/)[1]
    return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft)
  } catch {
    return Infinity
  }
}

describe(`${CONNECTIONS} concurrent client connections to real Tomcat`, () => {
  let nodes: TomcatNode[]
  const sessions = new Map<string, string[]>()

  beforeAll(async () => {
    nodes = await ensureTomcatNodes()
    for (const node of nodes) sessions.set(node.route, await Promise.all(Array.from({ length: SESSIONS_PER_NODE }, () => newSession(node))))
  }, 180_000)

  it('the file-descriptor limit allows it', () => {
    const limit = fileLimit()
    expect(limit, `this process may open ${limit} files; ${CONNECTIONS} connections need about ${2 * CONNECTIONS + 200} (raise ulimit -Hn)`).toBeGreaterThanOrEqual(2 * CONNECTIONS + 200)
  })

  const cases: Array<[HostKind, 'http' | 'ajp']> = [['bare', 'http'], ['bare', 'ajp'], ['express', 'http'], ['koa', 'ajp']]
  it.each(cases)('%s host, %s members: all answered on the session\'s node, sockets closed, pools within limits and idle', async (kind, protocol) => {
    collectGarbage()
    const baseHandles = totalResources()
    const baseFds = openFds()
    const [c, d] = nodes as [TomcatNode, TomcatNode]
    const host = await startHost(kind, {
      members: [c, d].map((n) => ({ url: protocol === 'http' ? n.httpUrl : n.ajpUrl, route: n.route })),
      health: false,
      // a queued request waits for a pooled connection up to connectTimeout (AJP); the machine is shared
      connectTimeout: 20_000,
      http: { maxSockets: POOL_LIMIT, maxFreeSockets: POOL_LIMIT },
      ajp: { secret: AJP_SECRET, maxConnections: POOL_LIMIT, maxQueued: CONNECTIONS },
    }, {}, { backlog: CONNECTIONS })
    let closed = false
    onTestFinished(async () => {
      if (!closed) await host.close()
    })
    const errors: string[] = []
    host.balancer.on('member:error', (e) => errors.push(`${e.member.id} ${e.error.code} ${e.error.message}`))

    const plans: ConnectionPlan[] = Array.from({ length: CONNECTIONS }, (_, i) => {
      const node = (i % 2 === 0 ? c : d).route
      const list = sessions.get(node) as string[]
      const sessionId = list[i % list.length] as string
      return {
        paths: Array.from({ length: REQUESTS_PER_CONNECTION }, () => '/testapp/index.jsp?format=json'),
        headers: { cookie: `JSESSIONID=${sessionId}` },
        check: (_status, headers, body) => {
          const page = JSON.parse(body.toString()) as TestappIndexJson
          if (page.node !== node || headers['x-node'] !== node) return `answered by ${page.node}, session of ${node}`
          if (page.sessionId !== sessionId) return `session ${page.sessionId}, expected ${sessionId}`
          return undefined
        },
      }
    })
    const peaks = samplePools(host.balancer)
    const tally = await runConnections(host.port, plans, { timeoutMs: 45_000 })
    peaks.stop()

    expect({ ...tally, elapsedMs: 0 }).toEqual({
      connections: CONNECTIONS, sent: CONNECTIONS * REQUESTS_PER_CONNECTION, ok: CONNECTIONS * REQUESTS_PER_CONNECTION,
      wrong: [], wrongCount: 0, errors: {}, hung: 0, reconnected: 0, uncleanClose: 0, notClosed: 0, elapsedMs: 0,
    })
    expect(errors).toEqual([])
    for (const member of host.balancer.members) expect(member.health, member.id).toBe('ok')
    for (const route of [c.route, d.route]) {
      expect(peaks.open[route], `${route} peak sockets`).toBeLessThanOrEqual(POOL_LIMIT)
      expect(peaks.open[route], `${route} peak sockets`).toBeGreaterThan(0)
    }
    // every client connection is gone from the host, and every pool is idle
    expect(await serverConnectionsDrop(host.server, 5_000)).toBe(0)
    expect(await eventually(() => poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)
    console.info(`${kind}/${protocol}: ${tally.sent} requests on ${CONNECTIONS} connections in ${tally.elapsedMs} ms; peak upstream sockets ${JSON.stringify(peaks.open)}`)

    closed = true
    await host.close()
    await pause(100)
    collectGarbage()
    expect(await eventually(() => totalResources() <= baseHandles + 2, 5_000), `handles ${baseHandles} → ${totalResources()}`).toBe(true)
    expect(await eventually(() => openFds() <= baseFds + 2, 5_000), `fds ${baseFds} → ${openFds()}`).toBe(true)
  }, 120_000)
})
