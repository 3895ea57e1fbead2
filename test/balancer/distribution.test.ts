import { beforeEach, describe, expect, it } from 'vitest'
import { countConnections, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

beforeEach(guardProcess)

/** Sends `count` GETs, `concurrency` at a time; returns the statuses. */
async function hammer(url: string, count: number, concurrency = 10): Promise<number[]> {
  const statuses: number[] = []
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++
      statuses.push((await httpRequest(url)).status)
    }
  }))
  return statuses
}

describe('balancer: distribution over real sockets', () => {
  it('splits 100 requests 50/50 over two members of equal weight', async () => {
    const a = await startUpstream('A')
    const b = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }] })
    const statuses = await hammer(`${url}/x`, 100)
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect([a.seen.length, b.seen.length]).toEqual([50, 50])
  })

  it('gives 75/25 with weights 3:1', async () => {
    const a = await startUpstream('A')
    const b = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A', weight: 3 }, { url: b.url, route: 'B', weight: 1 }] })
    await hammer(`${url}/x`, 100)
    expect([a.seen.length, b.seen.length]).toEqual([75, 25])
  })

  it('follows the golden byrequests order request by request (3:1 → A A B A)', async () => {
    const a = await startUpstream('A')
    const b = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A', weight: 3 }, { url: b.url, route: 'B' }] })
    let order = ''
    for (let i = 0; i < 8; i++) order += json<{ node: string }>(await httpRequest(`${url}/x`)).node
    expect(order).toBe('AABAAABA')
  })

  it('counts requests on the members', async () => {
    const a = await startUpstream('A')
    const b = await startUpstream('B')
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }] })
    await hammer(`${url}/x`, 10, 1)
    expect(balancer.members.map((m) => [m.id, m.counters.requests, m.counters.elected, m.counters.inFlight, m.counters.errors])).toEqual([
      ['A', 5, 5, 0, 0],
      ['B', 5, 5, 0, 0],
    ])
    expect(balancer.members.every((m) => m.counters.bytesIn > 0)).toBe(true)
  })

  it('reuses upstream connections: 20 sequential requests use at most 2 sockets per member', async () => {
    const a = await startUpstream('A')
    const conns = countConnections(a.server)
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    for (let i = 0; i < 20; i++) {
      expect((await httpRequest(`${url}/k${i}`)).status).toBe(200)
    }
    expect(a.seen).toHaveLength(20)
    expect(conns.count).toBeLessThanOrEqual(2)
    expect(balancer.sockets().A).toMatchObject({ open: conns.count, idle: conns.count })
  })

  it('reuses upstream connections for requests with bodies too', async () => {
    const a = await startUpstream('A')
    const conns = countConnections(a.server)
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    for (let i = 0; i < 20; i++) {
      const r = await httpRequest(`${url}/p${i}`, { method: 'POST', body: `body ${i}` })
      expect(json<{ length: number }>(r).length).toBe(`body ${i}`.length)
    }
    expect(conns.count).toBeLessThanOrEqual(2)
  })
})
