/**
 * The admin surface on its own listener: a `node:http` server that serves nothing but the admin
 * handler, on `127.0.0.1` unless told otherwise. Public traffic then never reaches the admin paths
 * (no proxy in front can forward to them by mistake, no `exclude` rule is needed), and the port can
 * be kept off every network but the host's.
 *
 * @module
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { BalancerControl } from '../control.js'
import { InvalidOptionError } from '../errors.js'
import { createAdminHandler } from './admin-handler.js'
import type { AdminHandler } from './admin-handler.js'
import type { AdminOptions } from './options.js'

/**
 * Options of {@link listenAdmin}: where to listen, and the admin options.
 *
 * @example
 * ```ts
 * await balancer.listenAdmin({ port: 9090, host: '127.0.0.1', allowedHosts: ['lb.internal.example'], readOnly: true })
 * ```
 */
export interface AdminListenOptions extends AdminOptions {
  /** The port; 0 picks a free one. */
  port: number
  /** The address to listen on. Default: `127.0.0.1` (loopback only). */
  host?: string
}

/**
 * A listening admin server.
 *
 * @example
 * ```ts
 * const admin = await balancer.listenAdmin({ port: 0 })
 * admin.url                      // 'http://127.0.0.1:40215/balancer-manager/'
 * admin.handler.snapshot().members.length
 * await admin.close()
 * ```
 */
export interface AdminListener {
  /** The `node:http` server, listening. */
  readonly server: http.Server
  /** The admin handler it serves. */
  readonly handler: AdminHandler
  /** The page's URL, e.g. `http://127.0.0.1:9090/balancer-manager/`. */
  readonly url: string
  /** Stops listening, closes its connections and the handler. Idempotent. */
  close(): Promise<void>
}

/**
 * Serves a balancer's admin surface on its own listener, bound to `127.0.0.1` by default. Requests
 * outside the admin path get 404. Also `balancer.listenAdmin(options)`, which closes it with the
 * balancer.
 *
 * @example
 * ```ts
 * const admin = await balancer.listenAdmin({ port: 9090 })   // http://127.0.0.1:9090/balancer-manager/
 * // or: import { listenAdmin } from 'sticky-balancer'; await listenAdmin(balancer, { port: 9090 })
 * await admin.close()
 * ```
 */
export async function listenAdmin(balancer: BalancerControl, options: AdminListenOptions): Promise<AdminListener> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('listenAdmin options must be an object like { port: 9090 }')
  const { port, host = '127.0.0.1', ...adminOptions } = options
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError(`listenAdmin port must be an integer from 0 to 65535, got ${JSON.stringify(port)}`)
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError(`listenAdmin host must be an address like "127.0.0.1", got ${JSON.stringify(host)}`)
  const handler = createAdminHandler(balancer, adminOptions)
  // An admin client has no reason to be slow: short limits on reading its request.
  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 }, (req, res) => handler(req, res))
  server.keepAliveTimeout = 5_000
  server.on('close', () => handler.close())
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    handler.close()
    throw err
  }
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    server,
    handler,
    url: `http://${shown}:${address.port}${handler.options.path}/`,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
        handler.close()
      })
      return closing
    },
  }
}
