import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { BalancerOptions } from '../../lib/options.js'
import { runAdapterSuite } from '../../test/support/adapter-suite.js'
import { deadUrl, httpRequest, json, startFront, startUpstream, withTestedHttpTransport } from '../../test/support/fake-upstream.js'
import { stickyBalancer } from './index.js'

runAdapterSuite({
  name: 'Express',
  build(options, mountPath) {
    const errors: unknown[] = []
    const middleware = stickyBalancer(options)
    const app = express()
    if (mountPath) app.use(mountPath, middleware)
    else app.use(middleware)
    app.use((req: Request, res: Response) => {
      res.type('text').send(`next:${req.originalUrl}`)
    })
    app.use((err: { statusCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(err)
      res.status(err.statusCode ?? 500).type('text').send('error')
    })
    return { listener: app, balancer: middleware.balancer, errors }
  },
})

describe('Express bypass(app, mountPath)', () => {
  async function setup(options: Partial<BalancerOptions> = {}, mountPath = '/app') {
    const a = await startUpstream('A')
    const proxy = stickyBalancer(withTestedHttpTransport({ logger: false, closeTimeout: 500, members: [{ url: a.url, route: 'A' }], ...options }))
    onTestFinished(() => proxy.balancer.close())
    const seenByExpress: string[] = []
    const app = express()
    app.use((req: Request, _res: Response, next: NextFunction) => {
      seenByExpress.push(req.originalUrl)
      next()
    })
    app.use(mountPath, proxy)
    app.use((req: Request, res: Response) => {
      res.type('text').send(`next:${req.originalUrl}`)
    })
    const front = await startFront(proxy.bypass(app, mountPath))
    return { url: front.url, upstream: a, seenByExpress }
  }

  it('sends requests under the mount path to the balancer without Express, as app.use would route them', async () => {
    const { url, upstream, seenByExpress } = await setup()
    expect(json<{ url: string }>(await httpRequest(`${url}/app/x?y=1`)).url).toBe('/app/x?y=1')
    expect(json<{ url: string }>(await httpRequest(`${url}/app?y=1`)).url).toBe('/app?y=1')
    expect(json<{ url: string }>(await httpRequest(`${url}/app`)).url).toBe('/app')
    expect(seenByExpress).toEqual([])
    expect(upstream.seen.map((r) => r.url)).toEqual(['/app/x?y=1', '/app?y=1', '/app'])
  })

  it('leaves every other request, and excluded paths, to Express', async () => {
    const { url, upstream, seenByExpress } = await setup({ exclude: ['/skip'] })
    for (const path of ['/', '/apple', '/other/app/x', '/app;x=1', '/app/skip/a?b=1']) {
      const r = await httpRequest(`${url}${path}`)
      expect([r.status, r.body.toString()]).toEqual([200, `next:${path}`])
    }
    expect(seenByExpress).toEqual(['/', '/apple', '/other/app/x', '/app;x=1', '/app/skip/a?b=1'])
    expect(upstream.seen).toEqual([])
  })

  it('takes every request at the root mount; errors are the balancer’s own plain-text answers', async () => {
    const proxy = stickyBalancer({ logger: false, closeTimeout: 500, members: [{ url: await deadUrl(), route: 'A' }] })
    onTestFinished(() => proxy.balancer.close())
    const front = await startFront(proxy.bypass(() => {
      throw new Error('Express must not see this request')
    }, '/'))
    const r = await httpRequest(`${front.url}/anything`)
    expect(r.status).toBe(503)
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
  })

  it('refuses a mount path that is not a path', () => {
    expect(() => stickyBalancer({ members: [{ url: 'http://127.0.0.1:1', route: 'A' }], health: false }).bypass(() => {}, 'app')).toThrow(/mountPath/)
  })
})
