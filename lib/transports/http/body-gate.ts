/**
 * Holds a client request body back until the member's connection is up.
 *
 * http-proxy-3 pipes the body into the upstream request at once; Node buffers those bytes until
 * the socket connects, and they are lost when it never does. Reading nothing until the connection
 * exists keeps the body intact, so a request that hit a dead member can still go to another one.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'

export class BodyGate extends PassThrough {
  #source: IncomingMessage
  #opened = false
  /** Body bytes that went through the gate (= bytes taken from the client). */
  bytes = 0

  constructor(source: IncomingMessage) {
    super()
    this.#source = source
  }

  get opened(): boolean {
    return this.#opened
  }

  /** Starts moving the body; `pipe` keeps backpressure with the upstream request. */
  open(): void {
    if (this.#opened) return
    this.#opened = true
    this.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length
    })
    this.#source.pipe(this)
  }

  /** Detaches from the client request without consuming more of it. */
  release(): void {
    if (this.#opened) this.#source.unpipe(this)
  }
}
