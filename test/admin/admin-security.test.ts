/**
 * The admin surface under attack, over real sockets (a bare node:http front on port 0 running the
 * balancer with its `admin` option, fake members behind it): forged changes (no nonce, a wrong or
 * foreign nonce, another origin), clients that are not on loopback, oversized posts, and markup in
 * what the page shows. Every refused change leaves the balancer as it was, and the process serving.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { AdminOptions } from '../../lib/admin/options.js'
import { isLoopback } from '../../lib/admin/security.js'
import { cidrContains, parseCidr } from '../../lib/net/cidr.js'
import type { Cidr } from '../../lib/net/cidr.js'
import { parseIpInto } from '../../lib/net/ip-address.js'
import { guardProcess, httpRequest, json, startUpstream } from '../support/fake-upstream.js'
import type { HttpResult } from '../support/fake-upstream.js'
import { rawExchange } from '../reliability/support/hosts.js'

beforeEach(guardProcess)

interface Front {
  balancer: Balancer
  url: string
  port: number
  base: string
  /** The socket address the next requests appear to come from (the front rewrites it). */
  peer: { address: string | undefined }
  nonce(headers?: Record<string, string>): Promise<string>
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<HttpResult>
  form(fields: Record<string, string>, headers?: Record<string, string>): Promise<HttpResult>
  /** The members' weights and admin states, to prove nothing changed. */
  state(): string
}

/**
 * A balancer with two fake members behind a bare front whose requests appear to come from
 * `peer.address` (the socket's `remoteAddress` is rewritten before the balancer sees it; undefined
 * keeps the real 127.0.0.1).
 */
async function front(admin: AdminOptions = {}, members?: { url: string; route?: string }[]): Promise<Front> {
  const ups = members ? [] : await Promise.all(['A', 'B'].map((n) => startUpstream(n)))
  const balancer = createBalancer({
    logger: false,
    closeTimeout: 500,
    health: false,
    members: members ?? ups.map((u) => ({ url: u.url, route: u.name })),
    admin: { logger: false, ...admin },
  })
  const peer: { address: string | undefined } = { address: undefined }
  const server = http.createServer((req, res) => {
    if (peer.address !== undefined) Object.defineProperty(req.socket, 'remoteAddress', { value: peer.address, configurable: true })
    void balancer.handle(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  onTestFinished(async () => {
    server.closeAllConnections()
    await balancer.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const url = `http://127.0.0.1:${port}`
  const base = `${url}/balancer-manager`
  return {
    balancer,
    url,
    port,
    base,
    peer,
    nonce: async (headers = {}) => json<{ nonce: string }>(await httpRequest(`${base}/api`, { headers })).nonce,
    post: (path, body, headers = {}) =>
      httpRequest(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    form: (fields, headers = {}) =>
      httpRequest(`${base}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() }),
    state: () => balancer.members.map((m) => `${m.id}:${m.weight}:${m.admin}`).join(' '),
  }
}

function errorCode(res: HttpResult): string | undefined {
  return json<{ error?: { code?: string } }>(res).error?.code
}

describe('CSRF: a change needs a nonce of this surface and must come from its own origin', () => {
  it('without a nonce: refused on every change route (JSON, form post, jkstatus GET)', async () => {
    const f = await front()
    const before = f.state()
    const api = await f.post('/api/members/A', { weight: 7 })
    expect(api.status).toBe(403)
    expect(errorCode(api)).toBe('LB_ERR_ADMIN_FORBIDDEN')
    expect((await f.post('/api/members', { url: 'http://127.0.0.1:1', route: 'C' })).status).toBe(403)
    expect((await f.post('/api/reset', {})).status).toBe(403)
    expect((await httpRequest(`${f.base}/api/members/A`, { method: 'DELETE' })).status).toBe(403)
    expect((await f.form({ w: 'A', w_lf: '7' })).status).toBe(403)
    expect((await f.form({ w: 'A', w_status_S: '1' })).status).toBe(403)
    expect((await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=7&mime=txt`)).status).toBe(403)
    expect((await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwa=2`)).status).toBe(403)
    expect(f.state()).toBe(before)
  })

  it('with a wrong nonce: forged, empty, repeated, from another balancer, or in the wrong field', async () => {
    const f = await front()
    const other = await front()
    const before = f.state()
    const foreign = await other.nonce()
    const good = await f.nonce()
    for (const nonce of ['forged-nonce-000000000', '', ' ', `${good}x`, good.slice(1), good.toUpperCase(), foreign, `${good},${good}`]) {
      expect((await f.post('/api/members/A', { weight: 7 }, { 'x-balancer-nonce': nonce })).status, nonce).toBe(403)
      expect((await f.form({ nonce, w: 'A', w_lf: '7' })).status, nonce).toBe(403)
      expect((await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=7&mime=txt&nonce=${encodeURIComponent(nonce)}`)).status, nonce).toBe(403)
    }
    // A nonce in the JSON body is not a nonce: only the header or a form field counts.
    expect((await f.post('/api/members/A', { weight: 7, nonce: good })).status).toBe(403)
    expect(f.state()).toBe(before)
    // the real one still works (nothing above used it up)
    expect((await f.post('/api/members/A', { weight: 7 }, { 'x-balancer-nonce': good })).status).toBe(200)
    expect(f.balancer.member('A')?.weight).toBe(7)
  })

  it.each<[string, Record<string, string>]>([
    ['Origin of another site', { origin: 'http://evil.example' }],
    ['Origin of another port on the same host', { origin: 'http://127.0.0.1:1' }],
    ['Origin "null" (a sandboxed frame, a data: URL)', { origin: 'null' }],
    ['Origin that is not a URL', { origin: 'evil' }],
    ['Referer of another site', { referer: 'http://evil.example/attack.html' }],
    ['Referer naming this host in its path only', { referer: 'http://evil.example/127.0.0.1/balancer-manager/' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
    ['Sec-Fetch-Site: cross-site with a same-origin Origin', { 'sec-fetch-site': 'cross-site', origin: 'SELF' }],
  ])('from another origin (%s): refused even with a valid nonce', async (_name, headers) => {
    const f = await front()
    const before = f.state()
    const nonce = await f.nonce()
    const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v === 'SELF' ? f.url : v]))
    const api = await f.post('/api/members/A', { state: 'stopped' }, { 'x-balancer-nonce': nonce, ...h })
    expect(api.status).toBe(403)
    expect(json<{ error: { message: string } }>(api).error.message).toMatch(/cross-origin/)
    expect((await f.form({ nonce, w: 'A', w_status_S: '1' }, h)).status).toBe(403)
    expect((await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwa=2&mime=txt&nonce=${nonce}`, { headers: h })).status).toBe(403)
    expect(f.state()).toBe(before)
  })

  it('from its own origin (Origin, Referer or Sec-Fetch-Site: same-origin) with the nonce: done', async () => {
    const f = await front()
    expect((await f.post('/api/members/A', { weight: 2 }, { 'x-balancer-nonce': await f.nonce(), origin: f.url })).status).toBe(200)
    expect((await f.form({ nonce: await f.nonce(), w: 'A', w_lf: '3' }, { referer: `${f.base}/` })).status).toBe(303)
    expect((await f.form({ nonce: await f.nonce(), w: 'A', w_lf: '4' }, { 'sec-fetch-site': 'same-origin' })).status).toBe(303)
    expect(f.balancer.member('A')?.weight).toBe(4)
  })

  it('a cross-site "simple" form post (text/plain, no preflight) changes nothing', async () => {
    const f = await front()
    const before = f.state()
    const res = await httpRequest(`${f.base}/`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: `nonce=${await f.nonce()}&w=A&w_status_S=1` })
    expect([403, 415]).toContain(res.status)
    expect(f.state()).toBe(before)
  })
})

describe('clients that are not on loopback', () => {
  const ADDRESSES = ['203.0.113.9', '10.0.0.5', '192.168.1.20', '::ffff:10.0.0.5', '2001:db8::1', 'fe80::1', '0.0.0.0', '']

  it.each(ADDRESSES)('%j gets 403 on every route, reads and metrics included, X-Forwarded-For: 127.0.0.1 notwithstanding', async (address) => {
    const f = await front()
    const nonce = await f.nonce() // while still on loopback
    const before = f.state()
    f.peer.address = address
    const xff = { 'x-forwarded-for': '127.0.0.1', forwarded: 'for=127.0.0.1' }
    for (const path of ['/', '/api', '/api/members', '/api/members/A', '/metrics', '/status.json', '/?cmd=list&mime=txt', '/?cmd=show&mime=xml']) {
      const res = await httpRequest(`${f.base}${path}`, { headers: xff })
      expect(res.status, path).toBe(403)
      expect(res.body.toString(), path).not.toContain('127.0.0.1:') // no member address leaks
    }
    expect((await f.post('/api/members/A', { weight: 9 }, { 'x-balancer-nonce': nonce, ...xff })).status).toBe(403)
    expect((await f.form({ nonce, w: 'A', w_lf: '9' }, xff)).status).toBe(403)
    expect(f.state()).toBe(before)
    // the rest of the balancer still serves that client
    expect((await httpRequest(`${f.url}/app`)).status).toBe(200)
  })

  it.each(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])('%j (loopback) is let in', async (address) => {
    const f = await front()
    f.peer.address = address
    expect((await httpRequest(`${f.base}/api`)).status).toBe(200)
  })

  it('an explicit authorize option lets a chosen network in, and only it', async () => {
    const office = parseCidr('10.0.0.0/8') as Cidr
    const authorize = (req: http.IncomingMessage): boolean => {
      const bytes = new Uint8Array(16)
      const address = req.socket.remoteAddress ?? ''
      return isLoopback(address) || (parseIpInto(address, bytes) !== 0 && cidrContains(office, bytes))
    }
    const f = await front({ authorize })
    const nonce = await f.nonce()
    f.peer.address = '10.1.2.3'
    expect((await httpRequest(`${f.base}/api`)).status).toBe(200)
    expect((await f.post('/api/members/A', { weight: 6 }, { 'x-balancer-nonce': nonce })).status).toBe(200)
    expect(f.balancer.member('A')?.weight).toBe(6)
    f.peer.address = '11.1.2.3'
    expect((await httpRequest(`${f.base}/api`)).status).toBe(403)
    f.peer.address = '::ffff:10.1.2.3'
    expect((await httpRequest(`${f.base}/api`)).status).toBe(200)
  })
})

describe('oversized posts', () => {
  const big = (bytes: number): string => `w=A&w_lf=5&x=${'a'.repeat(bytes)}`

  it.each<[string, string]>([
    ['the form route', '/balancer-manager/'],
    ['the JSON API', '/balancer-manager/api/members/A'],
  ])('to %s: 413 at once from Content-Length, without reading the body; the connection closes', async (_name, path) => {
    const f = await front()
    const nonce = await f.nonce()
    const before = f.state()
    const type = path.endsWith('/') ? 'application/x-www-form-urlencoded' : 'application/json'
    const started = performance.now()
    // announces a gigabyte and sends three bytes: the answer may not wait for the rest
    const reply = await rawExchange(f.port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Balancer-Nonce: ${nonce}\r\nContent-Type: ${type}\r\nContent-Length: 1000000000\r\n\r\nabc`, { timeoutMs: 3_000 })
    expect(performance.now() - started).toBeLessThan(2_000)
    expect(reply.responses.map((r) => r.status)).toEqual([413])
    expect(reply.responses[0]?.headers.connection).toBe('close')
    expect(reply.closed).toBe(true)
    expect(f.state()).toBe(before)
    expect((await httpRequest(`${f.base}/api`)).status).toBe(200)
  })

  it.each<[string, boolean]>([['with a Content-Length', false], ['chunked', true]])('a 1 MiB form post %s: 413 after at most 64 KiB, never a crash', async (_name, chunked) => {
    const f = await front()
    const before = f.state()
    const body = big(1024 * 1024)
    const head = `POST /balancer-manager/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n`
    const raw = chunked
      ? [`${head}Transfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 64 }, (_, i) => body.slice(i * 16_384, (i + 1) * 16_384)).filter(Boolean).map((c) => `${c.length.toString(16)}\r\n${c}\r\n`), '0\r\n\r\n']
      : `${head}Content-Length: ${body.length}\r\n\r\n${body}`
    const reply = await rawExchange(f.port, raw, { timeoutMs: 3_000, gapMs: chunked ? 2 : 0 })
    expect(reply.responses.map((r) => r.status)).toEqual([413])
    expect(reply.responses[0]?.body).toContain('larger than 65536 bytes')
    expect(f.state()).toBe(before)
    expect((await httpRequest(`${f.base}/api`)).status).toBe(200)
  })

  it('a body of exactly 64 KiB is read (and judged on its nonce, not its size)', async () => {
    const f = await front()
    const fields = `w=A&w_lf=5&x=`
    const res = await httpRequest(`${f.base}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields + 'a'.repeat(64 * 1024 - fields.length) })
    expect(res.status).toBe(403)
  })
})

describe('markup in what the page shows is escaped', () => {
  // WHATWG URLs keep quotes, parentheses and = in a host, so a member URL can carry them.
  const HOSTILE_URL = `http://x"autofocus"onfocus="alert(1)"'x:1`
  const HOSTILE_AJP = `ajp://y'onmouseover='alert(2)'"y:8009`

  it('member URLs with quotes and event handlers, on the page, in jkstatus XML/txt/prop and in the JSON', async () => {
    const f = await front({}, [{ url: HOSTILE_URL, route: 'A' }, { url: HOSTILE_AJP, route: 'B' }])
    const html = (await httpRequest(`${f.base}/`)).body.toString()
    expect(html).not.toMatch(/"autofocus"onfocus=/)
    expect(html).not.toContain(`'onmouseover='`)
    expect(html).toContain('x&quot;autofocus&quot;onfocus=&quot;alert(1)&quot;&#39;x:1')
    expect(html.match(/<script/g)).toHaveLength(1) // our own, with its CSP nonce
    const xml = (await httpRequest(`${f.base}/?cmd=list&mime=xml`)).body.toString()
    expect(xml).not.toContain('"autofocus"')
    expect(xml).toContain('&quot;autofocus&quot;')
    // JSON is not markup: the values stay as they are, served as application/json with nosniff
    const res = await httpRequest(`${f.base}/api`)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(json<{ members: { url: string }[] }>(res).members.map((m) => m.url).join(' ')).toContain('"autofocus"onfocus="alert(1)"')
  })

  it('a member added through the API with a hostile URL is shown escaped; hostile routes are refused', async () => {
    const f = await front()
    const added = await f.post('/api/members', { url: HOSTILE_URL, route: 'C' }, { 'x-balancer-nonce': await f.nonce() })
    expect(added.status).toBe(201)
    for (const route of ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "a'b", 'a b']) {
      const res = await f.post('/api/members', { url: 'http://127.0.0.1:2', route }, { 'x-balancer-nonce': await f.nonce() })
      expect(res.status, route).toBe(400)
    }
    const page = (await httpRequest(`${f.base}/`)).body.toString()
    expect(page).toContain('x&quot;autofocus&quot;')
    expect(page).not.toContain('<img')
    expect(page.match(/<script/g)).toHaveLength(1)
  })

  it('values a form post echoes in its error page are escaped', async () => {
    const f = await front()
    const hostile = '<script>alert(1)</script>"><svg onload=alert(2)>'
    const cases: Record<string, string>[] = [{ w: hostile, w_lf: '2' }, { w: 'A', w_lf: hostile }, { w: 'A', w_wr: hostile }, { b: hostile, b_nwrkr: 'http://127.0.0.1:3', b_wyes: '1' }, { b_nwrkr: hostile, b_wyes: '1' }]
    for (const fields of cases) {
      const res = await f.form({ nonce: await f.nonce(), ...fields })
      const html = res.body.toString()
      expect(res.status, JSON.stringify(fields)).toBeGreaterThanOrEqual(400)
      expect(html).not.toContain('<svg onload')
      expect(html).not.toContain('<script>alert')
    }
  })

  it('a flash id that is not ours shows nothing (a link cannot put text on the page)', async () => {
    const f = await front()
    const html = (await httpRequest(`${f.base}/?flash=${encodeURIComponent('<script>alert(1)</script>')}`)).body.toString()
    expect(html).not.toContain('alert(1)')
  })

  it('the page forbids inline script without its nonce and framing (CSP, X-Frame-Options)', async () => {
    const f = await front()
    const res = await httpRequest(`${f.base}/`)
    const csp = String(res.headers['content-security-policy'])
    expect(csp.split('; ').find((d) => d.startsWith('script-src'))).toMatch(/^script-src 'nonce-[A-Za-z0-9+/=]+'$/)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("form-action 'self'")
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
  })
})

describe('read-only mode', () => {
  it('refuses every change, even a same-origin one carrying a nonce of a writable surface', async () => {
    const writable = await front()
    const nonce = await writable.nonce()
    const f = await front({ readOnly: true })
    const before = f.state()
    const h = { 'x-balancer-nonce': nonce, origin: f.url }
    expect((await f.post('/api/members/A', { weight: 9 }, h)).status).toBe(405)
    expect((await f.post('/api/members', { url: 'http://127.0.0.1:4', route: 'D' }, h)).status).toBe(405)
    expect((await f.post('/api/reset', {}, h)).status).toBe(405)
    expect((await httpRequest(`${f.base}/api/members/B`, { method: 'DELETE', headers: h })).status).toBe(405)
    expect((await f.form({ nonce, w: 'A', w_lf: '9' }, { origin: f.url })).status).toBe(405)
    const jk = await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=9&mime=txt&nonce=${nonce}`)
    expect(jk.status).toBe(403)
    expect(f.state()).toBe(before)
    const page = (await httpRequest(`${f.base}/`)).body.toString()
    expect(page).not.toContain('<form')
    expect(page).not.toMatch(/"nonce":"[\w-]+"/)
    expect(json(await httpRequest(`${f.base}/api`))).not.toHaveProperty('nonce')
  })
})
