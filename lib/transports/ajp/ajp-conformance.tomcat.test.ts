/**
 * Cases of the transport conformance suite that a real Tomcat AJP connector can play (TomcatA):
 * a silent member, a declined head, a client that goes away mid-download, a streamed and counted
 * body, keep-alive. The fake container of `ajp-conformance.test.ts` plays the faults Tomcat never
 * commits.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AJP_SECRET, ensureTomcatNodes } from '../../../test/support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../../../test/support/tomcat.js'
import { Member } from '../../members/member.js'
import { call, startFront, until } from '../conformance.suite.js'
import type { Front } from '../conformance.suite.js'
import type { Transport } from '../transport.js'
import { createAjpTransport } from './ajp-transport.js'

let node: TomcatNode
beforeAll(async () => {
  ;[node] = (await ensureTomcatNodes()) as [TomcatNode]
})

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function setup(replyTimeout = 30_000): Promise<{ transport: Transport; front: Front }> {
  const member = new Member({ url: new URL(`ajp://127.0.0.1:${node.ajpPort}`), route: node.name, weight: 1, admin: 'active' })
  const transport = createAjpTransport(member, { secret: AJP_SECRET, replyTimeout, maxConnections: 4 })
  cleanups.push(() => transport.close())
  const front = await startFront(transport, member, { decline: new Set() })
  cleanups.push(() => front.close())
  return { transport, front }
}

describe('transport conformance against Tomcat AJP', () => {
  it('a member silent for timeout: UpstreamTimeoutError, nothing written to the client', async () => {
    const { front } = await setup(300)
    const reply = await call(front.port, { path: '/testapp/slow.jsp?ms=3000' })
    const outcome = await front.nextOutcome()
    expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_TIMEOUT')
    expect(outcome.headersSent).toBe(false)
    expect(reply.status).toBe(504)
  })

  it('a declined head (sendResponseHead false): UpstreamStatusError, nothing reaches the client, the connection is used again', async () => {
    const { front, transport } = await setup()
    front.decline.add(503)
    const reply = await call(front.port, { path: '/testapp/status.jsp?code=503' })
    const outcome = await front.nextOutcome()
    expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_STATUS')
    expect(outcome.error?.statusCode).toBe(503)
    expect(outcome.headersSent).toBe(false)
    expect(reply.body.toString()).not.toContain('status 503')
    await until(() => transport.sockets().idle === 1, 'the declined answer read to its end, its connection idle')
    const next = await call(front.port, { path: '/testapp/static.txt' })
    expect(next.status).toBe(200)
    await front.nextOutcome()
    await until(() => transport.sockets().idle === 1, 'the connection idle again')
    expect(transport.sockets()).toEqual({ open: 1, idle: 1 })
  })

  it('a client that goes away mid-download: no socket left busy', async () => {
    const { front, transport } = await setup()
    const reply = await call(front.port, { path: '/testapp/big.jsp?bytes=67108864', abortOnHead: true })
    expect(reply.status).toBe(200)
    await front.nextOutcome()
    await until(() => transport.sockets().open === transport.sockets().idle, 'every upstream socket idle or closed')
  })

  it('streams a chunked request body to Tomcat and counts its bytes both ways', async () => {
    const { front } = await setup()
    const chunks = [Buffer.alloc(10_000, 0x61), Buffer.alloc(20_000, 0x62), Buffer.alloc(30_000, 0x63)]
    const reply = await call(front.port, { method: 'POST', path: '/testapp/echo.jsp', headers: { 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' }, chunks })
    const echo = JSON.parse(reply.body.toString()) as TestappEchoJson
    expect(echo.bodyLength).toBe(60_000)
    const outcome = await front.nextOutcome()
    expect(outcome.result).toEqual({ status: 200, bytesIn: reply.body.length, bytesOut: 60_000 })
  })

  it('keeps one connection alive for sequential exchanges', async () => {
    const { front, transport } = await setup()
    for (let i = 0; i < 3; i++) {
      const reply = await call(front.port, { path: '/testapp/static.txt' })
      expect(reply.status).toBe(200)
      expect((await front.nextOutcome()).result?.status).toBe(200)
    }
    await until(() => transport.sockets().idle === 1, 'the connection is idle in the pool')
    expect(transport.sockets()).toEqual({ open: 1, idle: 1 })
  })
})
