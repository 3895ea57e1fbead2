/**
 * A 5 s soak in the suite (the long one, against real Tomcat, is `npm run bench:soak`, see
 * bench/soak.mjs): steady load in bursts to an HTTP and an AJP member; between bursts, once every
 * request has settled, the open handles (`process.getActiveResourcesInfo()`) and upstream sockets
 * must not grow.
 */
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import { startAjpMember, startHost, startHttpMember } from './support/hosts.js'
import { activeResources, completed, pause, runLoad, totalResources } from './support/load.js'

beforeEach(guardProcess)

describe('soak (5 s)', () => {
  it('open handles and upstream sockets do not grow across bursts', async () => {
    const a = await startHttpMember('A')
    const b = await startAjpMember('B')
    const host = await startHost('bare', { members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }], health: false })
    onTestFinished(async () => {
      await host.close()
      await a.close()
      await b.close()
    })
    const upstreamSockets = () => Object.values(host.balancer.sockets()).reduce((n, s) => n + s.open, 0)
    const samples: Array<{ handles: number; sockets: number; kinds: Record<string, number> }> = []
    for (let burst = 0; burst < 5; burst++) {
      const tally = await runLoad({ url: host.url, durationMs: 800, connections: 16, requestTimeoutMs: 3_000 })
      expect(tally.hung).toBe(0)
      expect(completed(tally)).toBe(tally.sent)
      expect(tally.statuses[200]).toBe(tally.sent)
      await pause(150) // let client sockets finish closing
      samples.push({ handles: totalResources(), sockets: upstreamSockets(), kinds: activeResources() })
    }
    // After the warm-up bursts the counts are steady (the same number at every sample on an idle
    // machine): nothing may be left over. Whatever is only slow to close gets 3 s to do so; a leak,
    // even of one handle or socket per burst, stays and fails.
    const warm = samples[1] as (typeof samples)[number]
    const socketLimit = Math.max(samples[0]!.sockets, warm.sockets)
    await eventually(() => totalResources() <= warm.handles && upstreamSockets() <= socketLimit, 3_000)
    const last = { handles: totalResources(), sockets: upstreamSockets(), kinds: activeResources() }
    const why = JSON.stringify({ samples: samples.map((x) => [x.handles, x.sockets]), warm: warm.kinds, last: last.kinds })
    expect(last.handles, why).toBeLessThanOrEqual(warm.handles)
    expect(last.sockets, why).toBeLessThanOrEqual(socketLimit)
    // the pools never hold more than the 16 concurrent requests need, per member
    for (const [id, pool] of Object.entries(host.balancer.sockets())) expect(pool.open, id).toBeLessThanOrEqual(16)
  })
})
