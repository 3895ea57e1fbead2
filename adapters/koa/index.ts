/**
 * Koa middleware (Koa 2.13+ and 3) around the framework-free balancer.
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
import type { RequestListener } from 'node:http'
import type { Middleware, ParameterizedContext } from 'koa'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import { resolveTrustProxy } from '../../lib/net/trust-proxy.js'
import { mountBypass } from '../../lib/proxy/mount-bypass.js'
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
 * process.on('SIGTERM', () => { server.close(); void lb.balancer.close() })   // not in server.close's callback: it waits for every WebSocket
 * ```
 */
export type StickyBalancerMiddleware = Middleware & {
  readonly balancer: Balancer
  /** Sends the server's upgrades (WebSockets) under `options.mountPath` to the balancer; returns the detach function. */
  attachUpgrades(server: UpgradeServer, options?: AttachUpgradesOptions): () => void
  /**
   * A `node:http` request listener that sends the requests under `mountPath` straight to the
   * balancer and every other request to Koa (`app.callback()`): proxied requests skip Koa's
   * per-request context and middleware chain, and run at the speed of a bare `node:http` host.
   * Middleware before the balancer (logging, auth) does not see them, excluded paths go to Koa,
   * and errors are answered by the balancer (plain text), not by Koa's error handling. Keep the
   * middleware in the app as well (under koa-mount for a mount path) for anything routed to Koa.
   *
   * @example
   * ```ts
   * const proxy = stickyBalancer({ members })
   * app.use(mount('/testapp', proxy))
   * http.createServer(proxy.bypass(app.callback(), '/testapp')).listen(8080, '127.0.0.1')
   * ```
   */
  bypass(app: RequestListener, mountPath: string): RequestListener
}

/** Koa's `app.proxy = true`: the forwarding headers of any peer are believed, as Koa itself does. */
const TRUST_EVERY_PROXY = resolveTrustProxy(true)

/**
 * Creates the balancer and returns it as Koa middleware. Under `koa-mount` the mount path
 * (`ctx.mountPath`) is kept on the way to Tomcat unless `upstreamPath` says otherwise. Errors are
 * thrown into Koa's error handling when the response has not started. Without a `trustProxy`
 * option, `app.proxy = true` makes the balancer believe every peer's forwarding headers, as Koa
 * does; with one, the option decides (give a list there to trust only your proxies).
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
    // Where koa-bodyparser leaves a body it read (used only when the stream was consumed).
    const request = ctx.request as { body?: unknown; rawBody?: unknown }
    ctx.respond = false
    await balancer.handle(ctx.req, ctx.res, (err?: unknown) => {
      passed = true
      failure = err
    }, { mountPath, originalUrl: ctx.originalUrl, trustProxy: ctx.app.proxy ? TRUST_EVERY_PROXY : undefined, body: request.body, rawBody: request.rawBody })
    if (!passed) return
    ctx.respond = true
    if (failure !== undefined) throw failure
    await next()
  }
  return Object.assign(middleware, {
    balancer,
    attachUpgrades: balancer.attachUpgrades.bind(balancer),
    bypass: (app: RequestListener, mountPath: string) => mountBypass(balancer, app, mountPath),
  })
}

export type { AttachUpgradesOptions, Balancer, BalancerOptions }
