/**
 * forceRecovery: when no member is usable because every one waits out `retry` in `error`, one is
 * tried anyway (httpd `forcerecovery=On`) instead of answering 503. Fake members; the real-Tomcat
 * case is test/tomcat/recovery-all-down.tomcat.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import type { BalancerOptions } from '../../lib/options.js'
import { deadUrl, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

beforeEach(guardProcess)

const down = { code: 'LB_ERR_UPSTREAM_CONNECT', message: 'refused' }

/** A dead member A and a live member B that the balancer believes is in error for 10 minutes. */
async function setup(extra: Partial<BalancerOptions> = {}) {
  const dead = await deadUrl()
  const b = await startUpstream('B')
  const started = await startBalancer({ members: [{ url: dead, route: 'A' }, { url: b.url, route: 'B' }], retryMs: 600_000, ...extra })
  started.balancer.member('B')!.markError(Date.now(), 600_000, down)
  return { ...started, b }
}

describe('forceRecovery (default on)', () => {
  it('every member in error: the live one is tried and serves, for every later request too', async () => {
    const { url, balancer } = await setup()
    for (let i = 0; i < 5; i++) {
      const r = await httpRequest(`${url}/r${i}`)
      expect(r.status).toBe(200)
      expect(json<{ node: string }>(r).node).toBe('B')
    }
    expect(balancer.member('B')!.health).toBe('ok')
    expect(balancer.member('A')!.health).toBe('error')
    // A was tried once (and failed), and is not forced again while B serves
    expect(balancer.member('A')!.counters.requests).toBe(1)
  })

  it('A already in error too: B, out the longest, is forced first, and A is not contacted', async () => {
    const { url, balancer } = await setup()
    balancer.member('A')!.markError(Date.now() + 1_000, 600_000, down)
    const r = await httpRequest(`${url}/x`)
    expect(r.status).toBe(200)
    expect(json<{ node: string }>(r).node).toBe('B')
    expect(balancer.member('A')!.counters.requests).toBe(0)
  })

  it('a session on the member in error is forced back to it, not rescheduled', async () => {
    const { url, balancer } = await setup()
    balancer.member('A')!.markError(Date.now() - 1_000, 600_000, down) // A out the longest
    const r = await httpRequest(`${url}/s`, { headers: { cookie: 'JSESSIONID=abc.B' } })
    expect(r.status).toBe(200)
    expect(json<{ node: string }>(r).node).toBe('B')
    expect(balancer.member('A')!.counters.requests).toBe(0)
  })

  it('sticky.force still holds: while another member is usable, the session\'s member in error gives 503', async () => {
    const live = await startUpstream('A')
    const b = await startUpstream('B')
    const { url, balancer } = await startBalancer({ members: [{ url: live.url, route: 'A' }, { url: b.url, route: 'B' }], sticky: { force: true }, retryMs: 600_000 })
    balancer.member('B')!.markError(Date.now(), 600_000, down)
    const r = await httpRequest(`${url}/s`, { headers: { cookie: 'JSESSIONID=abc.B' } })
    expect(r.status).toBe(503)
    expect(b.seen).toEqual([])
    expect(live.seen).toEqual([])
  })

  it('sticky.force: when nothing is usable, only the session\'s own member is forced', async () => {
    const { url, balancer } = await setup({ sticky: { force: true } })
    balancer.member('A')!.markError(Date.now() - 1_000, 600_000, down)
    const r = await httpRequest(`${url}/s`, { headers: { cookie: 'JSESSIONID=abc.B' } })
    expect(r.status).toBe(200)
    expect(json<{ node: string }>(r).node).toBe('B')
    expect(balancer.member('A')!.counters.requests).toBe(0)
    // a forced session on the dead member is not sent to B
    const dead = await httpRequest(`${url}/s`, { headers: { cookie: 'JSESSIONID=abc.A' } })
    expect(dead.status).toBe(503)
    expect(balancer.member('B')!.counters.requests).toBe(1)
  })

  it('stopped and draining members are never forced', async () => {
    const { url, balancer } = await setup()
    balancer.setMemberState('B', 'draining')
    const r = await httpRequest(`${url}/x`)
    expect(r.status).toBe(503)
    expect(balancer.member('B')!.counters.requests).toBe(0)
    balancer.setMemberState('B', 'stopped')
    expect((await httpRequest(`${url}/y`, { headers: { cookie: 'JSESSIONID=abc.B' } })).status).toBe(503)
    expect(balancer.member('B')!.counters.requests).toBe(0)
  })
})

describe('forceRecovery off, or active health checks on', () => {
  it('forceRecovery: false answers 503 while every member is in error', async () => {
    const { url, balancer } = await setup({ forceRecovery: false })
    const r = await httpRequest(`${url}/x`)
    expect(r.status).toBe(503)
    expect(balancer.member('B')!.counters.requests).toBe(0)
  })

  it('with active health checks, a member in error waits for its probe', async () => {
    const { url, balancer } = await setup({ health: { interval: 600_000 } })
    balancer.member('B')!.markError(Date.now(), Infinity, down)
    const r = await httpRequest(`${url}/x`)
    expect(r.status).toBe(503)
    expect(balancer.member('B')!.counters.requests).toBe(0)
  })
})
