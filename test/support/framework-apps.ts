/**
 * The adapter suites' apps, built from a given framework module: the repository's Express 5 and
 * Koa 3, or Express 4 and Koa 2 from their own installs (framework-versions.ts). The module is
 * asked for when an app is built, so a test file may load it in `beforeAll`.
 */
import type express from 'express'
import type { NextFunction, Request, Response } from 'express'
import type Koa from 'koa'
import type { Middleware } from 'koa'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import type { AdapterSuiteOptions, BypassSuiteOptions } from './adapter-suite.js'

export type ExpressModule = typeof express
export type KoaClass = typeof Koa

/** What koa-mount does (it is not installed): strip the prefix, set `ctx.mountPath`, restore on the way out. */
export function mountAt(prefix: string, middleware: Middleware): Middleware {
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

export function expressAdapterSuite(name: string, framework: () => ExpressModule): AdapterSuiteOptions {
  return {
    name,
    build(options, mountPath) {
      const errors: unknown[] = []
      const middleware = expressBalancer(options)
      const app = framework()()
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
  }
}

export function expressBypassSuite(name: string, framework: () => ExpressModule): BypassSuiteOptions<ReturnType<typeof expressBalancer>> {
  return {
    name,
    create: expressBalancer,
    buildApp(proxy, mountPath, seen) {
      const app = framework()()
      app.use((req: Request, _res: Response, next: NextFunction) => {
        seen.push(req.originalUrl)
        next()
      })
      app.use(mountPath, proxy)
      app.use((req: Request, res: Response) => {
        res.type('text').send(`next:${req.originalUrl}`)
      })
      return app
    },
  }
}

export function koaAdapterSuite(name: string, framework: () => KoaClass): AdapterSuiteOptions {
  return {
    name,
    build(options, mountPath) {
      const errors: unknown[] = []
      const middleware = koaBalancer(options)
      const app = new (framework())()
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
  }
}

export function koaBypassSuite(name: string, framework: () => KoaClass): BypassSuiteOptions<ReturnType<typeof koaBalancer>> {
  return {
    name,
    create: koaBalancer,
    buildApp(proxy, mountPath, seen) {
      const app = new (framework())()
      app.use(async (ctx, next) => {
        seen.push(ctx.originalUrl)
        await next()
      })
      app.use(mountAt(mountPath, proxy))
      app.use((ctx) => {
        ctx.type = 'text'
        ctx.body = `next:${ctx.originalUrl}`
      })
      return app.callback()
    },
  }
}
