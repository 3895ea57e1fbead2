import Koa from 'koa'
import type { Middleware } from 'koa'
import { runAdapterSuite, runBypassSuite } from '../../test/support/adapter-suite.js'
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

runBypassSuite({
  name: 'Koa',
  create: stickyBalancer,
  buildApp(proxy, mountPath, seen) {
    const app = new Koa()
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
})
