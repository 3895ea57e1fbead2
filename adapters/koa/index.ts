/**
 * Koa 3 middleware around the framework-free balancer.
 *
 * The balancer writes to Node's own response, so the middleware sets `ctx.respond = false` for the
 * requests it forwards; excluded paths go on to the next middleware.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { stickyBalancer } from 'sticky-balancer/koa'
 *
 * const app = new Koa()
 * app.use(stickyBalancer({
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 * }))
 * app.listen(8080, '127.0.0.1')
 * ```
 *
 * @module
 */
import type { Middleware, ParameterizedContext } from 'koa'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import type { AttachUpgradesOptions, UpgradeServer } from '../../lib/upgrade/attach.js'

/**
 * Koa middleware that also exposes the balancer it drives, and `attachUpgrades(server, { mountPath })`
 * to send the server's WebSocket upgrades to it (Koa never sees upgrades).
 *
 * @example
 * ```ts
 * const lb = stickyBalancer({ members })
 * app.use(lb)
 * const server = app.listen(8080, '127.0.0.1')
 * lb.attachUpgrades(server)
 * process.on('SIGTERM', () => server.close(() => void lb.balancer.close()))
 * ```
 */
export type StickyBalancerMiddleware = Middleware & {
  readonly balancer: Balancer
  attachUpgrades(server: UpgradeServer, options?: AttachUpgradesOptions): () => void
}

/**
 * Creates the balancer and returns it as Koa middleware. Under `koa-mount` the mount path
 * (`ctx.mountPath`) is kept on the way to Tomcat unless `upstreamPath` says otherwise. Errors are
 * thrown into Koa's error handling when the response has not started.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import mount from 'koa-mount'
 * import { stickyBalancer } from 'sticky-balancer/koa'
 *
 * const app = new Koa()
 * app.use(async (ctx, next) => {
 *   try {
 *     await next()
 *   } catch (err) {
 *     ctx.status = (err as { statusCode?: number }).statusCode ?? 500   // 503 LB_ERR_NO_MEMBER, 504 LB_ERR_UPSTREAM_TIMEOUT, …
 *     ctx.body = 'The application is unavailable, try again shortly.'
 *   }
 * })
 * app.use(mount('/app', stickyBalancer({
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 *   upstreamPath: '/testapp',
 * })))
 * app.listen(8080, '127.0.0.1')
 * ```
 */
export function stickyBalancer(options: BalancerOptions | Balancer): StickyBalancerMiddleware {
  const balancer = 'handle' in options ? options : createBalancer(options)
  const middleware = async (ctx: ParameterizedContext, next: () => Promise<unknown>): Promise<void> => {
    let passed = false
    let failure: unknown
    const mountPath = (ctx as { mountPath?: string }).mountPath ?? ''
    ctx.respond = false
    await balancer.handle(ctx.req, ctx.res, (err?: unknown) => {
      passed = true
      failure = err
    }, { mountPath, originalUrl: ctx.originalUrl })
    if (!passed) return
    ctx.respond = true
    if (failure !== undefined) throw failure
    await next()
  }
  return Object.assign(middleware, { balancer, attachUpgrades: balancer.attachUpgrades.bind(balancer) })
}

export type { AttachUpgradesOptions, Balancer, BalancerOptions }
