/**
 * Faults under load against real Tomcat, over HTTP and over AJP (32 client connections):
 *
 * - clients that abort mid-upload and mid-download among complete requests: every complete
 *   request is answered correctly, an abort is not a member error, and the pools end idle;
 * - pages slower than `timeout` among fast ones: the slow ones get 504 after `timeout`, the others
 *   200, and the connections the slow ones held are not reused (closed), so the pools end idle;
 * - a member killed (SIGKILL, dedicated node LoadE) under load: only the requests in flight on it
 *   fail (502/503/504 or a cut response), none hangs, the rest fail over to TomcatA, and no socket
 *   to the dead member is left.
 *
 * Every case also checks that no promise rejection went unhandled (guardProcess) and that no client
 * request hung.
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { afterAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes, patternBytes, stopTomcatNode, tomcatNodePid } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../support/tomcat.js'
import { poolsIdle } from './support/connections.js'
import { recordingLogger, startHost } from './support/hosts.js'
import { pause } from './support/load.js'
import { seededRandom } from '../support/seeded-random.js'

beforeEach(guardProcess)
/** Picks request kinds and cut points; seeded per test (a failure prints the seed, TEST_SEED replays it). */
let random: () => number = () => {
  throw new Error('random input outside a test')
}
beforeEach(() => {
  random = seededRandom('faults-tomcat')
})

const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]
const LoadE = { name: 'LoadE', httpPort: 8322, ajpPort: 8422 }
const CONNECTIONS = 32
const DURATION = Number(process.env.RELIABILITY_LOAD_MS ?? 3_000)
const MiB = 1024 * 1024

type Kind = 'page' | 'upload' | 'download' | 'abort-upload' | 'abort-download' | 'slow'
/** A complete response (`ok` when it is right), or how the request ended without one. */
type Result = { status: number; ok: boolean; detail?: string | undefined; node?: string | undefined } | { status: 0; outcome: 'aborted' | 'cut' | 'hung' | string }
/** `node`: Tomcat's X-Node header of a complete response; `startedAt`: when the request was sent. */
type Outcome = Result & { kind: Kind; ms: number; startedAt: number }

const UPLOAD = randomBytes(256 * 1024)
const UPLOAD_SHA = createHash('sha256').update(UPLOAD).digest('hex')
const DOWNLOAD = patternBytes(MiB)

/** One request of `kind` on `agent`; never rejects. The abort kinds destroy the request part-way. */
function send(agent: http.Agent, base: string, kind: Kind, timeoutMs: number): Promise<Outcome> {
  const started = Date.now()
  return new Promise((resolve) => {
    let done = false
    const finish = (result: Result): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ ...result, kind, ms: Date.now() - started, startedAt: started })
    }
    const path = {
      page: '/testapp/index.jsp?format=json',
      upload: '/testapp/echo.jsp',
      'abort-upload': '/testapp/echo.jsp',
      download: `/testapp/big.jsp?bytes=${MiB}`,
      'abort-download': `/testapp/big.jsp?bytes=${64 * MiB}`,
      slow: '/testapp/slow.jsp?ms=6000',
    }[kind]
    const uploading = kind === 'upload' || kind === 'abort-upload'
    const announced = kind === 'abort-upload' ? 4 * MiB : UPLOAD.length
    const req = http.request(`${base}${path}`, { method: uploading ? 'POST' : 'GET', agent, headers: uploading ? { 'content-length': announced } : {} })
    const timer = setTimeout(() => {
      finish({ status: 0, outcome: 'hung' })
      req.destroy()
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, outcome: kind.startsWith('abort') ? 'aborted' : err.code ?? err.message }))
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      let bytes = 0
      const cutAt = 64 * 1024 + Math.floor(random() * 2 * MiB)
      res.on('data', (c: Buffer) => {
        bytes += c.length
        if (kind === 'abort-download') {
          if (bytes >= cutAt) {
            req.destroy()
            finish({ status: 0, outcome: 'aborted' })
          }
        } else chunks.push(c)
      })
      res.on('error', () => {})
      res.on('close', () => {
        if (!res.complete) return finish({ status: 0, outcome: 'cut' })
        const status = res.statusCode ?? 0
        const body = Buffer.concat(chunks)
        let detail: string | undefined
        if (status === 200 && kind === 'upload') {
          const echo = JSON.parse(body.toString()) as TestappEchoJson
          if (echo.bodySha256 !== UPLOAD_SHA) detail = `upload arrived as ${echo.bodyLength} bytes, sha ${echo.bodySha256}`
        }
        if (status === 200 && kind === 'download' && !body.equals(DOWNLOAD)) detail = `download of ${body.length} bytes differs`
        finish({ status, ok: status === 200 && detail === undefined, detail, node: res.headers['x-node'] as string | undefined })
      })
    })
    if (kind === 'abort-upload') {
      // write part of the announced body, then go away
      const cutAt = 64 * 1024 + Math.floor(random() * MiB)
      let written = 0
      const pump = (): void => {
        while (written < cutAt) {
          const chunk = UPLOAD.subarray(0, Math.min(64 * 1024, cutAt - written))
          written += chunk.length
          if (!req.write(chunk)) return void req.once('drain', pump)
        }
        setTimeout(() => {
          req.destroy()
          finish({ status: 0, outcome: 'aborted' })
        }, 5)
      }
      pump()
    } else req.end(uploading ? UPLOAD : undefined)
  })
}

/** `CONNECTIONS` loops sending requests of `pick()` kinds for `durationMs` (or until `stop()`). */
async function load(base: string, pick: () => Kind, { durationMs = DURATION, timeoutMs = 10_000, stop = () => false } = {}): Promise<Outcome[]> {
  const outcomes: Outcome[] = []
  const deadline = Date.now() + durationMs
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    while (Date.now() < deadline && !stop()) outcomes.push(await send(agent, base, pick(), timeoutMs))
    agent.destroy()
  }))
  return outcomes
}

function tally(outcomes: readonly Outcome[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const o of outcomes) {
    const key = `${o.kind} ${'outcome' in o ? o.outcome : o.status}`
    out[key] = (out[key] ?? 0) + 1
  }
  return out
}

function membersOver(protocol: 'http' | 'ajp', nodes: readonly { httpUrl: string; ajpUrl: string; route: string }[]) {
  return nodes.map((n) => ({ url: protocol === 'http' ? n.httpUrl : n.ajpUrl, route: n.route }))
}

describe.each(['http', 'ajp'] as const)('faults under load against Tomcat, %s members', (protocol) => {
  it('clients aborting mid-upload and mid-download: the others are answered correctly, no member error, pools idle', async () => {
    await ensureTomcatNodes()
    const logger = recordingLogger()
    const host = await startHost('bare', {
      members: membersOver(protocol, [A, B]),
      health: false,
      logger,
      http: { maxSockets: 16 },
      ajp: { secret: AJP_SECRET, maxConnections: 16 },
    })
    onTestFinished(() => host.close())
    const kinds: Kind[] = ['page', 'page', 'upload', 'download', 'abort-upload', 'abort-download']
    const outcomes = await load(host.url, () => kinds[Math.floor(random() * kinds.length)] as Kind)
    const counts = tally(outcomes)
    const complete = outcomes.filter((o) => !o.kind.startsWith('abort'))
    const problems = logger.lines.filter((l) => l.level !== 'debug').slice(0, 5)
    expect(complete.filter((o) => !('ok' in o) || !o.ok).map((o) => `${o.kind}: ${'outcome' in o ? o.outcome : `${o.status} ${o.detail ?? ''}`}`), JSON.stringify({ counts, problems })).toEqual([])
    expect(outcomes.filter((o) => o.kind.startsWith('abort')).every((o) => 'outcome' in o && o.outcome === 'aborted'), JSON.stringify(counts)).toBe(true)
    expect(counts['abort-upload aborted'] ?? 0).toBeGreaterThan(0)
    expect(counts['abort-download aborted'] ?? 0).toBeGreaterThan(0)
    // a client going away is not the member's fault
    expect(logger.lines.filter((l) => l.level !== 'debug'), JSON.stringify(counts)).toEqual([])
    for (const m of host.balancer.members) expect([m.id, m.health, m.counters.errors]).toEqual([m.id, 'ok', 0])
    expect(await eventually(() => poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)
    const status = await fetch(`${host.url}/testapp/static.txt`)
    expect(status.status).toBe(200)
    await status.text()
  })

  it('pages slower than timeout among fast ones: 504 after timeout for the slow, 200 for the rest, pools idle', async () => {
    await ensureTomcatNodes()
    const logger = recordingLogger()
    const TIMEOUT = 600
    const host = await startHost('bare', {
      members: membersOver(protocol, [A, B]),
      health: false,
      logger,
      timeout: TIMEOUT,
      maxFails: 1_000, // keep both members in use: this case is about the timeouts, not ejection
      http: { maxSockets: 16 },
      ajp: { secret: AJP_SECRET, maxConnections: 16 },
    })
    onTestFinished(() => host.close())
    const outcomes = await load(host.url, () => (random() < 0.1 ? 'slow' : 'page'))
    const counts = tally(outcomes)
    expect(Object.keys(counts).sort(), JSON.stringify(counts)).toEqual(['page 200', 'slow 504'])
    for (const o of outcomes.filter((x) => x.kind === 'slow')) {
      expect(o.ms).toBeGreaterThanOrEqual(TIMEOUT - 50)
      expect(o.ms).toBeLessThan(TIMEOUT + 3_000) // well before the page's 6 s
    }
    const timeouts = logger.lines.filter((l) => l.msg === 'member exchange failed')
    expect(timeouts.length).toBe(counts['slow 504'])
    expect(timeouts.every((l) => l.obj.code === 'LB_ERR_UPSTREAM_TIMEOUT')).toBe(true)
    // the connections the slow pages held were closed, not reused; the rest are idle
    expect(await eventually(() => poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)
  })
})

describe('a member killed under load', () => {
  afterAll(() => stopTomcatNode(LoadE), 60_000)

  it.each(['http', 'ajp'] as const)('over %s: only requests in flight on it fail, none hangs, no socket to it is left', async (protocol) => {
    const [node] = (await ensureTomcatNodes([LoadE, A.name])) as [TomcatNode, TomcatNode]
    const logger = recordingLogger()
    const host = await startHost('bare', {
      members: membersOver(protocol, [node, A]),
      sticky: false,
      health: false,
      logger,
      http: { maxSockets: 16 },
      ajp: { secret: AJP_SECRET, maxConnections: 16 },
    })
    onTestFinished(() => host.close())
    const pid = tomcatNodePid(LoadE.name)
    const kinds: Kind[] = ['page', 'page', 'upload', 'download']
    let killedAt = 0
    const killer = (async () => {
      await pause(DURATION / 3)
      killedAt = Date.now()
      process.kill(pid, 'SIGKILL')
    })()
    const outcomes = await load(host.url, () => kinds[Math.floor(random() * kinds.length)] as Kind)
    await killer
    const counts = tally(outcomes)
    expect(outcomes.filter((o) => 'outcome' in o && o.outcome === 'hung'), JSON.stringify(counts)).toEqual([])
    const failed = outcomes.filter((o) => !('ok' in o) || !o.ok)
    // at most one request per client connection was on the member when it died
    expect(failed.length, JSON.stringify(counts)).toBeLessThanOrEqual(CONNECTIONS)
    for (const f of failed) {
      if ('outcome' in f) expect(['cut', 'ECONNRESET'], JSON.stringify(counts)).toContain(f.outcome)
      else expect([502, 503, 504], JSON.stringify(counts)).toContain(f.status)
    }
    expect(outcomes.filter((o) => 'ok' in o && o.ok).length).toBeGreaterThan(outcomes.length / 2)
    // after the kill (and 1 s for the balancer to see the closed sockets), everything that started
    // went to TomcatA and was answered correctly
    const later = outcomes.filter((o) => o.startedAt > killedAt + 1_000)
    expect(later.length).toBeGreaterThan(0)
    expect(later.filter((o) => !('ok' in o) || !o.ok || o.node !== A.name).map((o) => ({ ...o, startedAfterKill: o.startedAt - killedAt }))).toEqual([])
    const dead = host.balancer.member(LoadE.name)!
    expect(dead.health).toBe('error')
    expect(killedAt).toBeGreaterThan(0)
    expect(await eventually(() => host.balancer.sockets()[LoadE.name]?.open === 0 && poolsIdle(host.balancer), 5_000), JSON.stringify(host.balancer.sockets())).toBe(true)
    expect(logger.lines.some((l) => l.msg === 'member exchange failed' && l.obj.member === LoadE.name)).toBe(true)
    await stopTomcatNode(LoadE) // clears the pid file of the killed node before the next case restarts it
  }, 120_000)
})
