/**
 * Recovery when every member is down (`forceRecovery`, httpd `forcerecovery=On`): a node stopped
 * and restarted stays in `error` for its `retry` time; when the other node is then killed, the
 * restarted one must serve at once instead of every request answering 503 until `retry` ends.
 * Real Tomcat nodes of this test's own, over HTTP and AJP.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { BalancerEvents } from '../../lib/balancer.js'
import { createBalancer } from '../../lib/index.js'
import { startFront } from '../support/fake-upstream.js'
import { AJP_SECRET, ensureTomcatNodes, stopTomcatNode, tomcatNodePid } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../support/tomcat.js'

const RecA = { name: 'RecA', httpPort: 8380, ajpPort: 8381 }
const RecB = { name: 'RecB', httpPort: 8382, ajpPort: 8383 }

async function get(url: string): Promise<{ status: number; node: string | undefined }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
    const text = await res.text()
    let node: string | undefined
    try {
      node = (JSON.parse(text) as Partial<TestappEchoJson>).node
    } catch {}
    return { status: res.status, node }
  } catch {
    return { status: 0, node: undefined }
  }
}

describe('all members in error: the one that came back serves at once', () => {
  beforeAll(() => ensureTomcatNodes([RecA, RecB]), 240_000)
  afterAll(async () => {
    await stopTomcatNode(RecA)
    await stopTomcatNode(RecB)
  }, 120_000)

  it.each([
    ['http', 1],
    ['ajp', 1],
    ['http', 8],
    ['ajp', 8],
  ] as const)('over %s, %i client(s) at once: restarted node in error, the other killed: no 503', async (protocol, clients) => {
    const [a, b] = (await ensureTomcatNodes([RecA, RecB])) as [TomcatNode, TomcatNode]
    const url = (n: TomcatNode) => (protocol === 'http' ? n.httpUrl : n.ajpUrl)
    const balancer = createBalancer({
      members: [{ url: url(a), route: a.route }, { url: url(b), route: b.route }],
      ajp: { secret: AJP_SECRET },
      retryMs: 600_000, // far longer than a Tomcat restart on a loaded machine: RecB stays in error for the whole test
      logger: false,
    })
    onTestFinished(() => balancer.close())
    const changes: string[] = []
    balancer.on('member:state', (c: BalancerEvents['member:state'][0]) => changes.push(`${c.member.id}:${c.previousHealth}>${c.health}:${c.reason}`))
    const { url: front, server } = await startFront((req, res) => void balancer.handle(req, res))
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())))
    const page = `${front}/testapp/echo.jsp`

    // RecB stops: the request that meets it fails over to RecA, and RecB is in error.
    await stopTomcatNode(RecB)
    for (let i = 0; i < 6 && balancer.member('RecB')?.health !== 'error'; i++) expect((await get(page)).status).toBe(200)
    expect(balancer.member('RecB')?.health).toBe('error')

    // RecB comes back and serves directly, but stays in error for the balancer (retry 600 s).
    await ensureTomcatNodes([RecB])
    expect((await get(`${b.httpUrl}/testapp/echo.jsp`)).node).toBe('RecB')
    for (let i = 0; i < 4; i++) expect(await get(page)).toEqual({ status: 200, node: 'RecA' })
    expect(balancer.member('RecB')?.health).toBe('error')

    // RecA dies.
    process.kill(tomcatNodePid('RecA'), 'SIGKILL')
    // `clients` clients, 20 requests each, one after the other per client.
    const perClient = await Promise.all(Array.from({ length: clients }, async () => {
      const results: { status: number; node: string | undefined }[] = []
      for (let i = 0; i < 20; i++) results.push(await get(page))
      return results
    }))
    const all = perClient.flat()
    // At most the requests that discovered the dead node (a client's first) may fail, and none
    // with 503; every later one is served by RecB.
    expect(all.filter((r) => r.status === 503), JSON.stringify(all)).toEqual([])
    for (const results of perClient) {
      expect(results.slice(1).every((r) => r.status === 200 && r.node === 'RecB'), JSON.stringify(results)).toBe(true)
    }
    expect(all.filter((r) => r.status !== 200).length, JSON.stringify(all)).toBeLessThanOrEqual(clients)
    expect(balancer.member('RecB')?.health).toBe('ok')
    expect(changes).toContain('RecB:error>recovering:forced recovery: no member usable')
    expect(changes).toContain('RecB:recovering>ok:request succeeded')

    await stopTomcatNode(RecA) // clears the killed node's pid file; the next case starts it again
  }, 300_000)
})
