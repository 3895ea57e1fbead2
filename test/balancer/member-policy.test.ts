/**
 * Member policy through the balancer, with in-process upstreams: standby takeover after a real
 * failure, failOnStatus, maxFails, active health checks, safe retries of idempotent requests, and
 * the diagnostics channels. Priority groups, standby and panic mode as pure policy are the golden
 * table of lib/routing/member-selector.test.ts.
 */
import diagnostics from 'node:diagnostics_channel'
import { describe, expect, it, onTestFinished } from 'vitest'
import { deadUrl, eventually, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

async function nodes(url: string, n: number, init?: { method?: string; body?: string }): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const r = await httpRequest(`${url}/x`, init)
    out.push(r.status === 200 ? json<{ node: string }>(r).node : String(r.status))
  }
  return out
}

describe('member policy', () => {
  it('sends requests to standby members only when no active member is usable', async () => {
    const [a, s] = await Promise.all([startUpstream('A'), startUpstream('S')])
    const { url, balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }, { url: s.url, route: 'S', state: 'standby' }], sticky: false })
    expect(new Set(await nodes(url, 4))).toEqual(new Set(['A']))
    await a.close()
    expect(await nodes(url, 3)).toEqual(['S', 'S', 'S'])
    expect(balancer.member('A')?.health).toBe('error')
  })

  it('on a failOnStatus answer: puts the member in error and tries a GET elsewhere; a POST gets the answer', async () => {
    const sick = await startUpstream('A', (req, res) => {
      req.resume()
      res.statusCode = 503
      res.end('app stopped')
    })
    const b = await startUpstream('B')
    const members = [{ url: sick.url, route: 'A' }, { url: b.url, route: 'B' }]
    const get = await startBalancer({ members, sticky: false, failOnStatus: [503] })
    expect(await nodes(get.url, 4)).toEqual(['B', 'B', 'B', 'B'])
    expect(get.balancer.member('A')).toMatchObject({ health: 'error', lastError: { code: 'LB_ERR_FAIL_ON_STATUS' } })
    const post = await startBalancer({ members, sticky: false, failOnStatus: [503] })
    expect(await nodes(post.url, 2, { method: 'POST', body: 'x=1' })).toEqual(['503', 'B'])
    expect(post.balancer.member('A')?.health).toBe('error')
  })

  it('needs maxFails failures in a row before a member goes into error', async () => {
    const dead = await deadUrl()
    const b = await startUpstream('B')
    const { url, balancer } = await startBalancer({ members: [{ url: dead, route: 'D' }, { url: b.url, route: 'B' }], sticky: false, maxFails: 3 })
    await nodes(url, 2)
    expect(balancer.member('D')?.health).toBe('ok')
    await nodes(url, 4)
    expect(balancer.member('D')?.health).toBe('error')
    expect(balancer.member('D')?.counters.errors).toBe(3)
  })

  it('retries an idempotent GET on another member after a reset before the response; never a POST', async () => {
    const flaky = await startUpstream('A', (req) => req.socket.destroy())
    const b = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: flaky.url, route: 'A' }, { url: b.url, route: 'B' }], sticky: false })
    expect(await nodes(url, 4)).toEqual(['B', 'B', 'B', 'B'])
    const before = b.seen.length
    const post = await nodes(url, 2, { method: 'POST', body: 'pay 1' })
    expect(post).toContain('502')
    expect(b.seen.slice(before).filter((s) => s.method === 'POST').length).toBe(post.filter((n) => n === 'B').length)
  })

  it('with active health checks, only a passing probe brings a member back', async () => {
    let healthy = false
    const a = await startUpstream('A', (req, res) => {
      if (req.url === '/health') {
        res.statusCode = healthy ? 200 : 500
        res.end()
        return
      }
      res.end(JSON.stringify({ node: 'A' }))
    })
    const b = await startUpstream('B')
    const { url, balancer } = await startBalancer({
      members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }],
      sticky: false,
      retryMs: 0,
      health: { interval: 100, timeout: 80, path: '/health', passes: 2 },
    })
    expect(await eventually(() => balancer.member('A')?.health === 'error', 2_000)).toBe(true)
    expect(new Set(await nodes(url, 4))).toEqual(new Set(['B'])) // retryMs: 0 would let a request probe it; the checker does not
    healthy = true
    expect(await eventually(() => balancer.member('A')?.health === 'ok', 2_000)).toBe(true)
    expect(new Set(await nodes(url, 4))).toEqual(new Set(['A', 'B']))
    const probes = a.seen.filter((s) => s.url === '/health')
    expect(probes.length).toBeGreaterThanOrEqual(3)
    expect(probes[0]?.headers['user-agent']).toBe('sticky-balancer-health-check')
  })

  it('publishes request and member-state messages on diagnostics channels', async () => {
    const dead = await deadUrl()
    const b = await startUpstream('B')
    const seen: string[] = []
    const on = (name: string) => (message: unknown) => {
      const m = message as { member?: { id: string }; reason?: string; willRetry?: boolean; status?: number; health?: string }
      seen.push(`${name}:${m.member?.id}:${m.reason ?? m.willRetry ?? m.status ?? m.health}`)
    }
    const subscriptions = ['request:start', 'request:end', 'request:error', 'member:state'].map((n) => {
      const fn = on(n)
      diagnostics.subscribe(`sticky-balancer:${n}`, fn)
      return () => diagnostics.unsubscribe(`sticky-balancer:${n}`, fn)
    })
    onTestFinished(() => subscriptions.forEach((off) => off()))
    const { url } = await startBalancer({ members: [{ url: dead, route: 'D' }, { url: b.url, route: 'B' }], sticky: false })
    await nodes(url, 1)
    // member:state carries the change's reason: the error code that caused it
    expect(seen).toEqual(['request:start:D:new', 'member:state:D:LB_ERR_UPSTREAM_CONNECT', 'request:error:D:true', 'request:start:B:new', 'request:end:B:200'])
  })
})
