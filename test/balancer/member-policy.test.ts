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
    // Each POST has its own path, so whichever member saw it can be counted: exactly one member,
    // exactly once, and the one A reset is answered 502 rather than sent to B.
    const post: string[] = []
    for (let i = 0; i < 4; i++) {
      const r = await httpRequest(`${url}/pay/${i}`, { method: 'POST', body: `pay ${i}` })
      post.push(r.status === 200 ? json<{ node: string }>(r).node : String(r.status))
    }
    const seenBy = (i: number) => [...flaky.seen.filter((s) => s.url === `/pay/${i}`).map(() => 'A'), ...b.seen.filter((s) => s.url === `/pay/${i}`).map(() => 'B')]
    expect(post).toContain('502')
    for (let i = 0; i < post.length; i++) {
      expect(seenBy(i), `POST ${i} answered ${post[i]}`).toEqual([post[i] === 'B' ? 'B' : 'A'])
      if (post[i] !== 'B') expect(post[i]).toBe('502')
    }
  })

  it('with active health checks, only a passing probe brings a member back; probes use their own connection', async () => {
    let healthy = false
    // What each of A's connections carried: probes must come alone on theirs (Connection: close),
    // never on a socket that also carries users' requests.
    const carried = new Map<object, string[]>()
    const a = await startUpstream('A', (req, res) => {
      const list = carried.get(req.socket) ?? []
      carried.set(req.socket, list)
      list.push(req.url === '/health' ? 'probe' : 'user')
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
      // A generous probe timeout: a slow probe of the healthy B on a loaded machine must not put it in error.
      health: { interval: 100, timeout: 2_000, path: '/health', passes: 2 },
    })
    expect(await eventually(() => balancer.member('A')?.health === 'error', 10_000)).toBe(true)
    expect(new Set(await nodes(url, 4))).toEqual(new Set(['B'])) // retryMs: 0 would let a request probe it; the checker does not
    healthy = true
    expect(await eventually(() => balancer.member('A')?.health === 'ok', 10_000)).toBe(true)
    expect(new Set(await nodes(url, 4))).toEqual(new Set(['A', 'B']))
    // more probes while users' keep-alive sockets to A are open
    const probesNow = a.seen.filter((s) => s.url === '/health').length
    expect(await eventually(() => a.seen.filter((s) => s.url === '/health').length >= probesNow + 2, 10_000)).toBe(true)
    await nodes(url, 4)
    const probes = a.seen.filter((s) => s.url === '/health')
    expect(probes.length).toBeGreaterThanOrEqual(5)
    for (const probe of probes) {
      expect(probe.headers['user-agent']).toBe('sticky-balancer-health-check')
      expect(probe.headers.connection).toBe('close')
    }
    const sockets = [...carried.values()]
    expect(sockets.filter((list) => list.includes('user')).length).toBeGreaterThan(0)
    for (const list of sockets) {
      if (list.includes('probe')) expect(list).toEqual(['probe'])
    }
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
