/**
 * Issue #9 against two real Tomcat nodes with Debian's tomcat10-examples deployed at /examples:
 * WebSocket echo through the balancer (bare node:http, Express, Koa), stickiness by the
 * session cookie of the /examples context, AJP members with an upgradeUrl, AJP-only members
 * (501), stopping a member (close frame 1001), limits, and no leaked connection.
 *
 * Own nodes (WsA, WsB), so other Tomcat tests are not disturbed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Balancer, UpgradeEvent } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import { AJP_SECRET, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TomcatNode, TomcatNodeSpec } from '../support/tomcat.js'
import { startFront, until } from './support/front.js'
import { frameworkHosts } from './support/hosts.js'
import { WsClient, connectWs, openWs } from './support/ws-client.js'

const SPECS: TomcatNodeSpec[] = [
  { name: 'WsA', httpPort: 8191, ajpPort: 8119 },
  { name: 'WsB', httpPort: 8192, ajpPort: 8120 },
]
const ECHO = ['/examples/websocket/echoAnnotation', '/examples/websocket/echoProgrammatic', '/examples/websocket/echoStreamAnnotation']
const SESSION_PAGE = '/examples/servlets/servlet/SessionExample'

let nodes: TomcatNode[]

beforeAll(async () => {
  process.env.TOMCAT_EXAMPLES = '1'
  nodes = await ensureTomcatNodes(SPECS)
})

afterAll(async () => {
  await Promise.all(SPECS.map((s) => stopTomcatNode(s)))
})

const httpMembers = (): BalancerOptions['members'] => nodes.map((n) => ({ url: n.httpUrl, route: n.route }))

/** A JSESSIONID of the /examples context, created through the balancer. */
async function examplesSession(base: string): Promise<{ cookie: string; route: string }> {
  const res = await fetch(`${base}${SESSION_PAGE}`)
  await res.text()
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('JSESSIONID='))
  expect(setCookie, 'SessionExample sets a session cookie').toBeDefined()
  expect(setCookie).toMatch(/Path=\/examples/i)
  const value = /^JSESSIONID=([^;]+)/.exec(setCookie as string)![1] as string
  return { cookie: `JSESSIONID=${value}`, route: value.slice(value.lastIndexOf('.') + 1) }
}

function recordUpgrades(balancer: Balancer): UpgradeEvent[] {
  const events: UpgradeEvent[] = []
  balancer.on('upgrade', (e) => events.push(e))
  return events
}

async function echoBoth(ws: WsClient, tag: string): Promise<void> {
  ws.sendText(`hello ${tag}`)
  expect((await ws.next()).data.toString()).toBe(`hello ${tag}`)
  const binary = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256))
  ws.sendBinary(binary)
  const echoed = await ws.next()
  expect(echoed.type).toBe('binary')
  expect(echoed.data.equals(binary)).toBe(true)
}

async function expectNoLeaks(balancer: Balancer): Promise<void> {
  await until(() => balancer.members.every((m) => m.counters.upgraded === 0 && m.counters.inFlight === 0), 10_000, 'counters at zero')
}

describe('bare node:http host', () => {
  it('echoes text and binary on every echo endpoint, keeps the session node, and schedules clients without a session', async () => {
    const front = await startFront({ members: httpMembers(), logger: false })
    const events = recordUpgrades(front.balancer)
    const session = await examplesSession(front.url)
    expect(nodes.map((n) => n.route)).toContain(session.route)
    for (const path of ECHO) {
      const ws = await openWs(front.ws + path, { headers: { cookie: session.cookie } })
      await echoBoth(ws, path)
      expect(events.at(-1)).toMatchObject({ status: 101, reason: 'sticky' })
      expect(events.at(-1)?.member.id).toBe(session.route)
      expect(front.balancer.member(session.route)!.counters.upgraded).toBe(1)
      await ws.close()
    }
    const fresh = [await openWs(front.ws + ECHO[0]), await openWs(front.ws + ECHO[0])]
    const placed = events.slice(-2)
    expect(placed.map((e) => e.reason)).toEqual(['new', 'new'])
    expect(new Set(placed.map((e) => e.member.id))).toEqual(new Set(nodes.map((n) => n.route)))
    for (const ws of fresh) await echoBoth(ws, 'fresh')
    for (const ws of fresh) await ws.close()
    await expectNoLeaks(front.balancer)
  })

  it('relays Tomcat\'s answer to an upgrade of a path without an endpoint', async () => {
    const front = await startFront({ members: httpMembers(), logger: false })
    const answer = await connectWs(front.ws + '/examples/websocket/none')
    expect(answer).not.toBeInstanceOf(WsClient)
    expect((answer as { status: number }).status).toBe(404)
    await expectNoLeaks(front.balancer)
  })

  it('draining keeps the socket; stopping closes it with 1001 after the grace, and a reconnect lands on the other node', async () => {
    const front = await startFront({ members: httpMembers(), logger: false, upgrade: { closeGrace: 300 } })
    const landed: string[] = []
    front.balancer.on('upgrade', (event) => landed.push(event.member.id))
    const session = await examplesSession(front.url)
    const ws = await openWs(front.ws + ECHO[0], { headers: { cookie: session.cookie } })
    front.balancer.setMemberState(session.route, 'draining')
    await echoBoth(ws, 'draining')
    front.balancer.setMemberState(session.route, 'stopped')
    const close = await ws.next(5_000)
    expect(close).toMatchObject({ type: 'close', code: 1001, reason: 'member stopped' })
    await ws.closed
    const again = await openWs(front.ws + ECHO[0], { headers: { cookie: session.cookie } })
    await echoBoth(again, 'reconnected')
    await again.close()
    expect(landed[0]).toBe(session.route)
    expect(landed.at(-1)).not.toBe(session.route)
    await expectNoLeaks(front.balancer)
  })

  it('answers 503 over upgrade.maxPerMember for the session node', async () => {
    const front = await startFront({ members: httpMembers(), logger: false, upgrade: { maxPerMember: 1 } })
    const session = await examplesSession(front.url)
    const first = await openWs(front.ws + ECHO[0], { headers: { cookie: session.cookie } })
    const second = await connectWs(front.ws + ECHO[0], { headers: { cookie: session.cookie } })
    expect((second as { status: number }).status).toBe(503)
    const other = await openWs(front.ws + ECHO[0])
    expect(front.balancer.members.map((m) => m.counters.upgraded)).toEqual([1, 1])
    await first.close()
    await other.close()
    await expectNoLeaks(front.balancer)
  })
})

describe('AJP members', () => {
  it('proxy requests over AJP and upgrades to upgradeUrl, on the same node', async () => {
    const front = await startFront({
      members: nodes.map((n) => ({ url: n.ajpUrl, upgradeUrl: n.httpUrl, route: n.route })),
      ajp: { secret: AJP_SECRET },
      logger: false,
    })
    const events = recordUpgrades(front.balancer)
    const session = await examplesSession(front.url)
    const ws = await openWs(front.ws + ECHO[1], { headers: { cookie: session.cookie } })
    await echoBoth(ws, 'ajp+http')
    expect(events[0]).toMatchObject({ status: 101, reason: 'sticky' })
    expect(events[0]?.member.id).toBe(session.route)
    await ws.close()
    await expectNoLeaks(front.balancer)
  })

  it('answer 501 without upgradeUrl', async () => {
    const front = await startFront({ members: nodes.map((n) => ({ url: n.ajpUrl, route: n.route })), ajp: { secret: AJP_SECRET } })
    const answer = await connectWs(front.ws + ECHO[0])
    expect((answer as { status: number }).status).toBe(501)
    expect(front.warnings.join('\n')).toContain('upgradeUrl')
    await expectNoLeaks(front.balancer)
  })
})

const hosts = frameworkHosts('/examples')

describe.each(Object.keys(hosts) as (keyof typeof hosts)[])('%s host', (name) => {
  it('echoes through the framework\'s server, sticky by session, new clients by the scheduler', async () => {
    const { balancer, url } = await hosts[name]({ members: httpMembers(), logger: false })
    const events = recordUpgrades(balancer)
    const session = await examplesSession(url)
    const sticky = await openWs(url + ECHO[2], { headers: { cookie: session.cookie } })
    await echoBoth(sticky, name)
    expect(events[0]?.member.id).toBe(session.route)
    expect(events[0]?.reason).toBe('sticky')
    const fresh = await openWs(url + ECHO[0])
    await echoBoth(fresh, `${name} fresh`)
    expect(events[1]?.reason).toBe('new')
    await sticky.close()
    await fresh.close()
    await expectNoLeaks(balancer)
  })
})
