/**
 * Wiring a server's `'upgrade'` event to the balancer, shared by the bare node:http host and the
 * Express and Koa adapters (their servers are node:http servers too).
 *
 * @module
 */
import type { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { MountContext } from '../types.js'
import { MethodNotAllowedError, NotFoundError } from '../errors.js'
import { ALLOWED_METHODS } from '../proxy/request-guard.js'
import { writeRawError } from '../respond.js'

/**
 * What `attachUpgrades` needs of a server: `http.Server`, `https.Server`, or Express's and Koa's.
 *
 * @example
 * ```ts
 * const server: UpgradeServer = app.listen(8080, '127.0.0.1')   // Express's listen() returns an http.Server
 * balancer.attachUpgrades(server)
 * ```
 */
export interface UpgradeServer {
  /** Adds an `'upgrade'` listener. */
  on(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown
  /** Removes an `'upgrade'` listener (when the returned detach function is called). */
  off(event: 'upgrade', listener: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): unknown
  /** How many `'upgrade'` listeners there are: with no other one, upgrades outside `mountPath` get 404. */
  listenerCount(event: 'upgrade'): number
}

/**
 * Options of `attachUpgrades`.
 *
 * @example
 * ```ts
 * app.use('/chat', stickyBalancer(options))                 // the HTTP requests
 * balancer.attachUpgrades(server, { mountPath: '/chat' })   // and the WebSockets under /chat
 * ```
 */
export interface AttachUpgradesOptions {
  /**
   * Take only upgrades whose path is this prefix or below it (the path given to `app.use`), kept
   * on the way to the member unless `upstreamPath` says otherwise. Others are left to the server's
   * other `'upgrade'` listeners, or answered 404 when there is none. Default: every upgrade.
   */
  mountPath?: string
}

/**
 * What `attachUpgrades` needs of the balancer (a {@link Balancer} is one).
 *
 * @example
 * ```ts
 * const handler: UpgradeHandler = balancer
 * const detach = attachUpgrades(handler, server, { mountPath: '/chat' })
 * ```
 */
export interface UpgradeHandler {
  /** Proxies one upgrade request over its socket; never rejects. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head?: Buffer, mount?: MountContext): Promise<void>
  /** Answers a `CONNECT` request on its socket (a {@link Balancer} refuses it with 405 and logs it). */
  handleConnect?(req: IncomingMessage, socket: Duplex): void
}

/**
 * Refuses a `CONNECT` request with 405 on its raw socket: a reverse proxy is not a tunnel. Node
 * emits `CONNECT` as `'connect'`, never as a request, and without a listener closes the
 * connection without an answer.
 *
 * @example
 * ```ts
 * server.on('connect', refuseConnect)   // what attachUpgrades does when nothing else listens
 * ```
 */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => {})
  writeRawError(socket, new MethodNotAllowedError(ALLOWED_METHODS, 'CONNECT is not supported'))
}

function isBelow(url: string, prefix: string): boolean {
  if (!url.startsWith(prefix)) return false
  const next = url.charAt(prefix.length)
  return next === '' || next === '/' || next === '?' || next === ';'
}

/**
 * Sends the server's upgrade requests to `balancer.handleUpgrade`; returns a function that stops.
 * When the server has no `'connect'` listener, `CONNECT` requests are answered 405 (with `Allow`)
 * by `balancer.handleConnect` (or {@link refuseConnect}) instead of Node closing them unanswered.
 *
 * @example
 * ```ts
 * const server = app.listen(8080)
 * const detach = attachUpgrades(balancer, server, { mountPath: '/examples' })
 * ```
 */
export function attachUpgrades(balancer: UpgradeHandler, server: UpgradeServer, options: AttachUpgradesOptions = {}): () => void {
  const mountPath = (options.mountPath ?? '').replace(/\/+$/, '')
  if (mountPath !== '' && !mountPath.startsWith('/')) throw new TypeError(`mountPath must start with "/", got ${JSON.stringify(options.mountPath)}`)
  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '/'
    if (mountPath !== '' && !isBelow(url, mountPath)) {
      if (server.listenerCount('upgrade') === 1) {
        socket.on('error', () => {})
        writeRawError(socket, new NotFoundError())
      }
      return
    }
    void balancer.handleUpgrade(req, socket, head, mountPath === '' ? {} : { mountPath, originalUrl: url })
  }
  server.on('upgrade', listener)
  const events = server as unknown as Partial<Pick<EventEmitter, 'on' | 'off' | 'listenerCount'>>
  const onConnect = balancer.handleConnect ? balancer.handleConnect.bind(balancer) : refuseConnect
  const ownsConnect = typeof events.on === 'function' && typeof events.listenerCount === 'function' && events.listenerCount('connect') === 0
  if (ownsConnect) events.on!('connect', onConnect)
  return () => {
    server.off('upgrade', listener)
    if (ownsConnect) events.off?.('connect', onConnect)
  }
}
