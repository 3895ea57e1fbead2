/**
 * The balancer cookie with in-process upstreams that issue no routed session ids: set on the
 * first response, not repeated while it is right, re-issued after a failover.
 */
import { describe, expect, it } from 'vitest'
import { deadUrl, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

const routeCookie = (headers: Record<string, string | string[] | undefined>) =>
  ([headers['set-cookie'] ?? []].flat() as string[]).find((c) => c.startsWith('ROUTEID='))?.split(';')[0]

describe('sticky.balancerCookie', () => {
  it('pins a client to the member that served it, and re-pins after a failover', async () => {
    const [a, b] = await Promise.all([startUpstream('A'), startUpstream('B')])
    const { url, balancer } = await startBalancer({ members: [{ url: a.url }, { url: b.url }], sticky: { balancerCookie: true }, retryMs: 60_000 })
    const first = await httpRequest(`${url}/x`)
    const cookie = routeCookie(first.headers)
    const node = json<{ node: string }>(first).node
    expect(cookie).toMatch(/^ROUTEID=\.m[0-9a-f]{10}$/)
    expect(cookie).not.toContain('127.0.0.1')
    for (let i = 0; i < 5; i++) {
      const next = await httpRequest(`${url}/x`, { headers: { cookie: `${cookie}; other=1` } })
      expect(json<{ node: string }>(next).node).toBe(node)
      expect(routeCookie(next.headers)).toBeUndefined()
    }
    // The pinned member goes away: the request lands on the other one, which pins it anew.
    await (node === 'A' ? a : b).close()
    const moved = await httpRequest(`${url}/x`, { headers: { cookie: cookie ?? '' } })
    expect(json<{ node: string }>(moved).node).toBe(node === 'A' ? 'B' : 'A')
    const newCookie = routeCookie(moved.headers)
    expect(newCookie).toBeDefined()
    expect(newCookie).not.toBe(cookie)
    const pinned = balancer.members.find((m) => newCookie === `ROUTEID=.${m.route}`)
    expect(pinned?.url.href).toBe(`${node === 'A' ? b.url : a.url}/`)
  })

  it('uses the configured routes when members have them, and keeps other Set-Cookie headers', async () => {
    const up = await startUpstream('A', (_req, res) => {
      res.setHeader('set-cookie', ['theme=dark; Path=/'])
      res.end('ok')
    })
    const dead = await deadUrl()
    const { url } = await startBalancer({ members: [{ url: dead, route: 'Dead' }, { url: up.url, route: 'TomcatA' }], sticky: { balancerCookie: { name: 'LB', secure: true } } })
    const res = await httpRequest(`${url}/`)
    expect(res.headers['set-cookie']).toEqual(['theme=dark; Path=/', 'LB=.TomcatA; Path=/; HttpOnly; Secure; SameSite=Lax'])
  })
})
