/**
 * Upgraded connections (WebSocket, and other `Upgrade` tokens allowed by `upgrade.protocols`) to
 * members, over HTTP with http-proxy-3's upgrade support: handshakes, per-member bookkeeping, idle
 * timeout, and clean closing (close frame 1001) when a member is stopped or the balancer closes.
 *
 * http-proxy-3 does the handshake and the two pipes; we keep control of:
 * - which upgrades are allowed: its `checkMethodAndHeader` pass (WebSocket over GET only) is taken
 *   out, the balancer decides (`upgrade.protocols`, websocket only by default);
 * - the request head (hop-by-hop removal, `X-Forwarded-*`), lent to it like the HTTP transport does;
 * - timeouts: connect and handshake timers before the 101, `idleTimeout` after;
 * - the end of a tunnel: both sockets are gone before it stops counting (no leaked socket).
 *
 * @module
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { createProxyServer } from 'http-proxy-3'
import type { ProxyServer } from 'http-proxy-3'
import { UpstreamConnectError, toGatewayError } from '../errors.js'
import type { LbError } from '../errors.js'
import type { Member } from '../members/member.js'
import { tlsConnectOptions } from '../net/tls-options.js'
import type { TlsOptions } from '../net/tls-options.js'
import { ClientAbortedError } from '../transports/client-aborted.js'
import { CLOSE_GOING_AWAY, FrameCursor, closeFrame } from './frames.js'
import type { ResolvedUpgradeOptions } from './options.js'
import { writeRawError } from '../respond.js'

/** How long a socket may linger after its peer side closed, or after a close frame was sent. */
const LINGER_MS = 2_000

/** One upgrade request on its way to one member. */
export interface UpgradeAttempt {
  readonly member: Member
  /** The member's HTTP(S) origin for upgrades (its URL or `upgradeUrl`). */
  readonly target: URL
  readonly req: IncomingMessage
  readonly socket: Duplex
  readonly head: Buffer
  /** Path and query for the member. */
  readonly path: string
  /** Request headers for the member, `Connection: upgrade` and `Upgrade` included. */
  readonly headers: Record<string, string | string[]>
  /** TLS settings for an `https://` target (the balancer's `tls` merged with the member's). */
  readonly tls?: Readonly<TlsOptions> | undefined
}

/** How a handshake ended. */
export interface UpgradeOutcome {
  /** The member's status: 101 when the connection was upgraded; 0 when no answer came. */
  readonly status: number
  /** Set when no answer came (connect failure, timeout, reset, client gone). */
  readonly error?: LbError
}

export interface TunnelTimeouts {
  /** Milliseconds for the TCP (and TLS) connection to the member. */
  readonly connectTimeout: number
  /** Milliseconds the member may take to answer the handshake. */
  readonly timeout: number
}

/** One direction of a tunnel: follows frames, counts bytes, and can end at a frame boundary. */
class Relay {
  readonly cursor = new FrameCursor()
  #closing: Buffer | null | undefined
  #ended = false

  constructor(readonly src: Duplex, readonly dst: Duplex, readonly websocket: boolean, onBytes: (n: number) => void) {
    src.on('data', (chunk: Buffer) => {
      if (this.#closing === undefined) {
        if (websocket) this.cursor.push(chunk)
        onBytes(chunk.length)
        return
      }
      if (this.#ended) return
      // Finish the frame being relayed, then close: nothing after a close frame is allowed.
      const taken = this.cursor.push(chunk, true)
      if (taken > 0) this.dst.write(chunk.subarray(0, taken))
      if (this.cursor.atBoundary) this.#end()
    })
  }

  /** Stops relaying after the current frame and ends `dst` with `frame` (`null`: just end). */
  finish(frame: Buffer | null): void {
    if (this.#closing !== undefined) return
    this.#closing = frame
    this.src.unpipe(this.dst)
    this.src.resume()
    if (!this.websocket || this.cursor.atBoundary) this.#end()
  }

  #end(): void {
    this.#ended = true
    if (this.dst.destroyed || this.dst.writableEnded) return
    if (this.#closing && !this.cursor.closeSeen) this.dst.end(this.#closing)
    else this.dst.end()
  }
}

/** One client connection and, once upgraded, its member connection. */
class Tunnel {
  upstream: Socket | undefined
  proxyReq: ClientRequest | undefined
  upgraded = false
  clientClosed = false
  upstreamClosed = false
  #relays: [Relay, Relay] | undefined
  #shutting = false
  #lingerTimer: NodeJS.Timeout | undefined

  constructor(readonly member: Member, readonly client: Duplex, readonly websocket: boolean, readonly onDone: () => void) {}

  get done(): boolean {
    return this.clientClosed && (this.upstream === undefined || this.upstreamClosed)
  }

  /** Called once both pipes are set up (http-proxy-3's 'open'). */
  relay(idleTimeout: number): void {
    const upstream = this.upstream as Socket
    const member = this.member
    this.#relays = [
      new Relay(upstream, this.client, this.websocket, (n) => member.countBytes(n, 0)),
      new Relay(this.client, upstream, this.websocket, (n) => member.countBytes(0, n)),
    ]
    const client = this.client as Partial<Socket>
    if (idleTimeout > 0 && typeof client.setTimeout === 'function') {
      client.setTimeout(idleTimeout)
      this.client.on('timeout', () => this.shut('idle timeout'))
    }
  }

  /**
   * Ends the tunnel: a WebSocket gets close frames (1001 `reason`) both ways at frame boundaries,
   * another protocol a plain end; sockets still open after a short linger are destroyed.
   */
  shut(reason: string): void {
    if (this.#shutting || this.done) return
    this.#shutting = true
    if (!this.upgraded || !this.#relays) {
      this.proxyReq?.destroy()
      this.client.destroy()
      return
    }
    const [toClient, toMember] = this.#relays
    toClient.finish(this.websocket ? closeFrame(CLOSE_GOING_AWAY, reason, false) : null)
    toMember.finish(this.websocket ? closeFrame(CLOSE_GOING_AWAY, reason, true) : null)
    this.linger()
  }

  /** Destroys whatever is still open after a short while (a peer that never closes its side). */
  linger(): void {
    if (this.#lingerTimer) return
    this.#lingerTimer = setTimeout(() => {
      this.client.destroy()
      this.upstream?.destroy()
    }, LINGER_MS)
    this.#lingerTimer.unref()
  }

  closed(): void {
    if (!this.done) {
      this.linger()
      return
    }
    if (this.#lingerTimer) clearTimeout(this.#lingerTimer)
    this.onDone()
  }
}

/**
 * The upgraded connections of a balancer, per member.
 *
 * @example
 * ```ts
 * const tunnels = new UpgradeTunnels(resolveUpgradeOptions({ idleTimeout: 600_000 }), { connectTimeout: 5000, timeout: 60_000 })
 * const outcome = await tunnels.open({ member, target, req, socket, head, path: req.url, headers })
 * ```
 */
export class UpgradeTunnels {
  readonly #options: ResolvedUpgradeOptions
  readonly #timeouts: TunnelTimeouts
  readonly #proxy: ProxyServer
  readonly #byMember = new Map<Member, Set<Tunnel>>()
  readonly #byClient = new WeakMap<Duplex, (proxyReq: ClientRequest) => void>()
  readonly #byUpstream = new WeakMap<Duplex, Tunnel>()
  readonly #closeTimers = new Map<Member, NodeJS.Timeout>()
  /** Per member with an `https://` target: an agent that carries its TLS settings (no keep-alive: an upgraded socket leaves it). */
  readonly #tlsAgents = new WeakMap<Member, HttpsAgent>()
  /** Who waits for the last tunnel to end ({@link whenEmpty}, {@link close}). */
  #emptyWaiters: (() => void)[] = []
  /** Ends the wait of {@link closeWhenEnded}. */
  #stopKeeping: (() => void) | undefined

  constructor(options: ResolvedUpgradeOptions, timeouts: TunnelTimeouts) {
    this.#options = options
    this.#timeouts = timeouts
    this.#proxy = createProxyServer({})
    // The balancer decides which upgrades go through (upgrade.protocols, any method).
    const internals = this.#proxy as unknown as { wsPasses: { name: string }[] }
    internals.wsPasses = internals.wsPasses.filter((pass) => pass.name !== 'checkMethodAndHeader')
    // Errors reach us through the per-call callback; this listener only keeps the emitter from throwing.
    this.#proxy.on('error', () => {})
    this.#proxy.on('proxyReqWs', (proxyReq, _req, socket) => this.#byClient.get(socket as Duplex)?.(proxyReq))
    this.#proxy.on('open', (upstream) => {
      const tunnel = this.#byUpstream.get(upstream)
      if (tunnel) tunnel.relay(this.#options.idleTimeout)
    })
  }

  get options(): ResolvedUpgradeOptions {
    return this.#options
  }

  /** Open tunnels (handshakes included) of `member`. */
  count(member: Member): number {
    return this.#byMember.get(member)?.size ?? 0
  }

  /** Whether `member` is at `maxPerMember`. */
  isFull(member: Member): boolean {
    const max = this.#options.maxPerMember
    return max > 0 && this.count(member) >= max
  }

  /** Total open tunnels. */
  get size(): number {
    let n = 0
    for (const set of this.#byMember.values()) n += set.size
    return n
  }

  /**
   * Sends the upgrade request to the member and relays both ways once it answers 101. Another
   * answer is relayed as is; a failure before any answer is written on the raw socket. Resolves
   * when the handshake is over; the tunnel counts in `inFlight` and `upgraded` until both sockets
   * have closed.
   */
  open(attempt: UpgradeAttempt): Promise<UpgradeOutcome> {
    const { member, req, socket } = attempt
    const offers = String(attempt.headers.upgrade ?? '').split(', ')
    let set = this.#byMember.get(member)
    if (!set) this.#byMember.set(member, (set = new Set()))
    const tunnels = set
    member.beginExchange()
    const tunnel = new Tunnel(member, socket, offers.includes('websocket'), () => {
      tunnels.delete(tunnel)
      member.endExchange()
      if (tunnel.upgraded) member.countUpgraded(false)
      if (tunnels.size === 0) this.#byMember.delete(member)
      if (this.size === 0) for (const resolve of this.#emptyWaiters.splice(0)) resolve()
    })
    tunnels.add(tunnel)

    return new Promise<UpgradeOutcome>((resolve) => {
      let settled = false
      let connectTimer: NodeJS.Timeout | undefined
      const settle = (outcome: UpgradeOutcome): void => {
        if (settled) return
        settled = true
        if (connectTimer) clearTimeout(connectTimer)
        resolve(outcome)
      }

      // WebSocket has no half-close: a side that ends is going away, the other gets a short linger.
      socket.once('end', () => (tunnel.upgraded ? tunnel.linger() : socket.destroy()))
      socket.once('close', () => {
        tunnel.clientClosed = true
        if (!tunnel.upgraded) tunnel.proxyReq?.destroy()
        settle({ status: 0, error: new ClientAbortedError() })
        tunnel.closed()
      })

      this.#byClient.set(socket, (proxyReq) => {
        this.#byClient.delete(socket)
        tunnel.proxyReq = proxyReq
        const { connectTimeout, timeout } = this.#timeouts
        proxyReq.setTimeout(timeout, () => {
          proxyReq.destroy(Object.assign(new Error(`the member did not answer the upgrade within ${timeout} ms`), { code: 'ETIMEDOUT' }))
        })
        proxyReq.once('socket', (s: Socket) => {
          if (!s.connecting) return
          connectTimer = setTimeout(() => {
            proxyReq.destroy(new UpstreamConnectError(`could not connect to the member within ${connectTimeout} ms`))
          }, connectTimeout)
          s.once(attempt.target.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer))
        })
        proxyReq.once('response', (res) => settle({ status: res.statusCode ?? 502 }))
        // Registered before http-proxy-3's own listener, which writes the 101 and sets up the pipes.
        proxyReq.once('upgrade', (_res, upstream: Socket) => {
          if (tunnel.clientClosed) {
            upstream.destroy()
            return
          }
          tunnel.upstream = upstream
          tunnel.upgraded = true
          member.countUpgraded(true)
          this.#byUpstream.set(upstream, tunnel)
          upstream.once('end', () => tunnel.linger())
          upstream.once('close', () => {
            tunnel.upstreamClosed = true
            tunnel.closed()
          })
          settle({ status: 101 })
        })
      })

      // http-proxy-3 reads the url and headers from the request; lend it the member-bound view.
      const savedUrl = req.url
      const savedHeaders = req.headers
      req.url = attempt.path
      req.headers = attempt.headers as IncomingHttpHeaders
      try {
        const agent = attempt.target.protocol === 'https:' ? this.#tlsAgent(attempt) : undefined
        this.#proxy.ws(req, socket, attempt.head, { target: attempt.target, agent, toProxy: true, prependPath: false, xfwd: false }, (err: Error) => {
          if (settled) return
          const error = toGatewayError(err)
          writeRawError(socket, error)
          settle({ status: 0, error })
        })
      } finally {
        req.url = savedUrl
        req.headers = savedHeaders
      }
    })
  }

  /**
   * The agent of an `https://` target: its options win over the request's, so http-proxy-3's own
   * TLS defaults (and the `Host` header, for SNI) do not decide what is trusted.
   */
  #tlsAgent(attempt: UpgradeAttempt): HttpsAgent {
    let agent = this.#tlsAgents.get(attempt.member)
    if (agent === undefined) {
      agent = new HttpsAgent({ ...tlsConnectOptions(attempt.tls, attempt.target), keepAlive: false })
      this.#tlsAgents.set(attempt.member, agent)
    }
    return agent
  }

  /**
   * Closes the tunnels of `member` (close frame 1001 `reason`) after `graceMs`, unless
   * {@link cancelClose} is called first.
   */
  closeMember(member: Member, reason: string, graceMs = this.#options.closeGrace): void {
    if (this.#closeTimers.has(member) || this.count(member) === 0) return
    const timer = setTimeout(() => {
      this.#closeTimers.delete(member)
      this.shutMember(member, reason)
    }, graceMs)
    timer.unref()
    this.#closeTimers.set(member, timer)
  }

  /** Cancels a pending {@link closeMember} (the member was made active again). */
  cancelClose(member: Member): void {
    const timer = this.#closeTimers.get(member)
    if (timer) clearTimeout(timer)
    this.#closeTimers.delete(member)
  }

  /** Closes the tunnels of `member` now (close frame 1001 `reason`). */
  shutMember(member: Member, reason: string): void {
    for (const tunnel of this.#byMember.get(member) ?? []) tunnel.shut(reason)
  }

  /** Resolves once no tunnel is open (at once when none is); tunnels end by themselves. */
  whenEmpty(): Promise<void> {
    if (this.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#emptyWaiters.push(resolve))
  }

  /** {@link close} once every tunnel has ended by itself (a reload keeps them) or {@link stopKeeping} is called. */
  closeWhenEnded(): Promise<void> {
    return Promise.race([this.whenEmpty(), new Promise<void>((resolve) => (this.#stopKeeping = resolve))]).then(() => this.close())
  }

  /** Ends a {@link closeWhenEnded} wait: the tunnels get `closeGrace`, then are closed. */
  stopKeeping(): void {
    this.#stopKeeping?.()
  }

  /**
   * Lets the tunnels run for `closeGrace`, then closes those still open (close frame 1001) and
   * resolves once every socket is gone.
   */
  async close(reason = 'balancer closing'): Promise<void> {
    for (const member of [...this.#closeTimers.keys()]) this.cancelClose(member)
    if (this.size === 0) return
    const drained = this.whenEmpty()
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.#options.closeGrace).unref())
    await Promise.race([drained, grace])
    for (const member of [...this.#byMember.keys()]) this.shutMember(member, reason)
    await Promise.race([drained, new Promise<void>((resolve) => setTimeout(resolve, LINGER_MS * 2).unref())])
  }
}
