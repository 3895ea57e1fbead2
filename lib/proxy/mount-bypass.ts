/**
 * The fast path of the framework adapters: a `node:http` request listener that hands the requests
 * under a mount path straight to the balancer and every other request to the framework's app.
 *
 * A framework's per-request work (Express's request/response prototypes and router, Koa's context
 * and middleware chain) costs about as much CPU as the proxying itself; proxied requests need none
 * of it. The prefix test is the one `app.use(prefix)` and koa-mount apply: the prefix, then the end
 * of the path, `/` or the query. What is below the prefix is normalised and confined by the
 * balancer (`request-target.ts`), exactly as for a request that came through the framework.
 *
 * @module
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { ResolvedBalancerOptions } from '../options.js'
import type { MountContext, NextFunction } from '../types.js'
import { isExcluded } from './exclude.js'
import { isPathRefusal, requestTarget } from './request-target.js'

/**
 * What the bypass needs of a balancer: where it forwards to, what it excludes, and its handler.
 * A structural type, so this module does not import the `Balancer` class.
 */
export interface BypassTarget {
  readonly options: Pick<ResolvedBalancerOptions, 'exclude' | 'upstreamPath'>
  handle(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, mount: MountContext): Promise<void>
}

/**
 * A listener that sends requests under `mountPath` (minus the balancer's `exclude` paths) to
 * `balancer.handle` with that mount path, and all others to `app`.
 *
 * @throws TypeError when `mountPath` does not start with `/`.
 * @internal Reached through the adapters' `bypass(app, mountPath)`.
 */
export function mountBypass(balancer: BypassTarget, app: RequestListener, mountPath: string): RequestListener {
  const prefix = mountPath.endsWith('/') ? mountPath.slice(0, -1) : mountPath
  if (prefix !== '' && !prefix.startsWith('/')) throw new TypeError(`bypass: mountPath must start with "/", got ${JSON.stringify(mountPath)}`)
  const { exclude, upstreamPath } = balancer.options
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/'
    const next = url.charCodeAt(prefix.length)
    if (!url.startsWith(prefix) || !(Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f /* ? */)) {
      app(req, res)
      return
    }
    if (exclude.length > 0) {
      // Matched against the path as the member maps it, the path the balancer would forward; a
      // path it refuses (400) goes to the balancer, which answers it.
      const target = requestTarget(upstreamPath ?? prefix, url.slice(prefix.length))
      if (!isPathRefusal(target) && isExcluded(target.mapped, exclude)) {
        app(req, res)
        return
      }
    }
    void balancer.handle(req, res, undefined, { mountPath: prefix, originalUrl: url })
  }
}
