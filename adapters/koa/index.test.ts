import Koa from 'koa'
import type { Middleware } from 'koa'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { BalancerOptions } from '../../lib/options.js'
import { runAdapterSuite } from '../../test/support/adapter-suite.js'
import { deadUrl, httpRequest, json, startFront, startUpstream, withTestedHttpTransport } from '../../test/support/fake-upstream.js'
import { stickyBalancer } from './index.js'

/** What koa-mount does (it is not installed): strip the prefix, set `ctx.mountPath`, restore on the way out. */
function mountAt(prefix: string, middleware: Middleware): Middleware {
  return async (ctx, next) => {
    const prev = ctx.path
    if (!prev.startsWith(prefix)) return next()
    const rest = prev.slice(prefix.length) || '/'
    if (!rest.startsWith('/')) return next()
    ;(ctx as { mountPath?: string }).mountPath = prefix
    ctx.path = rest
    await middleware(ctx, async () => {
      ctx.path = prev
      await next()
      ctx.path = rest
    })
    ctx.path = prev
  }
}

runAdapterSuite({
  name: 'Koa',
  build(options, mountPath) {
    const errors: unknown[] = []
    const middleware = stickyBalancer(options)
    const app = new Koa()
    app.on('error', (err: unknown) => {
      errors.push(err)
    })
    app.use(mountPath ? mountAt(mountPath, middleware) : middleware)
    app.use((ctx) => {
      ctx.type = 'text'
      ctx.body = `next:${ctx.originalUrl}`
    })
    return { listener: app.callback(), balancer: middleware.balancer, errors }
  },
})

describe('Koa bypass(app.callback(), mountPath)', () => {
  async function setup(options: Partial<BalancerOptions> = {}, mountPath = '/app') {
    const a = await startUpstream('A')
    const proxy = stickyBalancer(withTestedHttpTransport({ logger: false, closeTimeout: 500, members: [{ url: a.url, route: 'A' }], ...options }))
    onTestFinished(() => proxy.balancer.close())
    const seenByKoa: string[] = []
    const app = new Koa()
    app.use(async (ctx, next) => {
      seenByKoa.push(ctx.originalUrl)
      await next()
    })
    app.use(mountAt(mountPath, proxy))
    app.use((ctx) => {
      ctx.type = 'text'
      ctx.body = `next:${ctx.originalUrl}`
    })
    const front = await startFront(proxy.bypass(app.callback(), mountPath))
    return { url: front.url, upstream: a, seenByKoa }
  }

  it('sends requests under the mount path to the balancer without Koa, keeping the mount path', async () => {
    const { url, upstream, seenByKoa } = await setup()
    expect(json<{ url: string }>(await httpRequest(`${url}/app/x?y=1`)).url).toBe('/app/x?y=1')
    expect(json<{ url: string }>(await httpRequest(`${url}/app?y=1`)).url).toBe('/app?y=1')
    expect(json<{ url: string }>(await httpRequest(`${url}/app`)).url).toBe('/app')
    expect(seenByKoa).toEqual([])
    expect(upstream.seen.map((r) => r.url)).toEqual(['/app/x?y=1', '/app?y=1', '/app'])
  })

  it('leaves every other request, and excluded paths, to Koa', async () => {
    const { url, upstream, seenByKoa } = await setup({ exclude: ['/skip'] })
    for (const path of ['/', '/apple', '/other/app/x', '/app/skip/a?b=1']) {
      const r = await httpRequest(`${url}${path}`)
      expect([r.status, r.body.toString()]).toEqual([200, `next:${path}`])
    }
    expect(seenByKoa).toEqual(['/', '/apple', '/other/app/x', '/app/skip/a?b=1'])
    expect(upstream.seen).toEqual([])
  })

  it('takes every request at the root mount; errors are the balancer’s own plain-text answers', async () => {
    const proxy = stickyBalancer({ logger: false, closeTimeout: 500, members: [{ url: await deadUrl(), route: 'A' }] })
    onTestFinished(() => proxy.balancer.close())
    const front = await startFront(proxy.bypass(() => {
      throw new Error('Koa must not see this request')
    }, '/'))
    const r = await httpRequest(`${front.url}/anything`)
    expect(r.status).toBe(503)
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
  })

  it('refuses a mount path that is not a path', () => {
    expect(() => stickyBalancer({ members: [{ url: 'http://127.0.0.1:1', route: 'A' }], health: false }).bypass(() => {}, 'app')).toThrow(/mountPath/)
  })
})
