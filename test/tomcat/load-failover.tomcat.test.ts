/**
 * Failover under load against two real Tomcat nodes (dedicated LoadA/LoadB):
 * 32 concurrent clients send GETs and POSTs for a bounded time while one node is stopped
 * gracefully, started again, and the other is killed with SIGKILL.
 *
 * - a graceful stop loses no GET (each is retried safely elsewhere: refused connections, closed
 *   keep-alive sockets, and the 503s Tomcat answers while its application unloads);
 * - no POST is ever executed twice: every POST id appears at most once in the two nodes' ledgers
 *   (ledger.jsp writes its line before it answers), and every POST the client saw succeed
 *   appears exactly once;
 * - a SIGKILL loses only requests in flight on the killed node, each answered 502 or cut off,
 *   none hung;
 * - the stopped node's return is seen by the active health check, and slow start ramps its share.
 */
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import { eventually, startFront } from '../support/fake-upstream.js'
import { ensureTomcatNodes, readNodeLog, startTomcatNode, stopTomcatNode, tomcatNodePid } from '../support/tomcat.js'
import type { TomcatNode } from '../support/tomcat.js'

const LoadA = { name: 'LoadA', httpPort: 8184, ajpPort: 8112 }
const LoadB = { name: 'LoadB', httpPort: 8185, ajpPort: 8113 }
/** Request ids are unique across phases and runs (the ledgers are appended to across runs). */
const runTag = randomBytes(4).toString('hex')
let nextId = 0

interface Outcome {
  kind: 'GET' | 'POST'
  id: number
  status: number // 0 = cut off / socket error
  node: string
  at: number
}

/** One request with a hard deadline; never rejects. */
function send(agent: http.Agent, base: string, kind: 'GET' | 'POST', id: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const path = kind === 'GET' ? `/testapp/static.txt?id=${runTag}-${id}` : `/testapp/ledger.jsp?id=${runTag}-${id}`
    const body = kind === 'POST' ? `order=${id}` : undefined
    const req = http.request(`${base}${path}`, {
      method: kind,
      agent,
      headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {},
      timeout: 10_000,
    }, (res) => {
      res.resume()
      res.on('end', () => resolve({ kind, id, status: res.complete ? res.statusCode ?? 0 : 0, node: String(res.headers['x-node'] ?? ''), at: Date.now() }))
      res.on('error', () => resolve({ kind, id, status: 0, node: '', at: Date.now() }))
    })
    req.on('timeout', () => req.destroy(new Error('hung')))
    req.on('error', (err) => resolve({ kind, id, status: err.message === 'hung' ? -1 : 0, node: '', at: Date.now() }))
    req.end(body)
  })
}

/** 32 loops sending requests until `until()` says stop; bounded by `maxMs`. */
async function load(base: string, until: () => boolean, maxMs: number): Promise<Outcome[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
  const outcomes: Outcome[] = []
  const deadline = Date.now() + maxMs
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (!until() && Date.now() < deadline) {
      const id = nextId++
      outcomes.push(await send(agent, base, id % 4 === 0 ? 'POST' : 'GET', id))
    }
  }))
  agent.destroy()
  return outcomes
}

/** The POST ids a node executed in this run, one per execution, from its ledger.jsp ledger. */
function postIdsInLedger(node: string): number[] {
  const text = readNodeLog(node, 'ledger.log')
  return [...text.matchAll(new RegExp(`^${runTag}-(\\d+) POST$`, 'gm'))].map((m) => Number(m[1]))
}

describe('failover under load', () => {
  let nodes: TomcatNode[]
  beforeAll(async () => {
    await Promise.all([stopTomcatNode(LoadA), stopTomcatNode(LoadB)]) // fresh deploy of the testapp
    nodes = await ensureTomcatNodes([LoadA, LoadB])
  }, 180_000)
  afterAll(async () => {
    await Promise.all([stopTomcatNode(LoadA), stopTomcatNode(LoadB)])
  }, 60_000)

  it('stop, return and SIGKILL under 32 concurrent clients', async () => {
    const [a, b] = nodes as [TomcatNode, TomcatNode]
    const balancer = createBalancer({
      members: [{ url: a.httpUrl, route: 'LoadA' }, { url: b.httpUrl, route: 'LoadB' }],
      sticky: false,
      logger: false,
      // generous probe timeout: the load generator, the balancer and both nodes share two cores
      health: { interval: 500, timeout: 1_500, fails: 2, path: '/testapp/static.txt' },
      failOnStatus: [503], // a stopping Tomcat answers 503 while its application unloads
      slowStartMs: 4000,
    })
    onTestFinished(() => balancer.close())
    const { url } = await startFront((req, res) => void balancer.handle(req, res))
    const memberA = balancer.member('LoadA')
    let backAt = 0
    balancer.on('member:state', (change) => {
      if (change.member === memberA && change.health === 'ok') backAt = Date.now()
    })

    const startedAt = Date.now()
    // Phase 1: graceful stop of LoadA under load, then its return.
    let phase1Done = false
    const phase1 = load(url, () => phase1Done, 60_000)
    await new Promise((r) => setTimeout(r, 1_500))
    await stopTomcatNode(LoadA)
    const stoppedAt = Date.now() // the JVM is gone: nothing can come from LoadA until it is back
    expect(await eventually(() => memberA?.health === 'error', 5_000)).toBe(true)
    await startTomcatNode(LoadA)
    expect(await eventually(() => memberA?.health === 'ok', 10_000, 50)).toBe(true)
    expect(memberA?.rampStart).toBeGreaterThan(0) // slow start began when the check passed
    await new Promise((r) => setTimeout(r, 1_500))
    phase1Done = true
    const first = await phase1

    const gets = first.filter((o) => o.kind === 'GET')
    expect(gets.length).toBeGreaterThan(100) // there was load (about 300 on an idle machine)
    expect(gets.filter((o) => o.status !== 200)).toEqual([]) // no GET lost
    expect(first.some((o) => o.status === -1)).toBe(false) // none hung
    // LoadA takes traffic again after its return, ramping up (a smaller share at first)
    const afterReturn = first.filter((o) => o.at > backAt && o.status === 200)
    expect(afterReturn.some((o) => o.node === 'LoadA')).toBe(true)
    // slowStart 4 s: in the 1.5 s after its return LoadA's weight goes from a tenth to under a
    // half of LoadB's, so its share stays well under the 50 % an equal weight would give
    const shareA = afterReturn.filter((o) => o.node === 'LoadA').length / afterReturn.length
    expect(shareA, `LoadA answered ${(shareA * 100).toFixed(0)} % of ${afterReturn.length} requests after its return`).toBeLessThan(0.4)
    expect(first.filter((o) => o.at > stoppedAt && o.at < backAt).some((o) => o.node === 'LoadA')).toBe(false)

    // Phase 2: SIGKILL LoadB under load.
    let phase2Done = false
    const phase2 = load(url, () => phase2Done, 30_000)
    await new Promise((r) => setTimeout(r, 1_000))
    const pid = tomcatNodePid('LoadB')
    process.kill(pid, 'SIGKILL')
    await new Promise((r) => setTimeout(r, 2_000))
    phase2Done = true
    const second = await phase2
    expect(second.some((o) => o.status === -1)).toBe(false) // none hung
    const failed = second.filter((o) => o.status !== 200)
    // only requests in flight on LoadB when it died can fail: at most one per client connection
    expect(failed.length).toBeLessThanOrEqual(32)
    for (const f of failed) expect([0, 502]).toContain(f.status)
    expect(second.filter((o) => o.kind === 'GET' && o.status !== 200).length).toBeLessThanOrEqual(failed.length)

    // No POST ran twice; every POST that succeeded ran exactly once.
    const executed = [...postIdsInLedger('LoadA'), ...postIdsInLedger('LoadB')]
    const counts = new Map<number, number>()
    for (const id of executed) counts.set(id, (counts.get(id) ?? 0) + 1)
    expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([])
    const okPosts = [...first, ...second].filter((o) => o.kind === 'POST' && o.status === 200)
    expect(okPosts.length).toBeGreaterThan(50)
    // The ledger line is written before the answer, so this holds through the stop and the kill.
    for (const o of okPosts) expect(counts.get(o.id), `POST ${o.id} answered by ${o.node} at ${o.at - startedAt} ms`).toBe(1)
  }, 120_000)
})
