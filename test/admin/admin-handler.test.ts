/**
 * The admin surface over real sockets: a bare node:http front on port 0 running the balancer with
 * its `admin` option, in front of fake upstream members.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import type { Logger } from '../../lib/logger.js'
import type { AdminOptions } from '../../lib/admin/options.js'
import { isLoopback } from '../../lib/admin/security.js'
import { stickyBalancer } from '../../adapters/express/index.js'
import Koa from 'koa'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import { deadUrl, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'
import type { HttpRequestOptions, HttpResult } from '../support/fake-upstream.js'

interface Logged { level: string; obj: Record<string, unknown>; msg: string | undefined }

function captureLogger(): Logger & { lines: Logged[] } {
  const lines: Logged[] = []
  const at = (level: string) => (obj: object, msg?: string): void => void lines.push({ level, obj: obj as Record<string, unknown>, msg })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

async function setup(admin: AdminOptions = {}, memberCount = 2) {
  const ups = await Promise.all(['A', 'B', 'C'].slice(0, memberCount).map((n) => startUpstream(n)))
  const log = captureLogger()
  const { balancer, url } = await startBalancer({
    members: ups.map((u) => ({ url: u.url, route: u.name })),
    admin: { logger: log, ...admin },
  })
  const base = `${url}/balancer-manager`
  const nonce = async (): Promise<string> => json<{ nonce: string }>(await httpRequest(`${base}/api`)).nonce
  const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> =>
    httpRequest(`${base}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() })
  /** Sends `n` requests through the balancer and counts which member answered. */
  const spread = async (n: number, options: HttpRequestOptions = {}): Promise<Record<string, number>> => {
    const seen: Record<string, number> = {}
    for (let i = 0; i < n; i++) {
      const res = await httpRequest(`${url}/app`, options)
      const node = String(res.headers['x-node'] ?? res.status)
      seen[node] = (seen[node] ?? 0) + 1
    }
    return seen
  }
  const audit = (): Logged[] => log.lines.filter((l) => l.obj.admin === 'change')
  return { ups, balancer, url, base, log, nonce, post, form, spread, audit }
}

describe('mounting', () => {
  it('serves nothing unless asked: the path is balanced like any other', async () => {
    const up = await startUpstream('A')
    const { url } = await startBalancer({ members: [{ url: up.url, route: 'A' }] })
    const res = await httpRequest(`${url}/balancer-manager`)
    expect(res.status).toBe(200)
    expect(json(res).node).toBe('A')
  })

  it('serves the page, the JSON API and metrics under admin.path, before balancing', async () => {
    const { base, ups } = await setup()
    const page = await httpRequest(`${base}/`)
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'nonce-[^']+'.*frame-ancestors 'none'/)
    expect(page.body.toString()).toContain('<tr data-m="A">')
    expect((await httpRequest(base)).status).toBe(200)
    const api = json<{ members: { id: string }[]; nonce: string; readOnly: boolean }>(await httpRequest(`${base}/api`))
    expect(api.members.map((m) => m.id)).toEqual(['A', 'B'])
    expect(api.readOnly).toBe(false)
    expect(api.nonce).toMatch(/^[\w-]{22}$/)
    expect(json(await httpRequest(`${base}/status.json`)).members).toHaveLength(2)
    expect(json(await httpRequest(`${base}/api/members/B`)).id).toBe('B')
    const metrics = await httpRequest(`${base}/metrics`)
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(metrics.body.toString()).toContain('sticky_balancer_requests_total{balancer="balancer",member="A"} 0')
    expect((await httpRequest(`${base}/nope`)).status).toBe(404)
    expect((await httpRequest(`${base}/`, { method: 'HEAD' })).body.length).toBe(0)
    // No admin request reached a member.
    expect(ups.flatMap((u) => u.seen)).toEqual([])
  })

  it('serves metrics at a metricsPath outside the admin path, or none', async () => {
    const { url, base } = await setup({ metricsPath: '/metrics' })
    expect((await httpRequest(`${url}/metrics`)).body.toString()).toContain('# TYPE sticky_balancer_requests_total counter')
    const off = await setup({ metricsPath: false })
    expect((await httpRequest(`${off.base}/metrics`)).status).toBe(404)
    expect((await httpRequest(`${base}/`)).body.toString()).toContain(`href="/metrics"`)
  })

  it('works as Express middleware the user mounts, and through the adapter under its mount path', async () => {
    const up = await startUpstream('A')
    const balancer = createBalancer({ logger: false, closeTimeout: 200, members: [{ url: up.url, route: 'A' }] })
    const admin = balancer.adminHandler()
    const app = express()
    app.use('/ops/lb', admin)
    app.use('/app', stickyBalancer({ logger: false, closeTimeout: 200, members: [{ url: up.url, route: 'A' }], admin: { path: '/manager' } }))
    const server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(async () => {
      admin.close()
      server.closeAllConnections()
      await balancer.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const mine = json<{ members: unknown[]; nonce: string }>(await httpRequest(`${url}/ops/lb/api`))
    expect(mine.members).toHaveLength(1)
    const page = (await httpRequest(`${url}/ops/lb`)).body.toString()
    expect(page).toContain('action="/ops/lb/"')
    const changed = await httpRequest(`${url}/ops/lb/api/members/A`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': mine.nonce }, body: '{"weight":7}' })
    expect(changed.status).toBe(200)
    expect(balancer.member('A')!.weight).toBe(7)
    const viaAdapter = await httpRequest(`${url}/app/manager/`)
    expect(viaAdapter.status).toBe(200)
    expect(viaAdapter.body.toString()).toContain('action="/app/manager/"')
    expect(json(await httpRequest(`${url}/app/other`)).node).toBe('A')
  })

  it('works through the Koa adapter, which passes other paths on', async () => {
    const up = await startUpstream('A')
    const app = new Koa()
    const middleware = koaBalancer({ logger: false, closeTimeout: 200, members: [{ url: up.url, route: 'A' }], admin: {}, exclude: ['/local'] })
    app.use(middleware)
    app.use((ctx) => {
      ctx.body = 'local'
    })
    const server = http.createServer(app.callback())
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(async () => {
      server.closeAllConnections()
      await middleware.balancer.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const api = json<{ members: unknown[]; nonce: string }>(await httpRequest(`${url}/balancer-manager/api`))
    expect(api.members).toHaveLength(1)
    const res = await httpRequest(`${url}/balancer-manager/api/members/A`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': api.nonce }, body: '{"state":"draining"}' })
    expect(res.status).toBe(200)
    expect(middleware.balancer.member('A')!.admin).toBe('draining')
    expect((await httpRequest(`${url}/local`)).body.toString()).toBe('local')
  })
})

describe('who may use it', () => {
  it('lets loopback clients in by default (all test traffic is loopback)', async () => {
    const { base } = await setup()
    expect((await httpRequest(`${base}/api`)).status).toBe(200)
  })

  it('asks authorize instead when given (sync, async, throwing)', async () => {
    const seen: string[] = []
    const denied = await setup({ authorize: (req) => (seen.push(req.url ?? ''), false) })
    const res = await httpRequest(`${denied.base}/api`)
    expect(res.status).toBe(403)
    expect(json<{ error: { code: string } }>(res).error.code).toBe('LB_ERR_ADMIN_FORBIDDEN')
    expect((await httpRequest(`${denied.base}/`)).status).toBe(403)
    expect((await httpRequest(`${denied.base}/metrics`)).status).toBe(403)
    expect(seen).toEqual(['/balancer-manager/api', '/balancer-manager/', '/balancer-manager/metrics'])
    expect(denied.log.lines.some((l) => l.level === 'warn' && l.obj.admin === 'refused' && l.obj.client === '127.0.0.1')).toBe(true)

    const allowed = await setup({ authorize: async (req) => req.headers.authorization === 'Bearer ok' })
    expect((await httpRequest(`${allowed.base}/api`)).status).toBe(403)
    expect((await httpRequest(`${allowed.base}/api`, { headers: { authorization: 'Bearer ok' } })).status).toBe(200)

    const throwing = await setup({ authorize: () => { throw new Error('directory down') } })
    expect((await httpRequest(`${throwing.base}/api`)).status).toBe(403)
    expect(throwing.log.lines.some((l) => l.level === 'error' && l.obj.err === 'directory down')).toBe(true)
  })
})

describe('changes are guarded', () => {
  it('need a nonce the surface handed out', async () => {
    const { post, nonce, balancer } = await setup()
    const none = await post('/api/members/A', { weight: 5 })
    expect(none.status).toBe(403)
    expect(json<{ error: { field: string } }>(none).error.field).toBe('nonce')
    expect((await post('/api/members/A', { weight: 5 }, { 'x-balancer-nonce': 'forged-nonce-000000000' })).status).toBe(403)
    expect(balancer.member('A')!.weight).toBe(1)
    const ok = await post('/api/members/A', { weight: 5 }, { 'x-balancer-nonce': await nonce() })
    expect(ok.status).toBe(200)
    expect(balancer.member('A')!.weight).toBe(5)
    // The page's nonce works too, as a form field.
    const html = (await httpRequest(`${(await setup()).base}/`)).body.toString()
    expect(html).toMatch(/name="nonce" value="[\w-]{22}"/)
  })

  it('refuse other origins even with a valid nonce', async () => {
    const { post, nonce, form, balancer } = await setup()
    const n = await nonce()
    const cross = await post('/api/members/A', { state: 'stopped' }, { 'x-balancer-nonce': n, origin: 'http://evil.example' })
    expect(cross.status).toBe(403)
    expect(json<{ error: { message: string } }>(cross).error.message).toMatch(/cross-origin/)
    expect((await form({ nonce: n, w: 'A', w_status_S: '1' }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await form({ nonce: n, w: 'A', w_status_S: '1' }, { referer: 'http://evil.example/page' })).status).toBe(403)
    expect(balancer.member('A')!.admin).toBe('active')
    const same = await form({ nonce: n, w: 'A', w_status_S: '1' }, { 'sec-fetch-site': 'same-origin' })
    expect(same.status).toBe(303)
    expect(balancer.member('A')!.admin).toBe('stopped')
  })

  it('are refused in read-only mode', async () => {
    const { base, post, form, balancer } = await setup({ readOnly: true })
    const api = json<Record<string, unknown>>(await httpRequest(`${base}/api`))
    expect(api.readOnly).toBe(true)
    expect(api).not.toHaveProperty('nonce')
    const res = await post('/api/members/A', { weight: 5 })
    expect(res.status).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
    expect(json<{ error: { code: string } }>(res).error.code).toBe('LB_ERR_ADMIN_READ_ONLY')
    expect((await form({ w: 'A', w_lf: '5' })).status).toBe(405)
    expect((await httpRequest(`${base}/api/members/A`, { method: 'DELETE' })).status).toBe(405)
    expect((await httpRequest(`${base}/?cmd=update&w=balancer&sw=A&vwa=2&mime=txt`)).status).toBe(403)
    expect(balancer.member('A')!.weight).toBe(1)
    expect(balancer.member('A')!.admin).toBe('active')
    expect((await httpRequest(`${base}/`)).body.toString()).not.toContain('<form')
  })

  it('are logged as audit lines: who and what', async () => {
    // X-Forwarded-For is a proxy's mark: refused without authorize, so this surface has one.
    const { post, nonce, audit } = await setup({ authorize: (req) => isLoopback(req.socket.remoteAddress) })
    await post('/api/members/B', { state: 'draining', weight: 4 }, { 'x-balancer-nonce': await nonce(), 'x-forwarded-for': '198.51.100.7' })
    expect(audit()).toEqual([{ level: 'info', msg: 'admin change', obj: { admin: 'change', client: '127.0.0.1', forwardedFor: '198.51.100.7', via: 'json', action: 'member B: weight=4, state=draining' } }])
  })
})

describe('JSON API', () => {
  it('a stopped member gets no more requests; active again, it does', async () => {
    const { post, nonce, spread } = await setup()
    expect(await spread(4)).toEqual({ A: 2, B: 2 })
    expect((await post('/api/members/A', { state: 'stopped' }, { 'x-balancer-nonce': await nonce() })).status).toBe(200)
    expect(await spread(6)).toEqual({ B: 6 })
    // A stopped member does not take its sessions either; a draining one does.
    expect(await spread(3, { headers: { cookie: 'JSESSIONID=x.A' } })).toEqual({ B: 3 })
    await post('/api/members/A', { state: 'draining' }, { 'x-balancer-nonce': await nonce() })
    expect(await spread(3, { headers: { cookie: 'JSESSIONID=x.A' } })).toEqual({ A: 3 })
    expect(await spread(3)).toEqual({ B: 3 })
    await post('/api/members/A', { state: 'active' }, { 'x-balancer-nonce': await nonce() })
    expect(await spread(4)).toEqual({ A: 2, B: 2 })
  })

  it('a weight changes the share of new requests', async () => {
    const { post, nonce, spread } = await setup()
    expect((await post('/api/members/A', { weight: 3 }, { 'x-balancer-nonce': await nonce() })).status).toBe(200)
    expect(await spread(40)).toEqual({ A: 30, B: 10 })
  })

  it('route, redirect and domain; null clears', async () => {
    const { post, nonce, balancer } = await setup()
    const res = await post('/api/members/A', { redirect: 'B', domain: 'dc1' }, { 'x-balancer-nonce': await nonce() })
    expect(json<{ member: { redirect: string; domain: string } }>(res).member).toMatchObject({ redirect: 'B', domain: 'dc1' })
    await post('/api/members/A', { redirect: null, domain: null }, { 'x-balancer-nonce': await nonce() })
    expect(balancer.member('A')).toMatchObject({ redirect: undefined, domain: undefined })
    await post('/api/members/B', { route: 'TomcatB' }, { 'x-balancer-nonce': await nonce() })
    expect(balancer.member('B')!.route).toBe('TomcatB')
  })

  it('answers 400 naming the field, 404 for an unknown member', async () => {
    const { base, post, nonce } = await setup()
    const n = async (): Promise<Record<string, string>> => ({ 'x-balancer-nonce': await nonce() })
    const cases: [unknown, string, RegExp][] = [
      [{ weight: 0 }, 'weight', /weight: must be an integer from 1 to 100/],
      [{ weight: '3' }, 'weight', /integer/],
      [{ state: 'sleeping' }, 'state', /state: must be one of active, draining, stopped, standby/],
      [{ route: 'a b' }, 'route', /route: must be letters/],
      [{ redirect: 'A' }, 'redirect', /redirect/],
      [{ route: 'B' }, 'route', /already used/],
      [{ colour: 'red' }, 'colour', /colour: is not a member setting/],
      [{}, 'body', /names no change/],
      [[1], 'body', /JSON object/],
    ]
    for (const [body, field, message] of cases) {
      const res = await post('/api/members/A', body, await n())
      expect(res.status, JSON.stringify(body)).toBe(400)
      const error = json<{ error: { code: string; field: string; message: string } }>(res).error
      expect(error, JSON.stringify(body)).toMatchObject({ code: 'LB_ERR_ADMIN_INVALID', field })
      expect(error.message).toMatch(message)
    }
    const bad = await httpRequest(`${base}/api/members/A`, { method: 'POST', headers: { 'content-type': 'application/json', ...(await n()) }, body: '{nope' })
    expect(bad.status).toBe(400)
    expect(json<{ error: { message: string } }>(bad).error.message).toMatch(/not valid JSON/)
    const missing = await post('/api/members/Z', { weight: 2 }, await n())
    expect(missing.status).toBe(404)
    expect(json<{ error: { code: string } }>(missing).error.code).toBe('LB_ERR_ADMIN_NOT_FOUND')
    expect((await httpRequest(`${base}/api/members/Z`)).status).toBe(404)
    expect((await httpRequest(`${base}/api`, { method: 'PUT' })).status).toBe(405)
  })

  it('adds and removes members', async () => {
    const { base, post, nonce, spread, balancer, audit } = await setup()
    const c = await startUpstream('C')
    const n = async (): Promise<Record<string, string>> => ({ 'x-balancer-nonce': await nonce() })
    const added = await post('/api/members', { url: c.url, route: 'C' }, await n())
    expect(added.status).toBe(201)
    expect(added.headers.location).toBe('/balancer-manager/api/members/C')
    expect(json<{ member: { id: string } }>(added).member.id).toBe('C')
    expect(await spread(6)).toEqual({ A: 2, B: 2, C: 2 })
    const dup = await post('/api/members', { url: c.url, route: 'C' }, await n())
    expect(dup.status).toBe(400)
    expect(json<{ error: { message: string } }>(dup).error.message).toMatch(/exists already/)
    expect((await post('/api/members', { url: 'ftp://x' }, await n())).status).toBe(400)
    expect(json<{ error: { field: string } }>(await post('/api/members', { route: 'D' }, await n())).error.field).toBe('url')
    const removed = await httpRequest(`${base}/api/members/A`, { method: 'DELETE', headers: await n() })
    expect(removed.status).toBe(200)
    expect(balancer.members.map((m) => m.id)).toEqual(['B', 'C'])
    expect(await spread(4)).toEqual({ B: 2, C: 2 })
    expect((await httpRequest(`${base}/api/members/A`, { method: 'DELETE', headers: await n() })).status).toBe(404)
    expect(audit().map((l) => l.obj.action)).toEqual([`added member C (http://${new URL(c.url).host})`, 'removed member A'])
  })
})

describe('balancer-manager form posts', () => {
  it('w_status_* set the state, w_lf the weight; answers 303 back to the page with a message', async () => {
    const { base, form, nonce, balancer, spread, audit } = await setup()
    const res = await form({ nonce: await nonce(), b: 'balancer', w: 'A', w_status_D: '1' })
    expect(res.status).toBe(303)
    expect(res.headers.location).toMatch(/^\/balancer-manager\/\?flash=[\w-]+$/)
    expect(balancer.member('A')!.admin).toBe('draining')
    const page = await httpRequest(`${new URL(base).origin}${res.headers.location}`)
    expect(page.body.toString()).toContain('member A: state=draining')
    await form({ nonce: await nonce(), w: 'A', w_status_D: '0', w_status_H: '1' })
    expect(balancer.member('A')!.admin).toBe('standby')
    await form({ nonce: await nonce(), w: 'A', w_status_S: '0', w_status_D: '0', w_status_N: '0', w_status_H: '0', w_lf: '3', w_ls: '0' })
    expect(balancer.member('A')).toMatchObject({ admin: 'active', weight: 3 })
    expect(await spread(8)).toEqual({ A: 6, B: 2 })
    // The page's settings form sends every field; unchanged and empty ones change nothing.
    await form({ nonce: await nonce(), w: 'A', w_lf: '3', w_wr: 'A', w_rr: '', w_dm: '' })
    expect(balancer.member('A')).toMatchObject({ weight: 3, route: 'A', redirect: undefined, domain: undefined })
    expect(audit().at(-1)?.obj.action).toBe('member A: no change')
    // Balancer-manager names workers by URL.
    await form({ nonce: await nonce(), w: balancer.member('B')!.url.origin, w_state: 'stopped' })
    expect(balancer.member('B')!.admin).toBe('stopped')
    expect(audit().map((l) => l.obj.via)).toEqual(Array(5).fill('balancer-manager'))
  })

  it('adds (b_nwrkr + b_wyes) and removes (w_remove) members', async () => {
    const { form, nonce, balancer } = await setup()
    const c = await startUpstream('C')
    expect((await form({ nonce: await nonce(), b: 'balancer', b_nwrkr: c.url, b_wyes: '1', b_nroute: 'C', b_nlf: '2' })).status).toBe(303)
    expect(balancer.member('C')).toMatchObject({ weight: 2 })
    expect((await form({ nonce: await nonce(), w: 'C', w_remove: '1' })).status).toBe(303)
    expect(balancer.member('C')).toBeUndefined()
  })

  it('re-renders the page with a 400 naming the field', async () => {
    const { form, nonce, balancer } = await setup()
    const cases: [Record<string, string>, number, RegExp][] = [
      [{ w: 'A', w_lf: '500' }, 400, /w_lf: must be an integer from 1 to 100/],
      [{ w: 'A', w_ls: '1' }, 400, /w_ls: member groups \(lbset\) are set in the configuration/],
      [{ w: 'A', w_status_S: 'maybe' }, 400, /w_status_S: must be 0 or 1/],
      [{ w: 'A', w_status_E: '1' }, 400, /w_status_E/],
      [{ w: 'A', b_lbm: 'bytraffic' }, 400, /b_lbm: the scheduler cannot be changed/],
      [{ w: 'A', w_hm: 'GET' }, 400, /w_hm: is not a balancer-manager field we accept/],
      [{ w: 'Z', w_lf: '2' }, 404, /no member has the id &quot;Z&quot;/],
      [{ b: 'other', w: 'A', w_lf: '2' }, 404, /no balancer is named/],
      [{ b_nwrkr: 'http://127.0.0.1:1' }, 400, /b_wyes: must be 1/],
    ]
    for (const [fields, status, message] of cases) {
      const res = await form({ nonce: await nonce(), ...fields })
      expect(res.status, JSON.stringify(fields)).toBe(status)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(res.body.toString(), JSON.stringify(fields)).toMatch(message)
    }
    expect(balancer.member('A')).toMatchObject({ weight: 1, admin: 'active' })
  })
})

describe('jkstatus compatibility', () => {
  it('cmd=list and cmd=show in txt, prop and xml', async () => {
    const { base } = await setup()
    const prop = await httpRequest(`${base}/?cmd=list&mime=prop`)
    expect(prop.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(prop.body.toString()).toContain('worker.list=balancer\n')
    expect(prop.body.toString()).toContain('worker.balancer.balance_workers=B\n')
    const xml = await httpRequest(`${base}/?cmd=list&mime=xml`)
    expect(xml.headers['content-type']).toBe('text/xml; charset=utf-8')
    expect(xml.body.toString()).toContain('<jk:balancers count="1">')
    const show = (await httpRequest(`${base}/?cmd=show&w=balancer&sw=B&mime=txt`)).body.toString()
    expect(show).toMatch(/^Balancer Worker: name=balancer /)
    expect(show).toContain('Member: name=B ')
    expect(show).not.toContain('Member: name=A ')
    expect((await httpRequest(`${base}/?cmd=show&w=balancer&sw=Z&mime=txt`)).status).toBe(404)
    expect((await httpRequest(`${base}/?cmd=list&w=other&mime=txt`)).status).toBe(404)
    expect((await httpRequest(`${base}/?cmd=list`)).headers['content-type']).toBe('text/html; charset=utf-8')
    expect((await httpRequest(`${base}/?cmd=dump&mime=txt`)).status).toBe(400)
  })

  it('cmd=update: vwa activation and vwf factor, with the nonce', async () => {
    const { base, nonce, balancer, spread, audit } = await setup()
    // The nonce travels in a header, never in the URL (where it would land in access logs).
    const n = async (): Promise<HttpRequestOptions> => ({ headers: { 'x-balancer-nonce': await nonce() } })
    const refused = await httpRequest(`${base}/?cmd=update&w=balancer&sw=A&vwa=1&mime=txt`)
    expect(refused.status).toBe(403)
    expect(refused.body.toString()).toMatch(/^Result: type=NOT OK message="a valid nonce is required/)
    const res = await httpRequest(`${base}/?cmd=update&w=balancer&sw=A&vwa=d&mime=prop`, await n())
    expect(res.status).toBe(200)
    expect(res.body.toString()).toMatch(/^worker\.result\.type=OK\nworker\.result\.message=Action finished\n/)
    expect(res.body.toString()).toContain('worker.A.activation=DIS')
    expect(balancer.member('A')!.admin).toBe('draining')
    await httpRequest(`${base}/?cmd=update&w=balancer&sw=A&vwa=0&vwf=3&mime=txt`, await n())
    expect(balancer.member('A')).toMatchObject({ admin: 'active', weight: 3 })
    expect(await spread(8)).toEqual({ A: 6, B: 2 })
    await httpRequest(`${base}/?cmd=update&w=balancer&sw=B&vwa=2&mime=txt`, await n())
    expect(balancer.member('B')!.admin).toBe('stopped')
    const bad = await httpRequest(`${base}/?cmd=update&w=balancer&sw=A&vwa=7&mime=txt`, await n())
    expect(bad.status).toBe(400)
    expect(bad.body.toString()).toContain('vwa: must be 0/a (active), 1/d (disabled: draining) or 2/s (stopped)')
    expect((await httpRequest(`${base}/?cmd=update&w=balancer&sw=A&vahst=x&mime=txt`, await n())).status).toBe(400)
    expect((await httpRequest(`${base}/?cmd=update&w=balancer&sw=Q&vwa=1&mime=txt`, await n())).status).toBe(404)
    // Without mime: back to the page.
    const html = await httpRequest(`${base}/?cmd=update&w=balancer&sw=B&vwa=a`, await n())
    expect(html.status).toBe(303)
    expect(audit().map((l) => [l.obj.via, l.obj.action])).toEqual([
      ['jkstatus', 'member A: state=draining'],
      ['jkstatus', 'member A: weight=3, state=active'],
      ['jkstatus', 'member B: state=stopped'],
      ['jkstatus', 'member B: state=active'],
    ])
  })

  it('cmd=reset zeroes counters; cmd=recover puts an error member back', async () => {
    const up = await startUpstream('A')
    const dead = await deadUrl()
    const log = captureLogger()
    const { url, balancer } = await startBalancer({ members: [{ url: up.url, route: 'A' }, { url: dead, route: 'D' }], admin: { logger: log } })
    const base = `${url}/balancer-manager`
    for (let i = 0; i < 4; i++) await httpRequest(`${url}/x`)
    const d = balancer.member('D')!
    expect(d.health).toBe('error')
    expect(d.counters.errors).toBe(1)
    const n = async (): Promise<HttpRequestOptions> => ({ headers: { 'x-balancer-nonce': json<{ nonce: string }>(await httpRequest(`${base}/api`)).nonce } })
    const recovered = await httpRequest(`${base}/?cmd=recover&w=balancer&sw=D&mime=txt`, await n())
    expect(recovered.status).toBe(200)
    expect(d.health).toBe('ok')
    await httpRequest(`${base}/?cmd=reset&w=balancer&sw=A&mime=txt`, await n())
    expect(balancer.member('A')!.counters.requests).toBe(0)
    expect(d.counters.errors).toBe(1)
    await httpRequest(`${base}/?cmd=reset&w=balancer&mime=txt`, await n())
    expect(d.counters).toMatchObject({ errors: 0, requests: 0 })
    expect(d.lastError).toBeUndefined()
    expect(log.lines.filter((l) => l.obj.admin === 'change').map((l) => l.obj.action)).toEqual(['member D: recovered', 'reset the counters of member A', 'reset the counters of every member'])
  })
})

describe('metrics', () => {
  it('count exchanges per member, with a latency histogram', async () => {
    const { base, spread } = await setup()
    await spread(6)
    const text = (await httpRequest(`${base}/metrics`)).body.toString()
    expect(text).toContain('sticky_balancer_requests_total{balancer="balancer",member="A"} 3')
    expect(text).toContain('sticky_balancer_exchange_duration_seconds_count{balancer="balancer",member="B"} 3')
    expect(text).toContain('sticky_balancer_exchange_duration_seconds_bucket{balancer="balancer",member="B",le="+Inf"} 3')
    expect(text).toContain('sticky_balancer_responses_total{balancer="balancer",member="A",class="2xx"} 3')
    expect(text).toContain('sticky_balancer_sticky_total{balancer="balancer",member="A",reason="new"} 3')
  })

  it('serve a given registry and register collectors on it', async () => {
    const registered = new Map<string, { get(): unknown }>()
    const registry = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      registerMetric: (m: { name: string; get(): unknown }) => void registered.set(m.name, m),
      removeSingleMetric: (name: string) => void registered.delete(name),
      getSingleMetric: (name: string) => registered.get(name),
      metrics: async () => `custom ${registered.size}\n`,
    }
    const { base, balancer } = await setup({ registry })
    expect(registered.size).toBe(16)
    expect((await httpRequest(`${base}/metrics`)).body.toString()).toBe('custom 16\n')
    await balancer.close()
    expect(registered.size).toBe(0)
  })
})
