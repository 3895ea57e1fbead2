/**
 * A 5 s soak in the suite (the long one, against real Tomcat, is `npm run bench:soak`, see
 * bench/soak.mjs): steady load in bursts to an HTTP and an AJP member; between bursts, once every
 * request has settled, the open handles (`process.getActiveResourcesInfo()`) and upstream sockets
 * must not grow.
 */
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { guardProcess } from '../support/fake-upstream.js'
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
    const samples: Array<{ handles: number; sockets: number; kinds: Record<string, number> }> = []
    for (let burst = 0; burst < 5; burst++) {
      const tally = await runLoad({ url: host.url, durationMs: 800, connections: 16, requestTimeoutMs: 3_000 })
      expect(tally.hung).toBe(0)
      expect(completed(tally)).toBe(tally.sent)
      expect(tally.statuses[200]).toBe(tally.sent)
      await pause(150) // let client sockets finish closing
      const sockets = Object.values(host.balancer.sockets()).reduce((n, s) => n + s.open, 0)
      samples.push({ handles: totalResources(), sockets, kinds: activeResources() })
    }
    const first = samples[1] as (typeof samples)[number] // after warm-up
    const last = samples.at(-1) as (typeof samples)[number]
    expect(last.handles, JSON.stringify({ first: first.kinds, last: last.kinds })).toBeLessThanOrEqual(first.handles + 4)
    expect(last.sockets).toBeLessThanOrEqual(Math.max(first.sockets, 16 * 2))
  })
})
