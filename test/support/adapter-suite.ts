/**
 * The behaviour both framework adapters must share, run by `adapters/express/index.test.ts` and
 * `adapters/koa/index.test.ts` against the same fake upstreams. Each adapter test only says how to
 * build an app; every expectation lives here.
 */
import type { RequestListener } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import { deadUrl, guardProcess, httpRequest, json, startFront, startUpstream, withTestedHttpTransport } from './fake-upstream.js'

export interface AdapterApp {
  /** The framework app as a Node request listener. */
  readonly listener: RequestListener
  /** The balancer the middleware drives. */
  readonly balancer: Balancer
  /** Errors the framework's error handling received (Express error middleware, Koa `app.on('error')`). */
  readonly errors: unknown[]
}

export interface AdapterSuiteOptions {
  readonly name: string
  /**
   * Builds an app with, in order: the balancer middleware mounted at `mountPath` (`''` = not
   * mounted), then a fallback that answers 200 `next:<original URL>`, and error handling that
   * records the error and answers with the error's status.
   */
  build(options: BalancerOptions, mountPath: string): AdapterApp
}

interface Echo {
  node: string
  method: string
  url: string
  length: number
  sha256: string
}

async function start(suite: AdapterSuiteOptions, options: BalancerOptions, mountPath: string) {
  const app = suite.build({ logger: false, closeTimeout: 500, ...withTestedHttpTransport(options) }, mountPath)
  onTestFinished(() => app.balancer.close())
  const front = await startFront(app.listener)
  return { ...app, url: front.url }
}

export function runAdapterSuite(suite: AdapterSuiteOptions): void {
  describe(`${suite.name} adapter`, () => {
    beforeEach(guardProcess)

    describe.each([['/app'], ['']])('mounted at %j', (mount) => {
      it('forwards the original URL by default', async () => {
        const a = await startUpstream('A')
        const { url } = await start(suite, { members: [{ url: a.url, route: 'A' }] }, mount)
        const echo = json<Echo>(await httpRequest(`${url}${mount}/x?y=1`))
        expect(echo.url).toBe(`${mount}/x?y=1`)
      })

      it('maps the mount path to upstreamPath', async () => {
        const a = await startUpstream('A')
        const { url } = await start(suite, { members: [{ url: a.url, route: 'A' }], upstreamPath: '/testapp' }, mount)
        expect(json<Echo>(await httpRequest(`${url}${mount}/x?y=1`)).url).toBe('/testapp/x?y=1')
        expect(json<Echo>(await httpRequest(`${url}${mount}/`)).url).toBe('/testapp/')
        expect(json<Echo>(await httpRequest(`${url}${mount}/a/b;jsessionid=S.A?q=%2F`)).url).toBe('/testapp/a/b;jsessionid=S.A?q=%2F')
      })

      it('passes an excluded path on to the next middleware', async () => {
        const a = await startUpstream('A')
        const { url, errors } = await start(suite, { members: [{ url: a.url, route: 'A' }], exclude: ['/skip'] }, mount)
        const r = await httpRequest(`${url}${mount}/skip/a?b=1`)
        expect([r.status, r.body.toString()]).toEqual([200, `next:${mount}/skip/a?b=1`])
        expect(a.seen).toHaveLength(0)
        expect(errors).toEqual([])
        expect(json<Echo>(await httpRequest(`${url}${mount}/skipper`)).url).toBe(`${mount}/skipper`)
      })

      it('rewrites Location and cookie paths from the member to the public mount', async () => {
        let memberUrl = ''
        const a = await startUpstream('A', (req, res) => {
          const target = req.url === '/testapp/relative' ? '/testapp/home?x=1' : `${memberUrl}/testapp/login?next=%2Fcart`
          res.writeHead(302, { location: target, 'set-cookie': ['JSESSIONID=S1.A; Path=/testapp; HttpOnly'], 'content-length': '0' })
          res.end()
        })
        memberUrl = a.url
        const { url } = await start(suite, { members: [{ url: a.url, route: 'A' }], upstreamPath: '/testapp' }, mount)
        const absolute = await httpRequest(`${url}${mount}/cart`)
        expect(absolute.status).toBe(302)
        expect(absolute.headers.location).toBe(`${url}${mount}/login?next=%2Fcart`)
        expect(absolute.headers['set-cookie']).toEqual([`JSESSIONID=S1.A; Path=${mount || '/'}; HttpOnly`])
        const relative = await httpRequest(`${url}${mount}/relative`)
        expect(relative.headers.location).toBe(`${mount}/home?x=1`)
      })

      it('reports "all members dead" to the framework’s error handling with status 503', async () => {
        const { url, errors } = await start(suite, { members: [{ url: await deadUrl(), route: 'A' }, { url: await deadUrl(), route: 'B' }] }, mount)
        for (const path of ['/first', '/second']) {
          const r = await httpRequest(`${url}${mount}${path}`)
          expect(r.status).toBe(503)
          expect(r.body.toString()).not.toContain('127.0.0.1')
        }
        expect(errors).toHaveLength(2)
        for (const err of errors) expect(err).toMatchObject({ statusCode: 503, expose: false })
        // once every member is known to be in error, the code says so
        expect(errors[1]).toMatchObject({ code: 'LB_ERR_NO_MEMBER' })
      })
    })

    it('does not touch requests outside the mount path', async () => {
      const a = await startUpstream('A')
      const { url } = await start(suite, { members: [{ url: a.url, route: 'A' }] }, '/app')
      const r = await httpRequest(`${url}/other/x`)
      expect(r.body.toString()).toBe('next:/other/x')
      expect(a.seen).toHaveLength(0)
    })

    it('balances 1:1 and carries a 2 MiB POST body intact', async () => {
      const a = await startUpstream('A')
      const b = await startUpstream('B')
      const { url } = await start(suite, { members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }] }, '/app')
      const body = randomBytes(2 * 1024 * 1024)
      const nodes: string[] = []
      for (let i = 0; i < 4; i++) {
        const echo = json<Echo>(await httpRequest(`${url}/app/upload`, { method: 'POST', body }))
        expect([echo.length, echo.sha256]).toEqual([body.length, createHash('sha256').update(body).digest('hex')])
        nodes.push(echo.node)
      }
      expect(nodes).toEqual(['A', 'B', 'A', 'B'])
    })

    it('fails over from a dead member without the framework noticing', async () => {
      const b = await startUpstream('B')
      const { url, errors } = await start(suite, { members: [{ url: await deadUrl(), route: 'A' }, { url: b.url, route: 'B' }] }, '/app')
      const echo = json<Echo>(await httpRequest(`${url}/app/x`, { method: 'POST', body: 'payload' }))
      expect([echo.node, echo.length]).toEqual(['B', 7])
      expect(errors).toEqual([])
    })

    it('exposes the balancer it drives', async () => {
      const a = await startUpstream('A')
      const { balancer } = await start(suite, { members: [{ url: a.url, route: 'A' }] }, '/app')
      expect(balancer.members.map((m) => m.id)).toEqual(['A'])
    })
  })
}

/** What both adapters' middleware offers for the fast path. */
export interface BypassingMiddleware {
  readonly balancer: Balancer
  bypass(app: RequestListener, mountPath: string): RequestListener
}

export interface BypassSuiteOptions<M extends BypassingMiddleware> {
  readonly name: string
  /** The adapter's `stickyBalancer(options)`. */
  create(options: BalancerOptions): M
  /**
   * The framework app, as a Node request listener, with in order: a middleware that pushes every
   * original URL it sees to `seen`, `middleware` mounted at `mountPath`, and a fallback that
   * answers 200 `next:<original URL>`.
   */
  buildApp(middleware: M, mountPath: string, seen: string[]): RequestListener
}

/** `bypass(app, mountPath)`: the same routing as the framework's mount, without the framework. */
export function runBypassSuite<M extends BypassingMiddleware>(suite: BypassSuiteOptions<M>): void {
  describe(`${suite.name} bypass(app, mountPath)`, () => {
    async function setup(options: Partial<BalancerOptions> = {}, mountPath = '/app') {
      const a = await startUpstream('A')
      const proxy = suite.create(withTestedHttpTransport({ logger: false, closeTimeout: 500, members: [{ url: a.url, route: 'A' }], ...options }))
      onTestFinished(() => proxy.balancer.close())
      const seen: string[] = []
      const front = await startFront(proxy.bypass(suite.buildApp(proxy, mountPath, seen), mountPath))
      return { url: front.url, upstream: a, seen }
    }

    it(`sends requests under the mount path to the balancer without ${suite.name}, as its mount would route them`, async () => {
      const { url, upstream, seen } = await setup()
      expect(json<{ url: string }>(await httpRequest(`${url}/app/x?y=1`)).url).toBe('/app/x?y=1')
      expect(json<{ url: string }>(await httpRequest(`${url}/app?y=1`)).url).toBe('/app?y=1')
      expect(json<{ url: string }>(await httpRequest(`${url}/app`)).url).toBe('/app')
      expect(seen).toEqual([])
      expect(upstream.seen.map((r) => r.url)).toEqual(['/app/x?y=1', '/app?y=1', '/app'])
    })

    it(`leaves every other request, and excluded paths, to ${suite.name}`, async () => {
      const { url, upstream, seen } = await setup({ exclude: ['/skip'] })
      for (const path of ['/', '/apple', '/other/app/x', '/app;x=1', '/app/skip/a?b=1']) {
        const r = await httpRequest(`${url}${path}`)
        expect([r.status, r.body.toString()]).toEqual([200, `next:${path}`])
      }
      expect(seen).toEqual(['/', '/apple', '/other/app/x', '/app;x=1', '/app/skip/a?b=1'])
      expect(upstream.seen).toEqual([])
    })

    it('takes every request at the root mount; errors are the balancer’s own plain-text answers', async () => {
      const proxy = suite.create({ logger: false, closeTimeout: 500, members: [{ url: await deadUrl(), route: 'A' }] })
      onTestFinished(() => proxy.balancer.close())
      const front = await startFront(proxy.bypass(() => {
        throw new Error(`${suite.name} must not see this request`)
      }, '/'))
      const r = await httpRequest(`${front.url}/anything`)
      expect(r.status).toBe(503)
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
    })

    it('refuses a mount path that is not a path', () => {
      expect(() => suite.create({ members: [{ url: 'http://127.0.0.1:1', route: 'A' }], health: false }).bypass(() => {}, 'app')).toThrow(/mountPath/)
    })
  })
}
