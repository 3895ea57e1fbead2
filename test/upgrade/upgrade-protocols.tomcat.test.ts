/**
 * `upgrade.protocols` against a real Tomcat with the examples webapp (its WebSocket echo
 * endpoint): WebSocket in any case goes through and echoes; any other `Upgrade` is refused with 501
 * before Tomcat sees it, and nothing of it is echoed. Own node (UpgA), in this test's port range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TomcatNode, TomcatNodeSpec } from '../support/tomcat.js'
import { startFront, until } from './support/front.js'
import { WsClient, connectWs } from './support/ws-client.js'

const UpgA: TomcatNodeSpec = { name: 'UpgA', httpPort: 8386, ajpPort: 8387 }
const ECHO = '/examples/websocket/echoAnnotation'
const KEY = { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }

let node: TomcatNode

beforeAll(async () => {
  const before = process.env.TOMCAT_EXAMPLES
  process.env.TOMCAT_EXAMPLES = '1'
  try {
    ;[node] = (await ensureTomcatNodes([UpgA])) as [TomcatNode]
  } finally {
    if (before === undefined) delete process.env.TOMCAT_EXAMPLES
    else process.env.TOMCAT_EXAMPLES = before
  }
}, 240_000)

afterAll(() => stopTomcatNode(UpgA), 60_000)

describe('upgrade.protocols against Tomcat', () => {
  it.each(['websocket', 'WebSocket', 'WEBSOCKET', 'h2c, websocket'])('Upgrade %j: 101 from Tomcat, and the echo works', async (upgrade) => {
    const front = await startFront({ members: [{ url: node.httpUrl, route: node.route }], logger: false })
    const ws = await connectWs(front.ws + ECHO, { protocol: upgrade, headers: upgrade === 'websocket' ? {} : KEY })
    expect(ws).toBeInstanceOf(WsClient)
    const client = ws as WsClient
    client.sendText('hello')
    expect((await client.next(10_000)).data.toString()).toBe('hello')
    await client.close(1000, 'bye')
    await until(() => front.balancer.member(node.route)!.counters.upgraded === 0, 10_000, 'tunnel closed')
  })

  it.each(['x-anything', 'h2c', 'websocket2', 'TLS/1.2', '<svg onload=alert(1)>', 'websocket;x'])('Upgrade %j: 501 before Tomcat is contacted, nothing echoed', async (upgrade) => {
    const front = await startFront({ members: [{ url: node.httpUrl, route: node.route }], logger: false })
    const answer = await connectWs(front.ws + ECHO, { protocol: upgrade, headers: KEY, timeoutMs: 10_000 })
    expect(answer).not.toBeInstanceOf(WsClient)
    const { status, body } = answer as { status: number; body: string }
    expect(status).toBe(501)
    expect(body).not.toContain(upgrade)
    expect(front.balancer.member(node.route)!.counters.requests).toBe(0)
  })

  it('upgrade.protocols lists another token: it reaches Tomcat (which ignores it and answers without upgrading)', async () => {
    const front = await startFront({ members: [{ url: node.httpUrl, route: node.route }], logger: false, upgrade: { protocols: ['websocket', 'x-anything'] } })
    const answer = await connectWs(front.ws + '/examples/index.html', { protocol: 'x-anything', timeoutMs: 10_000 })
    expect(answer).not.toBeInstanceOf(WsClient)
    expect((answer as { status: number }).status).toBe(200)
    expect(front.balancer.member(node.route)!.counters.requests).toBe(1)
  })
})
