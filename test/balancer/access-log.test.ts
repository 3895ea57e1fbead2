/**
 * The balancer's `access` event (one record per client request, retries included, its own
 * refusals and client aborts too) and `audit` event (admin changes and refused admin access),
 * on each HTTP transport; and that nothing is built for them while no one listens.
 */
import http from 'node:http'
import { describe, expect, it } from 'vitest'
import type { AccessRecord } from '../../lib/access-log/access-record.js'
import type { AuditRecord } from '../../lib/access-log/audit-record.js'
import type { Balancer } from '../../lib/balancer.js'
import { deadUrl, eventually, forEachHttpTransport, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

function recordsOf(balancer: Balancer): AccessRecord[] {
  const records: AccessRecord[] = []
  balancer.on('access', (r) => records.push(r))
  return records
}

async function oneRecord(records: AccessRecord[]): Promise<AccessRecord> {
  expect(await eventually(() => records.length > 0, 5_000)).toBe(true)
  expect(records).toHaveLength(1)
  return records[0]!
}

forEachHttpTransport(() => {
  describe('the access event', () => {
    it('reports a forwarded request: client, request line, status, body bytes, headers, the member', async () => {
      const up = await startUpstream('A', (_req, res) => res.end('x'.repeat(1000)))
      const { balancer, url } = await startBalancer({ members: [{ url: up.url, route: 'A' }] })
      const records = recordsOf(balancer)
      const res = await httpRequest(`${url}/app/page?q=1`, { headers: { referer: 'http://lb.example/', 'user-agent': 'test-agent/1.0' } })
      expect(res.status).toBe(200)
      const r = await oneRecord(records)
      expect(r).toMatchObject({
        client: '127.0.0.1', method: 'GET', url: '/app/page?q=1', protocol: 'HTTP/1.1', status: 200, bytes: 1000,
        referer: 'http://lb.example/', userAgent: 'test-agent/1.0', route: 'A', reason: 'new', error: undefined, aborted: false,
      })
      expect(r.upstreams).toEqual([{ member: 'A', address: new URL(up.url).host, status: 200, durationMs: expect.any(Number), reason: 'new', error: undefined }])
      expect(r.durationMs).toBeGreaterThanOrEqual(r.upstreams[0]!.durationMs)
      expect(Math.abs(r.time - Date.now())).toBeLessThan(60_000)
    })

    it('reports the session route and the sticky reason', async () => {
      const a = await startUpstream('A')
      const b = await startUpstream('B')
      const { balancer, url } = await startBalancer({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }] })
      const records = recordsOf(balancer)
      await httpRequest(`${url}/x`, { headers: { cookie: 'JSESSIONID=abc.B' } })
      expect(await oneRecord(records)).toMatchObject({ route: 'B', reason: 'sticky', sessionRoute: 'B', upstreams: [{ member: 'B', reason: 'sticky' }] })
    })

    it('lists every attempt of a retried request, in order', async () => {
      const dead = await deadUrl()
      const up = await startUpstream('B')
      const { balancer, url } = await startBalancer({ members: [{ url: dead, route: 'A' }, { url: up.url, route: 'B' }], scheduler: { name: 'first', pick: (c) => c[0] } })
      const records = recordsOf(balancer)
      expect((await httpRequest(`${url}/x`)).status).toBe(200)
      const r = await oneRecord(records)
      expect(r.upstreams.map((u) => [u.member, u.address, u.status, u.error])).toEqual([
        ['A', new URL(dead).host, 0, 'LB_ERR_UPSTREAM_CONNECT'],
        ['B', new URL(up.url).host, 200, undefined],
      ])
      expect(r).toMatchObject({ status: 200, route: 'B', error: undefined })
    })

    it('reports the balancer\'s own answers: 503 when no member can take the request, 400 for a refused path', async () => {
      const { balancer, url } = await startBalancer({ members: [{ url: await deadUrl(), route: 'A' }] })
      const records = recordsOf(balancer)
      expect((await httpRequest(`${url}/x`)).status).toBe(503)
      expect(await oneRecord(records)).toMatchObject({ status: 503, error: 'LB_ERR_NO_MEMBER', upstreams: [{ member: 'A', status: 0, error: 'LB_ERR_UPSTREAM_CONNECT' }] })
      records.length = 0
      expect((await httpRequest(`${url}/a%2fb`)).status).toBe(400)
      const refused = await oneRecord(records)
      expect(refused).toMatchObject({ status: 400, url: '/a%2fb', upstreams: [] })
      expect(refused.error).toMatch(/^LB_ERR_/)
      expect(refused.bytes).toBeGreaterThan(0)
    })

    it('counts no body bytes for HEAD', async () => {
      const up = await startUpstream('A', (_req, res) => res.writeHead(200, { 'content-length': '5' }).end('hello'))
      const { balancer, url } = await startBalancer({ members: [{ url: up.url, route: 'A' }] })
      const records = recordsOf(balancer)
      await httpRequest(`${url}/x`, { method: 'HEAD' })
      expect(await oneRecord(records)).toMatchObject({ method: 'HEAD', status: 200, bytes: 0 })
    })

    it('reports a client that went away before the answer, with the attempt it cut', async () => {
      let answered = false
      let received = false
      const up = await startUpstream('A', (_req, res) => {
        received = true
        setTimeout(() => {
          answered = true
          if (!res.destroyed) res.end('late')
        }, 1_500)
      })
      const { balancer, url } = await startBalancer({ members: [{ url: up.url, route: 'A' }] })
      const records = recordsOf(balancer)
      const req = http.get(`${url}/slow`)
      req.on('error', () => {})
      expect(await eventually(() => received, 5_000)).toBe(true)
      req.destroy()
      const r = await oneRecord(records)
      expect(r).toMatchObject({ status: 0, aborted: true, error: 'LB_ERR_CLIENT_ABORTED', upstreams: [{ member: 'A', error: 'LB_ERR_CLIENT_ABORTED' }] })
      expect(answered).toBe(false)
    })
  })
})

describe('with no access listener', () => {
  it('builds nothing per request: no wrapped write, no close listener', async () => {
    const up = await startUpstream('A')
    const { balancer, url, server } = await startBalancer({ members: [{ url: up.url, route: 'A' }] })
    const seen: { ownWrite: boolean; closeListeners: number }[] = []
    // Look at the response right after the balancer took it (the startBalancer host calls handle first).
    server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      const before = res.listenerCount('close')
      queueMicrotask(() => seen.push({ ownWrite: Object.hasOwn(res, 'write'), closeListeners: res.listenerCount('close') - before }))
    })
    await httpRequest(`${url}/x`)
    const withListener = recordsOf(balancer)
    await httpRequest(`${url}/x`)
    expect(withListener).toHaveLength(1)
    expect(seen[0]).toEqual({ ownWrite: false, closeListeners: seen[0]!.closeListeners })
    expect(seen[1]!.ownWrite).toBe(true)
    expect(seen[1]!.closeListeners).toBe(seen[0]!.closeListeners + 1)
  })
})

describe('the audit event', () => {
  it('reports an admin change (who, listener, host, what) and refused admin access (421, 403)', async () => {
    const up = await startUpstream('A')
    const { balancer, url } = await startBalancer({ members: [{ url: up.url, route: 'A' }], admin: { path: '/balancer-manager' } })
    const audits: AuditRecord[] = []
    balancer.on('audit', (a) => audits.push(a))
    const { nonce } = json<{ nonce: string }>(await httpRequest(`${url}/balancer-manager/api`))
    const changed = await httpRequest(`${url}/balancer-manager/api/members/A`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': nonce }, body: JSON.stringify({ state: 'draining' }),
    })
    expect(changed.status).toBe(200)
    const port = (new URL(url)).port
    expect(audits).toEqual([expect.objectContaining({
      outcome: 'change', client: '127.0.0.1', listener: `127.0.0.1:${port}`, host: `127.0.0.1:${port}`, method: 'POST',
      url: '/balancer-manager/api/members/A', via: 'json', action: expect.stringContaining('draining'),
    })])
    expect((await httpRequest(`${url}/balancer-manager/api`, { headers: { host: 'evil.example' } })).status).toBe(421)
    expect(audits[1]).toMatchObject({ outcome: 'refused', status: 421, host: 'evil.example' })
    expect((await httpRequest(`${url}/balancer-manager/api`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status).toBe(403)
    expect(audits[2]).toMatchObject({ outcome: 'refused', status: 403, forwardedFor: '10.1.2.3' })
    expect(audits).toHaveLength(3)
  })
})
