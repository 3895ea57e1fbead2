/**
 * Express middleware (Express 4.17+ and 5) around the framework-free balancer.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { stickyBalancer } from 'sticky-balancer/express'
 *
 * const app = express()
 * app.use('/testapp', stickyBalancer({
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 * }))
 * app.listen(8080, '127.0.0.1')
 * ```
 *
 * @module
 */
import type { RequestListener } from 'node:http'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import type { TrustPredicate } from '../../lib/proxy/forwarded-client.js'
import { mountBypass } from '../../lib/proxy/mount-bypass.js'
import type { AttachUpgradesOptions, UpgradeServer } from '../../lib/upgrade/attach.js'

/**
 * Express middleware that also exposes the balancer it drives (for `close()`, members, events),
 * and `attachUpgrades(server, { mountPath })` to send the server's WebSocket upgrades to it
 * (Express never sees upgrades: they arrive on the server's `'upgrade'` event).
 *
 * @example
 * ```ts
 * const lb = stickyBalancer({ members })
 * app.use('/testapp', lb)
 * const server = app.listen(8080, '127.0.0.1')
 * lb.attachUpgrades(server, { mountPath: '/testapp' })
 * lb.balancer.on('member:state', ({ member, health }) => console.log(member.id, health))
 * process.on('SIGTERM', () => { server.close(); void lb.balancer.close() })   // not in server.close's callback: it waits for every WebSocket
 * ```
 */
export type StickyBalancerMiddleware = RequestHandler & {
  readonly balancer: Balancer
  /** Sends the server's upgrades (WebSockets) under `options.mountPath` to the balancer; returns the detach function. */
  attachUpgrades(server: UpgradeServer, options?: AttachUpgradesOptions): () => void
  /**
   * A `node:http` request listener that sends the requests under `mountPath` straight to the
   * balancer and every other request to `app`: proxied requests skip Express's own per-request
   * work (its request/response prototypes, the router), which costs as much CPU as the proxying
   * itself. Excluded paths go to `app`; errors are answered by the balancer (plain text), not by
   * Express's error handling. Keep `app.use(mountPath, middleware)` as well for the requests the
   * prefix test leaves to Express (a different letter case: Express matches case-insensitively).
   *
   * @example
   * ```ts
   * const proxy = stickyBalancer({ members })
   * app.use('/testapp', proxy)
   * http.createServer(proxy.bypass(app, '/testapp')).listen(8080)
   * ```
   */
  bypass(app: RequestListener, mountPath: string): RequestListener
}

/**
 * Creates the balancer and returns it as Express middleware. Mount it with `app.use(path, …)`:
 * the mount path is kept on the way to Tomcat unless `upstreamPath` says otherwise. Errors go to
 * Express's error handling (`next(err)`, with `err.statusCode`) when the response has not started.
 * Without a `trustProxy` option, the app's `trust proxy` setting decides which peers' forwarding
 * headers are believed (`app.set('trust proxy', 'loopback')`); with one, the option decides.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { stickyBalancer } from 'sticky-balancer/express'
 *
 * const app = express()
 * app.use('/app', stickyBalancer({
 *   members: [
 *     { url: 'http://127.0.0.1:8081', route: 'TomcatA' },
 *     { url: 'ajp://127.0.0.1:8010', route: 'TomcatB', secret: process.env.TOMCAT_AJP_SECRET },
 *   ],
 *   upstreamPath: '/testapp',      // ProxyPass /app balancer://tomcat/testapp
 *   exclude: ['/health'],          // relative to the mount: ProxyPass /app/health !
 * }))
 * app.get('/app/health', (req, res) => res.send('ok'))
 * app.listen(8080, '127.0.0.1')
 * ```
 */
export function stickyBalancer(options: BalancerOptions | Balancer): StickyBalancerMiddleware {
  const balancer = 'handle' in options ? options : createBalancer(options)
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // Express's `trust proxy`, as it compiled it; the balancer's own trustProxy option wins.
    void balancer.handle(req, res, next, { mountPath: req.baseUrl, originalUrl: req.originalUrl, trustProxy: req.app.get('trust proxy fn') as TrustPredicate | undefined })
  }
  return Object.assign(middleware, {
    balancer,
    attachUpgrades: balancer.attachUpgrades.bind(balancer),
    bypass: (app: RequestListener, mountPath: string) => mountBypass(balancer, app, mountPath),
  })
}

export type { AttachUpgradesOptions, Balancer, BalancerOptions }
