/**
 * Express 5 middleware around the framework-free balancer.
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
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
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
 * process.on('SIGTERM', () => server.close(() => void lb.balancer.close()))
 * ```
 */
export type StickyBalancerMiddleware = RequestHandler & {
  readonly balancer: Balancer
  attachUpgrades(server: UpgradeServer, options?: AttachUpgradesOptions): () => void
}

/**
 * Creates the balancer and returns it as Express middleware. Mount it with `app.use(path, …)`:
 * the mount path is kept on the way to Tomcat unless `upstreamPath` says otherwise. Errors go to
 * Express's error handling (`next(err)`, with `err.statusCode`) when the response has not started.
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
    void balancer.handle(req, res, next, { mountPath: req.baseUrl, originalUrl: req.originalUrl })
  }
  return Object.assign(middleware, { balancer, attachUpgrades: balancer.attachUpgrades.bind(balancer) })
}

export type { AttachUpgradesOptions, Balancer, BalancerOptions }
