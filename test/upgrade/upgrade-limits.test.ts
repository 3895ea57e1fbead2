/**
 * Upgrades are refused unless their protocol is allowed (`upgrade.protocols`, websocket only by
 * default), nothing of a refused `Upgrade` value is echoed or logged raw, and the defaults bound
 * what a client can hold: connections per member, a handshake's wait, an idle connection's life.
 */
import { describe, expect, it } from 'vitest'
import type { Logger } from '../../lib/logger.js'
import { UPGRADE_DEFAULTS } from '../../lib/upgrade/options.js'
import { startFront, until } from './support/front.js'
import { WsClient, connectWs } from './support/ws-client.js'
import { startWsUpstream } from './support/ws-upstream.js'

const KEY = { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }

describe('upgrade.protocols', () => {
  it.each([
    ['x-echo/1', 'x-echo'],
    ['h2c', 'h2c'],
    ['websocket2', 'websocket2'],
    ['TLS/1.0', 'TLS'],
    ['<script>alert(1)</script>', 'script'],
    ['web socket', 'web socket'],
    ['websocket;v=1', 'v=1'],
    ['websocket, <b>x</b>', '<b>'],
  ])('Upgrade %j is refused with 501 before any member is contacted, echoing nothing', async (upgrade, telltale) => {
    const a = await startWsUpstream('A')
    const debug: string[] = []
    const logger: Logger = { debug: (obj, msg) => void debug.push(`${msg ?? ''} ${JSON.stringify(obj)}`), info: () => {}, warn: () => {}, error: () => {} }
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], logger })
    const answer = await connectWs(`${front.ws}/ws`, { protocol: upgrade, headers: KEY })
    expect(answer).not.toBeInstanceOf(WsClient)
    expect((answer as { status: number }).status).toBe(501)
    expect((answer as { body: string }).body).not.toContain(telltale)
    expect(a.seen).toEqual([])
    expect(front.balancer.member('A')!.counters.requests).toBe(0)
    expect(debug.join('\n')).toContain('upgrade refused')
  })

  it('logs a refused value only bounded and escaped', async () => {
    const a = await startWsUpstream('A')
    const debug: { upgrade?: string }[] = []
    const logger: Logger = { debug: (obj) => void debug.push(obj as { upgrade?: string }), info: () => {}, warn: () => {}, error: () => {} }
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], logger })
    for (const upgrade of ['\u00ff\u00fe"x"', 'y'.repeat(3_000)]) {
      const answer = await connectWs(`${front.ws}/ws`, { protocol: upgrade, headers: KEY })
      expect((answer as { status: number }).status).toBe(501)
    }
    const logged = debug.map((d) => d.upgrade).filter((u) => u !== undefined)
    expect(logged).toHaveLength(2)
    for (const u of logged) {
      expect(u).toMatch(/^[\x20-\x7e…]*$/)
      expect(u).not.toContain('"')
      expect(u!.length).toBeLessThanOrEqual(64 * 4 + 1)
    }
  })

  it.each(['WebSocket', 'WEBSOCKET', 'h2c, websocket', 'websocket, x-other'])('Upgrade %j goes through as "websocket" only', async (upgrade) => {
    const a = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }] })
    const answer = await connectWs(`${front.ws}/ws`, { protocol: upgrade, headers: KEY })
    expect(answer).toBeInstanceOf(WsClient)
    expect(a.seen[0]?.headers.upgrade).toBe('websocket')
    ;(answer as WsClient).destroy()
    await until(() => front.balancer.member('A')!.counters.inFlight === 0)
  })

  it('protocols: [] refuses every upgrade, WebSocket included', async () => {
    const a = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], upgrade: { protocols: [] } })
    const answer = await connectWs(`${front.ws}/ws`)
    expect((answer as { status: number }).status).toBe(501)
    expect(a.seen).toEqual([])
  })

  it('validates the option', async () => {
    const members = [{ url: 'http://127.0.0.1:8080' }]
    for (const protocols of [['tls/1.3'], ['a b'], [''], 'websocket', [1], Array.from({ length: 33 }, (_, i) => `p${i}`)]) {
      await expect(startFront({ members, upgrade: { protocols: protocols as never } })).rejects.toThrow(/upgrade.protocols must be a list/)
    }
    await expect(startFront({ members, upgrade: { handshakeTimeout: -1 } })).rejects.toThrow(/upgrade.handshakeTimeout/)
  })
})

describe('default limits', () => {
  it('are on: 4096 connections per member, 30 s for a handshake, 1 h idle', async () => {
    expect(UPGRADE_DEFAULTS).toMatchObject({ maxPerMember: 4096, handshakeTimeout: 30_000, idleTimeout: 3_600_000 })
    const front = await startFront({ members: [{ url: 'http://127.0.0.1:8080' }] })
    expect(front.balancer.options.upgrade).toMatchObject({ maxPerMember: 4096, handshakeTimeout: 30_000, idleTimeout: 3_600_000 })
    expect([...front.balancer.options.upgrade.protocols]).toEqual(['websocket'])
  })

  it('upgrade.handshakeTimeout bounds a member that never answers the handshake, below the request timeout', async () => {
    const hanging = await startWsUpstream('H', { mode: 'hang' })
    const front = await startFront({ members: [{ url: hanging.url, route: 'H' }], health: false, upgrade: { handshakeTimeout: 300 } })
    const answer = await connectWs(`${front.ws}/ws`, { timeoutMs: 10_000 })
    expect((answer as { status: number }).status).toBe(504)
    await until(() => front.balancer.member('H')!.counters.inFlight === 0)
  })
})
