/**
 * `balancer.close({ keepUpgrades: true })`: a balancer retired by a configuration reload takes no
 * new request or upgrade, and leaves its upgraded connections open until they end by themselves;
 * a later plain `close()` ends them as usual (close frame 1001 after closeGrace).
 */
import { describe, expect, it } from 'vitest'
import { startFront, until } from './support/front.js'
import { openWs } from './support/ws-client.js'
import { startWsUpstream } from './support/ws-upstream.js'

describe('close({ keepUpgrades: true })', () => {
  it('keeps an open WebSocket echoing past closeGrace, refuses new work, and resolves when it ends', async () => {
    const a = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], upgrade: { closeGrace: 50 } })
    const ws = await openWs(`${front.ws}/ws`)
    let closed = false
    const closing = front.balancer.close({ keepUpgrades: true }).then(() => (closed = true))
    await new Promise((r) => setTimeout(r, 300)) // well past closeGrace
    ws.sendText('still there')
    expect((await ws.next()).data.toString()).toBe('still there')
    expect(closed).toBe(false)
    expect((await fetch(`${front.url}/x`)).status).toBe(503) // retired: no new request
    await ws.close()
    await closing
    expect(a.closeCodes).not.toContain(1001)
    await until(() => a.open.size === 0, 5_000, 'upstream socket closed')
  })

  it('a later close() without keepUpgrades closes the kept connections (1001)', async () => {
    const a = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: a.url, route: 'A' }], upgrade: { closeGrace: 50 } })
    const ws = await openWs(`${front.ws}/ws`)
    const kept = front.balancer.close({ keepUpgrades: true })
    await new Promise((r) => setTimeout(r, 150))
    ws.sendText('kept')
    expect((await ws.next()).data.toString()).toBe('kept')
    await front.balancer.close()
    await kept
    expect(await ws.next()).toMatchObject({ type: 'close', code: 1001 })
    await ws.closed
  })
})
