/**
 * `trustProxy`: what the balancer believes about the client connection, with in-process upstreams
 * (the real TLS terminator and Tomcat are in test/tomcat/behind-tls-terminator.tomcat.test.ts).
 * From a trusted peer its X-Forwarded-Proto/-Host/-Port/-For and Forwarded are validated and
 * passed on, and decide the balancer cookie's Secure and the public origin of reverse rewriting;
 * from any other peer they are replaced. Express's `trust proxy` and Koa's `app.proxy` are used
 * when the option is not given.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { describe, expect, it, onTestFinished } from 'vitest'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import type { BalancerOptions } from '../../lib/options.js'
import { httpRequest, startBalancer, startUpstream, withTestedHttpTransport } from '../support/fake-upstream.js'
import type { FakeUpstream, HttpResult } from '../support/fake-upstream.js'

/** An upstream that redirects to its own absolute URL, as Tomcat's sendRedirect does. */
async function redirectingUpstream(): Promise<FakeUpstream> {
  const upstream = await startUpstream('A', (req, res) => {
    const host = req.headers.host ?? ''
    res.writeHead(302, { location: `http://${host}/next` })
    res.end()
  })
  return upstream
}

const FROM_LB = {
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'shop.example:8443',
  'x-forwarded-port': '8443',
  'x-forwarded-for': '203.0.113.9',
}

const cookieOf = (r: HttpResult) => ([r.headers['set-cookie'] ?? []].flat() as string[]).find((c) => c.startsWith('ROUTEID='))

function options(upstream: FakeUpstream, extra: Partial<BalancerOptions> = {}): BalancerOptions {
  return { members: [{ url: upstream.url, route: 'A' }], sticky: { balancerCookie: { name: 'ROUTEID' } }, ...extra }
}

async function listen(listener: http.RequestListener): Promise<string> {
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function expectBelieved(upstream: FakeUpstream, answer: HttpResult): void {
  const seen = upstream.seen.at(-1)?.headers ?? {}
  expect(seen['x-forwarded-proto']).toBe('https')
  expect(seen['x-forwarded-host']).toBe('shop.example:8443')
  expect(seen['x-forwarded-port']).toBe('8443')
  expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1')
  expect(answer.headers.location).toBe('https://shop.example:8443/next')
  expect(cookieOf(answer)).toMatch(/;\s*Secure/)
}

function expectReplaced(upstream: FakeUpstream, answer: HttpResult, front: string): void {
  const seen = upstream.seen.at(-1)?.headers ?? {}
  const frontHost = new URL(front).host
  expect(seen['x-forwarded-proto']).toBe('http')
  expect(seen['x-forwarded-host']).toBe(frontHost)
  expect(seen['x-forwarded-port']).toBe(new URL(front).port)
  expect(seen['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1')
  expect(answer.headers.location).toBe(`http://${frontHost}/next`)
  expect(cookieOf(answer)).toBeDefined()
  expect(cookieOf(answer)).not.toMatch(/Secure/)
}

describe('trustProxy on a node:http host', () => {
  it('believes a trusted peer\'s X-Forwarded-* for the member, the cookie and reverse rewriting', async () => {
    const upstream = await redirectingUpstream()
    const { url } = await startBalancer(options(upstream, { trustProxy: 'loopback' }))
    expectBelieved(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }))
  })

  it('believes the RFC 7239 Forwarded header the same way', async () => {
    const upstream = await redirectingUpstream()
    const { url } = await startBalancer(options(upstream, { trustProxy: ['127.0.0.1'] }))
    const answer = await httpRequest(`${url}/x`, { headers: { forwarded: 'for=203.0.113.9;proto=https;host="shop.example:8443"' } })
    const seen = upstream.seen.at(-1)?.headers ?? {}
    expect(seen['x-forwarded-proto']).toBe('https')
    expect(seen['x-forwarded-host']).toBe('shop.example:8443')
    expect(seen['x-forwarded-port']).toBe('8443')
    expect(answer.headers.location).toBe('https://shop.example:8443/next')
  })

  it.each([
    ['no trustProxy', {}],
    ['trustProxy: false', { trustProxy: false }],
    ['a peer outside trustProxy', { trustProxy: '10.0.0.0/8' }],
  ] as const)('%s: the headers are replaced by what the balancer saw', async (_name, extra) => {
    const upstream = await redirectingUpstream()
    const { url } = await startBalancer(options(upstream, extra))
    expectReplaced(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }), url)
  })

  it.each([
    ['x-forwarded-proto', 'javascript'],
    ['x-forwarded-proto', 'https://evil.example'],
    ['x-forwarded-host', 'evil.example/phish'],
    ['x-forwarded-host', 'user@evil.example'],
    ['x-forwarded-host', 'evil.example:0'],
    ['x-forwarded-host', '"><script>'],
    ['x-forwarded-port', '99999'],
    ['x-forwarded-port', '443; x'],
  ])('from a trusted peer, an invalid %s (%j) is ignored, never passed on', async (name, value) => {
    const upstream = await startUpstream('A')
    const { url } = await startBalancer(options(upstream, { trustProxy: 'loopback' }))
    await httpRequest(`${url}/x`, { headers: { [name]: value } })
    const seen = upstream.seen.at(-1)?.headers ?? {}
    const front = new URL(url)
    expect(seen[name]).toBe(name === 'x-forwarded-proto' ? 'http' : name === 'x-forwarded-host' ? front.host : front.port)
  })

  it('with preserveHost, the member gets the host the trusted proxy reports', async () => {
    const upstream = await startUpstream('A')
    const { url } = await startBalancer(options(upstream, { trustProxy: 'loopback', preserveHost: true }))
    await httpRequest(`${url}/x`, { headers: FROM_LB })
    expect(upstream.seen.at(-1)?.headers.host).toBe('shop.example:8443')
  })
})

describe('trustProxy under Express: app.get(\'trust proxy\')', () => {
  async function expressFront(upstream: FakeUpstream, trust: unknown, extra: Partial<BalancerOptions> = {}): Promise<string> {
    const app = express()
    if (trust !== undefined) app.set('trust proxy', trust)
    const lb = expressBalancer(withTestedHttpTransport({ ...options(upstream, extra), logger: false }))
    onTestFinished(() => lb.balancer.close())
    app.use(lb)
    return listen(app)
  }

  it('believes the proxies the app trusts', async () => {
    const upstream = await redirectingUpstream()
    const url = await expressFront(upstream, 'loopback')
    expectBelieved(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }))
  })

  it('a hop count counts too (trust proxy: 1)', async () => {
    const upstream = await redirectingUpstream()
    const url = await expressFront(upstream, 1)
    expectBelieved(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }))
  })

  it('believes nobody by default (Express\'s trust proxy is false)', async () => {
    const upstream = await redirectingUpstream()
    const url = await expressFront(upstream, undefined)
    expectReplaced(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }), url)
  })

  it('the balancer\'s own trustProxy wins over the app\'s setting, false included', async () => {
    const upstream = await redirectingUpstream()
    const url = await expressFront(upstream, true, { trustProxy: false })
    expectReplaced(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }), url)
    const other = await redirectingUpstream()
    const url2 = await expressFront(other, false, { trustProxy: 'loopback' })
    expectBelieved(other, await httpRequest(`${url2}/x`, { headers: FROM_LB }))
  })
})

describe('trustProxy under Koa: app.proxy', () => {
  async function koaFront(upstream: FakeUpstream, proxy: boolean, extra: Partial<BalancerOptions> = {}): Promise<string> {
    const app = new Koa()
    app.proxy = proxy
    const lb = koaBalancer(withTestedHttpTransport({ ...options(upstream, extra), logger: false }))
    onTestFinished(() => lb.balancer.close())
    app.use(lb)
    return listen(app.callback())
  }

  it('app.proxy = true: believed', async () => {
    const upstream = await redirectingUpstream()
    const url = await koaFront(upstream, true)
    expectBelieved(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }))
  })

  it('app.proxy = false (Koa\'s default): replaced', async () => {
    const upstream = await redirectingUpstream()
    const url = await koaFront(upstream, false)
    expectReplaced(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }), url)
  })

  it('the balancer\'s own trustProxy wins over app.proxy', async () => {
    const upstream = await redirectingUpstream()
    const url = await koaFront(upstream, true, { trustProxy: '10.0.0.0/8' })
    expectReplaced(upstream, await httpRequest(`${url}/x`, { headers: FROM_LB }), url)
  })
})
