/**
 * The connections to one member: keep-alive reuse, a bound on connections and on waiters, idle
 * expiry, and CPING before reusing a connection that sat idle too long (mod_jk `ping_mode=I`).
 *
 * @module
 */
import { BalancerClosedError, UpstreamBusyError, type LbError } from '../../errors.js'
import { AjpConnection } from './connection.js'
import type { ResolvedAjpTransportOptions } from './options.js'

interface Waiter {
  resolve(conn: AjpConnection): void
  reject(err: LbError): void
  timer: NodeJS.Timeout
}

/** @internal */
export class AjpPool {
  readonly #host: string
  readonly #port: number
  readonly #options: ResolvedAjpTransportOptions
  /** Every socket, connecting ones included (they count against `maxConnections`). */
  #open = 0
  /** Idle connections, most recently used last (reused first: LIFO keeps few sockets warm). */
  readonly #idle: AjpConnection[] = []
  readonly #waiters: Waiter[] = []
  #closed = false
  #onDrained: (() => void) | undefined

  constructor(host: string, port: number, options: ResolvedAjpTransportOptions) {
    this.#host = host
    this.#port = port
    this.#options = options
  }

  /** Socket counts: all open sockets, and those idle in the pool. */
  sockets(): { open: number; idle: number } {
    return { open: this.#open, idle: this.#idle.length }
  }

  /**
   * An idle connection that can be used at once (alive, not idle long enough to need a CPING), or
   * `undefined`: then call {@link acquire}. Saves the promise of `acquire` on the common path.
   */
  tryAcquire(): AjpConnection | undefined {
    if (this.#closed) return undefined
    const idle = this.#idle
    const conn = idle[idle.length - 1]
    if (conn === undefined || !conn.alive || Date.now() - conn.idleSince >= this.#options.pingAfterIdle) return undefined
    idle.pop()
    return conn
  }

  /**
   * A connection for one exchange: an idle one (CPING'd first when idle longer than
   * `pingAfterIdle`), a new one, or the next one released.
   *
   * @param fresh - skip idle connections (a retry after a reused one turned out dead).
   * @throws UpstreamConnectError when the member refuses or does not accept a new connection, and
   * UpstreamBusyError when every connection stays busy for `connectTimeout` or `maxQueued` requests
   * wait already: nothing was sent, so the request may go to another member.
   * @throws BalancerClosedError after {@link close}.
   */
  async acquire(fresh = false): Promise<AjpConnection> {
    for (;;) {
      if (this.#closed) throw new BalancerClosedError()
      const conn = fresh ? undefined : this.#idle.pop()
      if (conn === undefined) break
      if (!conn.alive) continue
      if (Date.now() - conn.idleSince >= this.#options.pingAfterIdle) {
        try {
          await conn.cping(this.#options.pingTimeout)
        } catch {
          continue // dead or slow: it was destroyed; try the next one
        }
      }
      return conn
    }
    if (this.#open < this.#options.maxConnections) return this.#connect()
    if (this.#waiters.length >= this.#options.maxQueued) {
      throw new UpstreamBusyError(`all ${this.#options.maxConnections} connections to ${this.#host}:${this.#port} are busy and ${this.#waiters.length} requests wait`)
    }
    return new Promise<AjpConnection>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter)
          if (i >= 0) this.#waiters.splice(i, 1)
          reject(new UpstreamBusyError(`no connection to ${this.#host}:${this.#port} became free within ${this.#options.connectTimeout} ms`))
        }, this.#options.connectTimeout),
      }
      this.#waiters.push(waiter)
    })
  }

  /**
   * Gives a connection back after an exchange. Reused only when `reusable` (END_RESPONSE reuse=1
   * after a clean exchange) and nothing is left unread; otherwise closed.
   */
  release(conn: AjpConnection, reusable: boolean): void {
    conn.detach()
    if (!reusable || this.#closed || !conn.alive || conn.parser.buffered > 0) {
      conn.destroy()
      return
    }
    conn.exchanges++
    const waiter = this.#waiters.shift()
    if (waiter) {
      clearTimeout(waiter.timer)
      waiter.resolve(conn)
      return
    }
    conn.idleSince = Date.now()
    conn.setTimer(this.#options.idleTimeout)
    this.#idle.push(conn)
  }

  /**
   * CPING/CPONG as a health probe: on an idle pooled connection (or a new pooled one) when there
   * is room, otherwise on a connection of its own, opened beside `maxConnections` and closed after
   * the CPONG. A pool whose connections are all busy is a member at work: the probe must not wait
   * in its queue and fail (mod_proxy_hcheck probes on a connection of its own too).
   *
   * @returns the round trip in milliseconds.
   * @throws UpstreamConnectError / UpstreamTimeoutError / UpstreamProtocolError.
   */
  async ping(): Promise<number> {
    if (this.#closed) throw new BalancerClosedError()
    if (this.#idle.length > 0 || this.#open < this.#options.maxConnections) {
      const conn = await this.acquire()
      const started = performance.now()
      await conn.cping(this.#options.pingTimeout)
      const elapsed = performance.now() - started
      this.release(conn, true)
      return elapsed
    }
    const conn = await AjpConnection.open(this.#host, this.#port, this.#options.connectTimeout, this.#options.packetSize, () => {})
    try {
      const started = performance.now()
      await conn.cping(this.#options.pingTimeout)
      return performance.now() - started
    } finally {
      conn.destroy()
    }
  }

  /** Closes idle connections now and the others when their exchange ends. */
  close(): Promise<void> {
    this.#closed = true
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer)
      waiter.reject(new BalancerClosedError())
    }
    for (const conn of this.#idle.splice(0)) conn.destroy()
    if (this.#open === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#onDrained = resolve
    })
  }

  async #connect(): Promise<AjpConnection> {
    this.#open++
    try {
      return await AjpConnection.open(this.#host, this.#port, this.#options.connectTimeout, this.#options.packetSize, (conn) => this.#closedSocket(conn))
    } catch (err) {
      this.#open--
      this.#wakeWaiter()
      throw err
    }
  }

  #closedSocket(conn: AjpConnection): void {
    this.#open--
    const i = this.#idle.indexOf(conn)
    if (i >= 0) this.#idle.splice(i, 1)
    if (this.#open === 0 && this.#onDrained) {
      this.#onDrained()
      this.#onDrained = undefined
    }
    this.#wakeWaiter()
  }

  /** A slot freed up: open a connection for the first waiter. */
  #wakeWaiter(): void {
    if (this.#closed || this.#open >= this.#options.maxConnections) return
    const waiter = this.#waiters.shift()
    if (!waiter) return
    clearTimeout(waiter.timer)
    this.#connect().then(waiter.resolve, waiter.reject)
  }
}
