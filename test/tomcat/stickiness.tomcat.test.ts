/**
 * The tutorial's checks against real Tomcat nodes, over HTTP and AJP: sessions stay on their node
 * (cookie and `;jsessionid=` in the URL), ip_hash keeps a client on one node, a draining node keeps
 * its users, the balancer cookie works for backends without routes, and failover when a node stops
 * (a new session elsewhere, or 503 with forced stickiness), after which sessions stay where they are.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import type { Balancer, BalancerOptions } from '../../lib/index.js'
import { eventually, startFront } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes, startTomcatNode, stopTomcatNode } from '../support/tomcat.js'
import type { TestappIndexJson, TomcatNode } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]
type Protocol = 'http' | 'ajp'
const urlOf = (node: TomcatNode, protocol: Protocol) => (protocol === 'http' ? node.httpUrl : node.ajpUrl)

async function front(options: BalancerOptions): Promise<{ url: string; balancer: Balancer }> {
  const balancer = createBalancer({ logger: false, ajp: { secret: AJP_SECRET }, ...options })
  onTestFinished(() => balancer.close())
  const { url } = await startFront((req, res) => void balancer.handle(req, res))
  return { url, balancer }
}

async function page(url: string, headers: Record<string, string> = {}): Promise<{ body: TestappIndexJson; cookie: string; status: number }> {
  const res = await fetch(url, { headers })
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  if (res.status !== 200) return { body: undefined as unknown as TestappIndexJson, cookie, status: res.status }
  return { body: (await res.json()) as TestappIndexJson, cookie, status: res.status }
}

describe.each(['http', 'ajp'] as const)('stickiness over %s', (protocol) => {
  const members = () => [{ url: urlOf(A, protocol), route: A.route }, { url: urlOf(B, protocol), route: B.route }]

  it('keeps a session that lives only in the URL (;jsessionid=) on its node', async () => {
    const { url } = await front({ members: members() })
    for (let i = 0; i < 2; i++) {
      const first = await page(`${url}/testapp/index.jsp?format=json`)
      const id = first.body.sessionId
      expect(id.endsWith(`.${first.body.node}`)).toBe(true)
      for (let hit = 2; hit <= 6; hit++) {
        const next = await page(`${url}/testapp/index.jsp;jsessionid=${id}?format=json`)
        expect(next.body).toMatchObject({ node: first.body.node, sessionId: id, hits: hit })
      }
    }
  })

  it('with ip_hash, each client address keeps one node, and addresses spread over both', async () => {
    const { url } = await front({ members: members(), scheduler: 'ip_hash', trustProxy: 'loopback', sticky: false })
    const nodes = new Set<string>()
    for (let i = 1; i <= 12; i++) {
      const address = `198.51.${i * 17}.${i}`
      const seen = new Set<string>()
      for (let n = 0; n < 4; n++) seen.add((await page(`${url}/testapp/index.jsp?format=json`, { 'x-forwarded-for': address })).body.node)
      expect(seen.size).toBe(1)
      nodes.add([...seen][0] as string)
    }
    expect(nodes).toEqual(new Set(['TomcatA', 'TomcatB']))
  })

  it('a draining member keeps its sticky users and gets no new sessions', async () => {
    const { url, balancer } = await front({ members: members() })
    const onA: string[] = []
    while (onA.length < 2) {
      const { body, cookie } = await page(`${url}/testapp/index.jsp?format=json`)
      if (body.node === 'TomcatA') onA.push(cookie)
    }
    // A sticky request still running on A when it starts draining finishes there.
    const slow = fetch(`${url}/testapp/slow.jsp?ms=1500`, { headers: { cookie: onA[0] as string } })
    expect(await eventually(() => balancer.member('TomcatA')?.counters.inFlight === 1, 10_000)).toBe(true)
    balancer.setMemberState('TomcatA', 'draining')
    for (const cookie of onA) {
      for (let i = 0; i < 3; i++) expect((await page(`${url}/testapp/index.jsp?format=json`, { cookie })).body.node).toBe('TomcatA')
    }
    for (let i = 0; i < 10; i++) expect((await page(`${url}/testapp/index.jsp?format=json`)).body.node).toBe('TomcatB')
    const slowAnswer = await slow
    expect([slowAnswer.status, ((await slowAnswer.json()) as { node: string }).node]).toEqual([200, 'TomcatA'])
    expect(balancer.member('TomcatA')?.reasons.get('sticky')).toBe(7)
    // Drained: the request in flight ended. The exchange ends when the transport has finished its
    // response (flushed, the AJP connection released), which the client may see a moment earlier.
    expect(await eventually(() => balancer.member('TomcatA')?.counters.inFlight === 0, 5_000)).toBe(true)
  })

  it('pins clients with the balancer cookie when session ids carry no route', async () => {
    // The JSESSIONID route is ignored here (cookie name that Tomcat never sets): only ROUTEID pins.
    const { url } = await front({ members: members(), sticky: { cookie: 'NO_SUCH_COOKIE', pathParam: false, balancerCookie: true } })
    const first = await fetch(`${url}/testapp/index.jsp?format=json`)
    const routeCookie = first.headers.getSetCookie().find((c) => c.startsWith('ROUTEID='))
    const node = ((await first.json()) as TestappIndexJson).node
    expect(routeCookie).toMatch(new RegExp(`^ROUTEID=\\.${node}; Path=/; HttpOnly; SameSite=Lax$`))
    const cookie = routeCookie?.split(';')[0] ?? ''
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${url}/testapp/index.jsp?format=json`, { headers: { cookie } })
      expect(((await res.json()) as TestappIndexJson).node).toBe(node)
      expect(res.headers.getSetCookie().some((c) => c.startsWith('ROUTEID='))).toBe(false)
    }
  })
})

describe('failover when the session node stops (dedicated nodes FailA/FailB)', () => {
  const FailA = { name: 'FailA', httpPort: 8181, ajpPort: 8109 }
  const FailB = { name: 'FailB', httpPort: 8182, ajpPort: 8110 }
  let nodes: TomcatNode[]

  beforeAll(async () => {
    nodes = await ensureTomcatNodes([FailA, FailB])
  }, 180_000)
  afterAll(async () => {
    await Promise.all([stopTomcatNode(FailA), stopTomcatNode(FailB)])
  }, 60_000)

  it('moves the session to the other node (or answers 503 with force), and new sessions stay there after the node returns', async () => {
    const [a, b] = nodes as [TomcatNode, TomcatNode]
    const setups = await Promise.all((['http', 'ajp'] as const).flatMap((protocol) => [false, true].map(async (force) => ({
      protocol,
      force,
      ...(await front({ members: [{ url: urlOf(a, protocol), route: 'FailA' }, { url: urlOf(b, protocol), route: 'FailB' }], sticky: { force }, retryMs: 1000 })),
    }))))
    // A session on FailA for each balancer (byrequests picks the first member first).
    const sessions = await Promise.all(setups.map(async (s) => {
      const { body, cookie } = await page(`${s.url}/testapp/index.jsp?format=json`)
      expect(body.node).toBe('FailA')
      return cookie
    }))

    await stopTomcatNode(FailA)
    const moved: string[] = []
    for (const [i, s] of setups.entries()) {
      const cookie = sessions[i] as string
      const { body, status, cookie: newCookie } = await page(`${s.url}/testapp/index.jsp?format=json`, { cookie })
      if (s.force) {
        expect(status, `${s.protocol} force`).toBe(503)
        moved.push('')
      } else {
        expect(body.node, s.protocol).toBe('FailB')
        expect(body.isNew).toBe(true)
        expect(body.sessionId.endsWith('.FailB')).toBe(true)
        expect(s.balancer.member('FailB')?.reasons.get('rescheduled:member-error')).toBe(1)
        moved.push(newCookie)
      }
    }

    await startTomcatNode(FailA)
    await new Promise((r) => setTimeout(r, 1_100)) // past retryMs: 1000, FailA is usable again
    for (const [i, s] of setups.entries()) {
      if (s.force) {
        // the old session's node is back: forced stickiness serves it again (a new session there, as Tomcat restarted)
        expect((await page(`${s.url}/testapp/index.jsp?format=json`, { cookie: sessions[i] as string })).body.node).toBe('FailA')
        continue
      }
      for (let n = 0; n < 3; n++) {
        const { body } = await page(`${s.url}/testapp/index.jsp?format=json`, { cookie: moved[i] as string })
        expect(body.node, s.protocol).toBe('FailB')
        expect(body.hits).toBe(n + 2)
      }
    }
  })
})
