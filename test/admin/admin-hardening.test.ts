/**
 * The admin surface's hardening, over real sockets (a bare node:http front on port 0, the
 * balancer's `admin` option, fake members): the `Host` allow-list (DNS rebinding), refusal of
 * requests a proxy forwarded when no `authorize` decides, single-use short-lived nonces that never
 * travel in a URL, the start-up warning, and the admin surface on its own listener.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { AdminOptions } from '../../lib/admin/options.js'
import { isLoopback } from '../../lib/admin/security.js'
import type { Logger } from '../../lib/logger.js'
import { guardProcess, httpRequest, json, startUpstream } from '../support/fake-upstream.js'
import type { HttpResult } from '../support/fake-upstream.js'
import { rawExchange } from '../reliability/support/hosts.js'

beforeEach(guardProcess)

interface Logged { level: string; obj: Record<string, unknown>; msg: string | undefined }

function captureLogger(): Logger & { lines: Logged[] } {
  const lines: Logged[] = []
  const at = (level: string) => (obj: object, msg?: string): void => void lines.push({ level, obj: obj as Record<string, unknown>, msg })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

interface Front {
  balancer: Balancer
  port: number
  url: string
  base: string
  log: ReturnType<typeof captureLogger>
  /** A nonce, read as the page's script reads it (GET /api from loopback, Host 127.0.0.1). */
  nonce(): Promise<string>
  /** The members' weights and admin states, to prove nothing changed. */
  state(): string
}

async function front(admin: AdminOptions = {}): Promise<Front> {
  const ups = await Promise.all(['A', 'B'].map((n) => startUpstream(n)))
  const log = captureLogger()
  const balancer = createBalancer({
    logger: false,
    closeTimeout: 500,
    health: false,
    members: ups.map((u) => ({ url: u.url, route: u.name })),
    admin: { logger: log, ...admin },
  })
  const server = http.createServer((req, res) => void balancer.handle(req, res))
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
    port,
    url,
    base,
    log,
    nonce: async () => json<{ nonce: string }>(await httpRequest(`${base}/api`)).nonce,
    state: () => balancer.members.map((m) => `${m.id}:${m.weight}:${m.admin}`).join(' '),
  }
}

const jsonPost = (url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> =>
  httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
const formPost = (url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResult> =>
  httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() })

/** One raw request on its own connection; the status of the (first) answer. */
async function rawStatus(port: number, head: string): Promise<number | undefined> {
  const reply = await rawExchange(port, `${head}\r\n`, { timeoutMs: 3_000, responses: 1 })
  return reply.responses[0]?.status
}

describe('Host allow-list: only loopback names and configured ones are answered, others get 421', () => {
  const ANSWERED: [string, string][] = [
    ['127.0.0.1 with the port', '127.0.0.1:PORT'],
    ['127.0.0.1 without a port', '127.0.0.1'],
    ['another 127/8 address', '127.0.0.2:8080'],
    ['localhost', 'localhost'],
    ['localhost with a port', 'localhost:PORT'],
    ['LOCALHOST (names are case-insensitive)', 'LOCALHOST'],
    ['[::1] with a port', '[::1]:8080'],
    ['[::1]', '[::1]'],
    ['IPv4-mapped loopback [::ffff:127.0.0.1]', '[::ffff:127.0.0.1]'],
    ['a configured name', 'lb.internal.example'],
    ['a configured name in capitals, with a port', 'LB.Internal.Example:9090'],
  ]
  const MISDIRECTED: [string, string][] = [
    ['attacker.example', 'attacker.example'],
    ['attacker.example with the real port', 'attacker.example:PORT'],
    ['127.0.0.1.nip.io (a name that resolves to loopback)', '127.0.0.1.nip.io'],
    ['localhost.attacker.example', 'localhost.attacker.example'],
    ['lb.internal.example.attacker.example', 'lb.internal.example.attacker.example'],
    ['127.1 (short form)', '127.1'],
    ['0x7f.1 (hex form)', '0x7f.1'],
    ['0177.0.0.1 (octal form)', '0177.0.0.1'],
    ['2130706433 (one number)', '2130706433'],
    ['localhost. (trailing dot)', 'localhost.'],
    ['127.0.0.1. (trailing dot)', '127.0.0.1.'],
    ['userinfo', 'user@localhost'],
    ['userinfo with a password', 'user:pw@127.0.0.1:PORT'],
    ['an empty port', 'localhost:'],
    ['a port out of range', 'localhost:70000'],
    ['an unbracketed IPv6 literal', '::1'],
    ['a zone id', '[::1%25lo]'],
    ['the unspecified address', '0.0.0.0'],
    ['a private address not configured', '10.0.0.5'],
  ]

  it.each(ANSWERED)('%s: 200', async (_name, host) => {
    const f = await front({ allowedHosts: ['lb.internal.example'] })
    const h = host.replace('PORT', String(f.port))
    expect(await rawStatus(f.port, `GET /balancer-manager/api HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n`)).toBe(200)
  })

  it.each(MISDIRECTED)('%s: 421, and the JSON API and the page stay unread', async (_name, host) => {
    const f = await front({ allowedHosts: ['lb.internal.example'] })
    const h = host.replace('PORT', String(f.port))
    for (const path of ['/balancer-manager/api', '/balancer-manager/']) {
      const reply = await rawExchange(f.port, `GET ${path} HTTP/1.1\r\nHost: ${h}\r\n\r\n`, { timeoutMs: 3_000, responses: 1 })
      expect(reply.responses[0]?.status, path).toBe(421)
      expect(reply.text, path).not.toContain('nonce')
      expect(reply.text, path).not.toContain('127.0.0.1:') // no member address
    }
  })

  it.each<[string, string]>([
    ['an empty Host', 'Host: \r\n'],
    ['no Host at all (HTTP/1.0)', ''],
    ['two Host headers, both loopback', 'Host: localhost\r\nHost: localhost\r\n'],
    ['two Host headers, loopback first', 'Host: 127.0.0.1\r\nHost: attacker.example\r\n'],
    ['two Host headers, loopback last', 'Host: attacker.example\r\nhost: 127.0.0.1\r\n'],
    ['a Host with a space inside', 'Host: local host\r\n'],
  ])('%s: 421', async (_name, hostLines) => {
    const f = await front()
    const version = hostLines === '' ? 'HTTP/1.0' : 'HTTP/1.1'
    // Node keeps the first of two Host headers and lets an HTTP/1.0 request without one through.
    expect(await rawStatus(f.port, `GET /balancer-manager/api ${version}\r\n${hostLines}Connection: close\r\n`)).toBe(421)
  })

  it('no Host in HTTP/1.1: Node refuses it with 400 before the admin surface sees it', async () => {
    const f = await front()
    expect(await rawStatus(f.port, `GET /balancer-manager/api HTTP/1.1\r\nConnection: close\r\n`)).toBe(400)
  })

  it('a refusal is logged with the reason, never with the client text in the message', async () => {
    const f = await front()
    await httpRequest(`${f.base}/api`, { headers: { host: 'attacker.example' } })
    const line = f.log.lines.find((l) => l.obj.status === 421)
    expect(line?.level).toBe('warn')
    expect(line?.obj.reason).toMatch(/^the Host header names a host/)
    expect(line?.obj.host).toBe('attacker.example')
    expect(String(line?.obj.reason)).not.toContain('attacker')
  })

  it('an absolute-form target naming another host is misdirected too (Express mount)', async () => {
    const f = await front()
    const app = express()
    app.use('/ops', f.balancer.adminHandler({ logger: false }))
    const server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const port = (server.address() as AddressInfo).port
    expect(await rawStatus(port, `GET /ops/api HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`)).toBe(200)
    expect(await rawStatus(port, `GET http://attacker.example/ops/api HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`)).toBe(421)
    server.closeAllConnections()
  })
})

describe('DNS rebinding: a page on attacker.example, resolved to 127.0.0.1, reads and changes nothing', () => {
  it('every admin route answers 421 to Host attacker.example from loopback, JSON, jkstatus and metrics included, even with a valid nonce', async () => {
    const f = await front({ metricsPath: '/metrics' })
    const nonce = await f.nonce() // as if the attacker had one: it must still not help
    const before = f.state()
    const evil = { host: `attacker.example:${f.port}` }
    const reads = ['/', '/api', '/api/members', '/api/members/A', '/status.json', '/metrics', '/?cmd=list&mime=txt', '/?cmd=show&w=balancer&sw=A&mime=xml', '/?cmd=list&mime=prop', '/?flash=x', '/nothing-here']
    for (const path of reads) {
      const res = await httpRequest(`${f.base}${path}`, { headers: evil })
      expect(res.status, path).toBe(421)
      expect(res.body.toString(), path).not.toMatch(/nonce|127\.0\.0\.1:\d|TomcatA|worker\./)
    }
    expect((await httpRequest(`${f.url}/metrics`, { headers: evil })).status).toBe(421)
    const writes: Promise<HttpResult>[] = [
      jsonPost(`${f.base}/api/members/A`, { state: 'stopped' }, { ...evil, 'x-balancer-nonce': nonce, origin: `http://attacker.example:${f.port}` }),
      jsonPost(`${f.base}/api/members`, { url: 'http://127.0.0.1:1', route: 'C' }, { ...evil, 'x-balancer-nonce': nonce }),
      jsonPost(`${f.base}/api/reset`, {}, { ...evil, 'x-balancer-nonce': nonce }),
      httpRequest(`${f.base}/api/members/B`, { method: 'DELETE', headers: { ...evil, 'x-balancer-nonce': nonce } }),
      formPost(`${f.base}/`, { nonce, w: 'A', w_status_S: '1' }, { ...evil, 'sec-fetch-site': 'same-origin' }),
      httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwa=2&mime=txt`, { headers: { ...evil, 'x-balancer-nonce': nonce } }),
      formPost(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=9&mime=txt`, { nonce }, evil),
    ]
    for (const res of await Promise.all(writes)) expect(res.status).toBe(421)
    expect(f.state()).toBe(before)
    // The unused nonce is still good for its owner on 127.0.0.1.
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 2 }, { 'x-balancer-nonce': nonce })).status).toBe(200)
    // The balanced site itself is not the admin surface: any Host still reaches the members.
    expect((await httpRequest(`${f.url}/app`, { headers: evil })).status).toBe(200)
  })

  it('a configured name is answered; a name under it is not', async () => {
    const f = await front({ allowedHosts: ['lb.internal.example'] })
    expect((await httpRequest(`${f.base}/api`, { headers: { host: 'lb.internal.example' } })).status).toBe(200)
    expect((await httpRequest(`${f.base}/api`, { headers: { host: 'evil.lb.internal.example' } })).status).toBe(421)
  })
})

describe('behind a proxy: without authorize, a forwarded request is refused even from loopback', () => {
  const SIGNS: [string, string][] = [
    ['Forwarded', 'for=203.0.113.9'],
    ['X-Forwarded-For', '203.0.113.9'],
    ['x-forwarded-for', '127.0.0.1'],
    ['X-FORWARDED-FOR', '203.0.113.9, 127.0.0.1'],
    ['X-Real-IP', '203.0.113.9'],
    ['x-real-ip', '127.0.0.1'],
    ['Via', '1.1 nginx'],
    ['VIA', '1.1 proxy.example (Apache/2.4)'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Host', 'lb.example'],
    ['True-Client-IP', '203.0.113.9'],
  ]

  it.each(SIGNS)('%s: %s → 403 on reads and changes, with a log line', async (name, value) => {
    const f = await front()
    const nonce = await f.nonce()
    const before = f.state()
    for (const path of ['/', '/api', '/metrics', '/?cmd=list&mime=txt']) {
      const res = await rawExchange(f.port, `GET /balancer-manager${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${name}: ${value}\r\nConnection: close\r\n\r\n`, { timeoutMs: 3_000, responses: 1 })
      expect(res.responses[0]?.status, path).toBe(403)
      expect(res.text, path).not.toContain('"nonce"')
    }
    const change = await jsonPost(`${f.base}/api/members/A`, { weight: 9 }, { 'x-balancer-nonce': nonce, [name.toLowerCase()]: value })
    expect(change.status).toBe(403)
    expect(json<{ error: { message: string } }>(change).error.message).toMatch(/a proxy forwarded this request .*authorize/)
    expect(f.state()).toBe(before)
    const line = f.log.lines.find((l) => l.obj.admin === 'refused' && l.obj.status === 403)
    expect(line?.level).toBe('warn')
    expect(line?.obj.reason).toContain(name.toLowerCase())
  })

  it.each(['Forwarded', 'X-Forwarded-For', 'X-Real-IP', 'Via'])('%s with an empty value is a sign too', async (name) => {
    const f = await front()
    expect(await rawStatus(f.port, `GET /balancer-manager/api HTTP/1.1\r\nHost: 127.0.0.1\r\n${name}:\r\nConnection: close\r\n`)).toBe(403)
    expect(await rawStatus(f.port, `GET /balancer-manager/api HTTP/1.1\r\nHost: 127.0.0.1\r\n${name}: \r\nConnection: close\r\n`)).toBe(403)
  })

  it('with authorize, the hook alone decides: the proxy\'s marks are its business', async () => {
    const f = await front({ authorize: (req) => isLoopback(req.socket.remoteAddress) && req.headers['x-admin-token'] === 'sesame' })
    const headers = { 'x-forwarded-for': '203.0.113.9', via: '1.1 nginx' }
    expect((await httpRequest(`${f.base}/api`, { headers })).status).toBe(403)
    expect((await httpRequest(`${f.base}/api`, { headers: { ...headers, 'x-admin-token': 'sesame' } })).status).toBe(200)
  })

  it('without proxy marks, a loopback client is let in as before', async () => {
    const f = await front()
    expect((await httpRequest(`${f.base}/api`)).status).toBe(200)
  })
})

describe('nonces: in a header or a POST form only, single-use, short-lived', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('a nonce in a query string is refused on every change route, and is void from then on', async () => {
    const f = await front()
    const before = f.state()
    const n1 = await f.nonce()
    const jk = await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=7&mime=txt&nonce=${n1}`)
    expect(jk.status).toBe(403)
    expect(jk.body.toString()).toMatch(/a nonce in the URL is refused/)
    // the same nonce, now in the header where it belongs: void, it was seen in a URL
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 7 }, { 'x-balancer-nonce': n1 })).status).toBe(403)
    const n2 = await f.nonce()
    expect((await jsonPost(`${f.base}/api/members/A?nonce=${n2}`, { weight: 7 })).status).toBe(403)
    expect((await jsonPost(`${f.base}/api/members/A?nonce=${n2}`, { weight: 7 }, { 'x-balancer-nonce': n2 })).status).toBe(403)
    const n3 = await f.nonce()
    expect((await formPost(`${f.base}/?nonce=${n3}`, { w: 'A', w_lf: '7' })).status).toBe(403)
    const n4 = await f.nonce()
    // merely reading a page with a nonce in its URL voids it too
    expect((await httpRequest(`${f.base}/api?nonce=${n4}`)).status).toBe(200)
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 7 }, { 'x-balancer-nonce': n4 })).status).toBe(403)
    expect(f.state()).toBe(before)
  })

  it('in the header (JSON, jkstatus GET) or a POST form field (page forms, jkstatus POST): done', async () => {
    const f = await front()
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 2 }, { 'x-balancer-nonce': await f.nonce() })).status).toBe(200)
    expect((await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=3&mime=txt`, { headers: { 'x-balancer-nonce': await f.nonce() } })).status).toBe(200)
    expect(f.balancer.member('A')?.weight).toBe(3)
    expect((await formPost(`${f.base}/`, { nonce: await f.nonce(), w: 'A', w_lf: '4' })).status).toBe(303)
    expect(f.balancer.member('A')?.weight).toBe(4)
    const posted = await formPost(`${f.base}/?cmd=update&w=balancer&sw=A&mime=prop`, { nonce: await f.nonce(), vwf: '5' })
    expect(posted.status).toBe(200)
    expect(posted.body.toString()).toMatch(/^worker\.result\.type=OK/)
    expect(f.balancer.member('A')?.weight).toBe(5)
    const allInBody = await formPost(`${f.base}/`, { nonce: await f.nonce(), cmd: 'update', w: 'balancer', sw: 'B', vwa: 'd', mime: 'txt' })
    expect(allInBody.status).toBe(200)
    expect(f.balancer.member('B')?.admin).toBe('draining')
    // the JSON body is not a place for it (the API's bodies are the change itself)
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 6, nonce: await f.nonce() })).status).toBe(403)
  })

  it('a replayed nonce is refused, on every change route', async () => {
    const f = await front()
    const n = await f.nonce()
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 2 }, { 'x-balancer-nonce': n })).status).toBe(200)
    const before = f.state()
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 3 }, { 'x-balancer-nonce': n })).status).toBe(403)
    expect((await formPost(`${f.base}/`, { nonce: n, w: 'A', w_lf: '3' })).status).toBe(403)
    expect((await httpRequest(`${f.base}/?cmd=update&w=balancer&sw=A&vwf=3&mime=txt`, { headers: { 'x-balancer-nonce': n } })).status).toBe(403)
    expect((await httpRequest(`${f.base}/api/members/B`, { method: 'DELETE', headers: { 'x-balancer-nonce': n } })).status).toBe(403)
    expect(f.state()).toBe(before)
    // a refused change uses its nonce up as well: no second try with it
    const m = await f.nonce()
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 1000 }, { 'x-balancer-nonce': m })).status).toBe(400)
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 4 }, { 'x-balancer-nonce': m })).status).toBe(403)
    // GET /api hands out a new nonce each time; it never hands back the one sent
    const a = await f.nonce()
    const b = json<{ nonce: string }>(await httpRequest(`${f.base}/api`, { headers: { 'x-balancer-nonce': a } })).nonce
    expect(b).not.toBe(a)
    // every change answer carries a fresh one for the next change
    const done = json<{ nonce: string }>(await jsonPost(`${f.base}/api/members/A`, { weight: 5 }, { 'x-balancer-nonce': a }))
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 6 }, { 'x-balancer-nonce': done.nonce })).status).toBe(200)
  })

  it('expires after nonceMs (default 300000, 5 minutes): a stale page form gets the page back with fresh forms', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const f = await front()
    const stale = await f.nonce()
    const fresh = await f.nonce()
    vi.setSystemTime(Date.now() + 299_000)
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 2 }, { 'x-balancer-nonce': fresh })).status).toBe(200)
    vi.setSystemTime(Date.now() + 2_000)
    const res = await formPost(`${f.base}/`, { nonce: stale, w: 'A', w_lf: '3' }, { 'sec-fetch-site': 'same-origin' })
    expect(res.status).toBe(403)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    const html = res.body.toString()
    expect(html).toMatch(/a valid nonce is required for changes, each good for one change within 300 s/)
    const renewed = /name="nonce" value="([\w-]{22})"/.exec(html)?.[1]
    expect(renewed).toBeDefined()
    expect((await formPost(`${f.base}/`, { nonce: renewed!, w: 'A', w_lf: '3' })).status).toBe(303)
    expect(f.balancer.member('A')?.weight).toBe(3)
  })

  it('nonceMs sets the lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const f = await front({ nonceMs: 30_000 })
    const n = await f.nonce()
    vi.setSystemTime(Date.now() + 31_000)
    expect((await jsonPost(`${f.base}/api/members/A`, { weight: 2 }, { 'x-balancer-nonce': n })).status).toBe(403)
    expect(() => createBalancer({ members: [{ url: 'http://127.0.0.1:1' }], admin: { nonceMs: 7_200_000 } })).toThrow(/admin\.nonceMs must be an integer number of milliseconds from 10000 to 3600000/)
  })

  it('the page puts nonces in POST forms and in its script only, never in a link or a form action', async () => {
    const f = await front()
    const html = (await httpRequest(`${f.base}/`)).body.toString()
    expect(html).toMatch(/<input type="hidden" name="nonce" value="[\w-]{22}">/)
    for (const attr of html.matchAll(/(?:href|action|src)="([^"]*)"/g)) expect(attr[1]).not.toMatch(/nonce/i)
    for (const form of html.matchAll(/<form [^>]*>/g)) expect(form[0]).toContain('method="post"')
  })
})

describe('the start-up warning', () => {
  it('is logged once, at warn, when the admin surface has no authorize; not with one', async () => {
    const log = captureLogger()
    const balancer = createBalancer({ logger: log, members: [{ url: 'http://127.0.0.1:1' }], admin: {} })
    onTestFinished(() => balancer.close())
    expect(log.lines.filter((l) => l.obj.admin === 'unprotected')).toEqual([
      { level: 'warn', obj: { admin: 'unprotected', path: '/balancer-manager' }, msg: expect.stringMatching(/no authorize option/) },
    ])
    const quiet = captureLogger()
    const guarded = createBalancer({ logger: quiet, members: [{ url: 'http://127.0.0.1:1' }], admin: { authorize: () => true } })
    onTestFinished(() => guarded.close())
    expect(quiet.lines.filter((l) => l.obj.admin === 'unprotected')).toEqual([])
    // a handler mounted by hand warns as well, through the balancer's logger
    const bare = createBalancer({ logger: log, members: [{ url: 'http://127.0.0.1:1' }] })
    onTestFinished(() => bare.close())
    bare.adminHandler().close()
    expect(log.lines.filter((l) => l.obj.admin === 'unprotected')).toHaveLength(2)
  })
})

describe('the admin surface on its own listener (listenAdmin)', () => {
  it('listens on 127.0.0.1 by default, serves only the admin surface, applies every check, and closes with the balancer', async () => {
    const up = await startUpstream('A')
    const balancer = createBalancer({ logger: false, closeTimeout: 500, members: [{ url: up.url, route: 'A' }] })
    const admin = await balancer.listenAdmin({ port: 0, logger: false })
    expect((admin.server.address() as AddressInfo).address).toBe('127.0.0.1')
    expect(admin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/balancer-manager\/$/)
    const page = await httpRequest(admin.url)
    expect(page.status).toBe(200)
    expect(page.body.toString()).toContain('Balancer manager')
    const api = json<{ members: { id: string }[]; nonce: string }>(await httpRequest(`${admin.url}api`))
    expect(api.members.map((m) => m.id)).toEqual(['A'])
    expect((await jsonPost(`${admin.url}api/members/A`, { weight: 3 }, { 'x-balancer-nonce': api.nonce })).status).toBe(200)
    expect(balancer.member('A')?.weight).toBe(3)
    // nothing but the admin surface: no balancing here
    expect((await httpRequest(admin.url.replace('/balancer-manager/', '/app'))).status).toBe(404)
    expect((await httpRequest(`${admin.url}api`, { headers: { host: 'attacker.example' } })).status).toBe(421)
    expect((await httpRequest(`${admin.url}api`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403)
    await balancer.close()
    expect(admin.server.listening).toBe(false)
    await expect(httpRequest(`${admin.url}api`)).rejects.toThrow()
  })

  it('takes a host, a path and the other admin options; refuses a bad port', async () => {
    const balancer = createBalancer({ logger: false, members: [{ url: 'http://127.0.0.1:1' }] })
    onTestFinished(() => balancer.close())
    const admin = await balancer.listenAdmin({ port: 0, host: '::1', path: '/lb', readOnly: true, logger: false })
    expect(admin.url).toMatch(/^http:\/\/\[::1\]:\d+\/lb\/$/)
    expect(json(await httpRequest(`${admin.url}api`))).toMatchObject({ readOnly: true })
    await admin.close()
    await expect(balancer.listenAdmin({ port: 70000 })).rejects.toThrow(/listenAdmin port must be an integer from 0 to 65535/)
    await expect(balancer.listenAdmin({ port: 0, allowedHosts: ['a:1'] })).rejects.toThrow(/admin\.allowedHosts\[0\] must be a host name/)
  })
})
