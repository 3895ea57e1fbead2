/**
 * Client-side timeouts: how long the balancer waits for a client that stopped sending its request
 * body (`clientBodyTimeout`, nginx's `client_body_timeout`) or stopped reading the response
 * (`clientSendTimeout`, nginx's `send_timeout`), as opposed to the member's `timeout`.
 *
 * Every transport keeps one {@link ClientWatch} per exchange and tells it when it starts and stops
 * waiting on the client; a wait that lasts longer than its timeout ends the exchange with
 * {@link ClientTimeoutError}. While the watch says the client is the one awaited, the member's
 * reply timer does not count (a slow member and a slow client are told apart).
 *
 * @module
 */
import type { ServerResponse } from 'node:http'
import { ClientTimeoutError } from '../transports/client-timeout.js'

/**
 * The two client-side timeouts, in milliseconds.
 *
 * @example
 * ```ts
 * const timeouts: ClientTimeouts = { clientBodyTimeout: 60_000, clientSendTimeout: 60_000 }
 * ```
 */
export interface ClientTimeouts {
  /** Longest wait between two reads of the client's request body (nginx `client_body_timeout`). */
  readonly clientBodyTimeout: number
  /**
   * Longest time the client may read none of the response the balancer holds for it (nginx
   * `send_timeout`: between two successful writes to the client).
   */
  readonly clientSendTimeout: number
}

/**
 * Defaults of {@link ClientTimeouts}: nginx's, 60 s each.
 *
 * @example
 * ```ts
 * createBalancer({ members, clientBodyTimeout: CLIENT_TIMEOUT_DEFAULTS.clientBodyTimeout / 2 })
 * ```
 */
export const CLIENT_TIMEOUT_DEFAULTS: ClientTimeouts = Object.freeze({ clientBodyTimeout: 60_000, clientSendTimeout: 60_000 })

/**
 * Watches one exchange's waits on its client. Timers are made on the first wait and re-armed with
 * `refresh()` after that (a wait costs no allocation); a timer that fires while no wait is on does
 * nothing.
 * @internal
 */
export class ClientWatch {
  readonly #res: ServerResponse
  readonly #timeouts: ClientTimeouts
  readonly #onStall: (error: ClientTimeoutError) => void
  #bodyTimer: NodeJS.Timeout | undefined
  #sendTimer: NodeJS.Timeout | undefined
  #awaitingBody = false
  #awaitingReader = false
  /** What waited for the client when the send wait (re)started: less of it later means the client read. */
  #sendMark = 0
  #stopped = false

  constructor(res: ServerResponse, timeouts: ClientTimeouts, onStall: (error: ClientTimeoutError) => void) {
    this.#res = res
    this.#timeouts = timeouts
    this.#onStall = onStall
  }

  /** Whether the exchange waits on its client now (its body, or its reading of the response). */
  get awaitingClient(): boolean {
    return this.#awaitingBody || this.#awaitingReader
  }

  /** The exchange waits for the client's next body bytes: `clientBodyTimeout` starts (again). */
  awaitBody(): void {
    if (this.#stopped) return
    this.#awaitingBody = true
    if (this.#bodyTimer === undefined) this.#bodyTimer = setTimeout(bodyTimerFired, this.#timeouts.clientBodyTimeout, this).unref()
    else this.#bodyTimer.refresh()
  }

  /** Body bytes came, or the wait is no longer the client's (the member pushes back, the body is over). */
  bodyMoved(): void {
    this.#awaitingBody = false
  }

  /** The response waits for the client to read: `clientSendTimeout` starts (again). */
  awaitReader(): void {
    if (this.#stopped) return
    this.#awaitingReader = true
    this.#sendMark = this.#res.writableLength
    if (this.#sendTimer === undefined) this.#sendTimer = setTimeout(sendTimerFired, this.#timeouts.clientSendTimeout, this).unref()
    else this.#sendTimer.refresh()
  }

  /** The client read what waited for it. */
  readerMoved(): void {
    this.#awaitingReader = false
  }

  /** The exchange is over: no timer fires after this. */
  stop(): void {
    this.#stopped = true
    this.#awaitingBody = false
    this.#awaitingReader = false
    if (this.#bodyTimer !== undefined) clearTimeout(this.#bodyTimer)
    if (this.#sendTimer !== undefined) clearTimeout(this.#sendTimer)
  }

  /** @internal */
  bodyTimerFired(): void {
    if (!this.#awaitingBody || this.#stopped) return
    this.#awaitingBody = false
    this.#onStall(new ClientTimeoutError('body', this.#timeouts.clientBodyTimeout))
  }

  /** @internal */
  sendTimerFired(): void {
    if (!this.#awaitingReader || this.#stopped) return
    const res = this.#res
    if (res.writableFinished || res.destroyed) return
    const waiting = res.writableLength
    if (waiting < this.#sendMark) {
      // The client read part of it (a slow reader, not a stalled one): the timeout starts again.
      this.awaitReader()
      return
    }
    this.#awaitingReader = false
    this.#onStall(new ClientTimeoutError('send', this.#timeouts.clientSendTimeout))
  }
}

function bodyTimerFired(watch: ClientWatch): void {
  watch.bodyTimerFired()
}

function sendTimerFired(watch: ClientWatch): void {
  watch.sendTimerFired()
}
