/**
 * The wait for one of a member's `http.maxSockets` connections, bounded the way the AJP pool
 * bounds its own: a request that finds every connection busy waits at most `connectTimeout`, then
 * fails with {@link UpstreamBusyError} (nothing was sent, so another member may take it; the member
 * is busy, not broken). Node's agent queues such a request too, but for as long as it takes: behind
 * a member that stopped answering, the k-th request in its queue would wait k / maxSockets × `timeout`.
 *
 * Requests are let through in arrival order. A client that goes away while it waits leaves the
 * queue at once. At most `maxQueue` wait (`http.maxQueue`): one more fails at once with
 * {@link UpstreamBusyError}, so a flood cannot grow the queue (and its timers and closures) without
 * bound.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { UpstreamBusyError } from '../../errors.js'
import type { LbError } from '../../errors.js'
import { ClientAbortedError } from '../client-aborted.js'

/** Default of `http.maxQueue`. */
const DEFAULT_MAX_QUEUE = 1024

interface Waiter {
  readonly resolve: () => void
  readonly reject: (err: LbError) => void
  readonly res: ServerResponse
  readonly onClose: () => void
  timer: NodeJS.Timeout | undefined
}

/** @internal */
export class SocketQueue {
  readonly #limit: number
  readonly #timeoutMs: number
  readonly #target: string
  readonly #maxQueue: number
  #taken = 0
  readonly #waiters: Waiter[] = []

  /**
   * @param limit - connections at once (`http.maxSockets`).
   * @param timeoutMs - the longest wait for one (`connectTimeout`).
   * @param target - `host:port`, for messages.
   * @param maxQueue - most waiters (`http.maxQueue`).
   */
  constructor(limit: number, timeoutMs: number, target: string, maxQueue = DEFAULT_MAX_QUEUE) {
    this.#limit = limit
    this.#timeoutMs = timeoutMs
    this.#target = target
    this.#maxQueue = maxQueue
  }

  /** Takes a connection now if one is free and nobody waits (no promise, no timer). */
  tryTake(): boolean {
    if (this.#taken >= this.#limit || this.#waiters.length > 0) return false
    this.#taken++
    return true
  }

  /**
   * Waits for a connection, at most `timeoutMs`.
   *
   * @throws UpstreamBusyError when none became free in time, or `maxQueue` exchanges wait already.
   * @throws ClientAbortedError when the client went away meanwhile.
   */
  take(res: ServerResponse): Promise<void> {
    if (this.tryTake()) return Promise.resolve()
    if (this.#waiters.length >= this.#maxQueue) {
      return Promise.reject(new UpstreamBusyError(`all ${this.#limit} connections to ${this.#target} are busy and ${this.#waiters.length} requests wait`))
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        res,
        onClose: () => this.#drop(waiter, new ClientAbortedError()),
        timer: undefined,
      }
      waiter.timer = setTimeout(() => {
        this.#drop(waiter, new UpstreamBusyError(`all ${this.#limit} connections to ${this.#target} stayed busy for ${this.#timeoutMs} ms`))
      }, this.#timeoutMs)
      res.once('close', waiter.onClose)
      this.#waiters.push(waiter)
    })
  }

  /** Gives a connection back after an exchange: to the first waiter, or back to the free ones. */
  give(): void {
    const waiter = this.#waiters.shift()
    if (waiter === undefined) {
      this.#taken--
      return
    }
    this.#forget(waiter)
    waiter.resolve()
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#waiters.length
  }

  #drop(waiter: Waiter, err: LbError): void {
    const i = this.#waiters.indexOf(waiter)
    if (i < 0) return
    this.#waiters.splice(i, 1)
    this.#forget(waiter)
    waiter.reject(err)
  }

  #forget(waiter: Waiter): void {
    clearTimeout(waiter.timer)
    waiter.res.off('close', waiter.onClose)
  }
}
