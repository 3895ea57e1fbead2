/**
 * One TCP connection to a Tomcat AJP connector, carrying one exchange at a time.
 *
 * The connection owns the socket and the response parser; whoever drives an exchange attaches a
 * {@link ConnectionListener} and pulls messages from {@link AjpConnection.parser}. While nobody is
 * attached the connection is idle: any byte from the member then is a protocol violation and the
 * socket is destroyed (a pooled socket must be silent).
 *
 * @module
 */
import { connect, type Socket } from 'node:net'
import { UpstreamConnectError, UpstreamTimeoutError, UpstreamProtocolError, type LbError } from '../../errors.js'
import { CPING_PACKET } from './constants.js'
import { AjpProtocolError } from './errors.js'
import { AjpResponseParser } from './response-decoder.js'

/** What the driver of an exchange hears from its connection. */
export interface ConnectionListener {
  /** New bytes were pushed into the parser. */
  onData(): void
  /** The socket closed (or failed); `err` is the socket error, if any. */
  onClose(err: Error | undefined): void
  /** No socket activity for the time given to {@link AjpConnection.setTimer}. */
  onTimeout(): void
}

/** @internal */
export class AjpConnection {
  readonly parser: AjpResponseParser
  /** Exchanges completed on this socket; > 0 means the socket is being reused. */
  exchanges = 0
  /** When the connection last became idle (ms since epoch). */
  idleSince = 0

  readonly #socket: Socket
  #listener: ConnectionListener | undefined
  #error: Error | undefined
  #closed = false
  /** The inactivity timeout in force on the socket (ms; 0 = none). */
  #timeout = 0
  readonly #onClosed: (conn: AjpConnection) => void

  private constructor(socket: Socket, packetSize: number, onClosed: (conn: AjpConnection) => void) {
    this.#socket = socket
    this.parser = new AjpResponseParser(packetSize)
    this.#onClosed = onClosed
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => {
      this.parser.push(chunk)
      if (this.#listener) this.#listener.onData()
      else socket.destroy() // unsolicited bytes on an idle socket
    })
    socket.on('error', (err) => {
      this.#error ??= err
    })
    socket.on('timeout', () => {
      if (this.#listener) this.#listener.onTimeout()
      else socket.destroy() // idle timeout
    })
    socket.on('close', () => {
      this.#closed = true
      const listener = this.#listener
      this.#listener = undefined
      this.#onClosed(this)
      listener?.onClose(this.#error)
    })
  }

  /**
   * Opens a connection.
   *
   * @throws UpstreamConnectError when the member refuses or does not accept within `timeoutMs`.
   */
  static open(host: string, port: number, timeoutMs: number, packetSize: number, onClosed: (conn: AjpConnection) => void): Promise<AjpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new UpstreamConnectError(`could not connect to ${host}:${port} within ${timeoutMs} ms`))
      }, timeoutMs)
      const onError = (err: Error): void => {
        clearTimeout(timer)
        const code = (err as { code?: string }).code ?? 'ECONNREFUSED'
        reject(new UpstreamConnectError(`could not connect to ${host}:${port} (${code})`, err))
      }
      socket.once('error', onError)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.off('error', onError)
        resolve(new AjpConnection(socket, packetSize, onClosed))
      })
    })
  }

  /** Whether the socket is open. */
  get alive(): boolean {
    return !this.#closed && !this.#socket.destroyed
  }

  attach(listener: ConnectionListener): void {
    this.#listener = listener
  }

  detach(): void {
    this.#listener = undefined
  }

  write(data: Uint8Array): boolean {
    return this.#socket.write(data)
  }

  /** Writes a data packet head and its chunk in one syscall, without copying the chunk. */
  writeBody(head: Uint8Array, chunk: Uint8Array): boolean {
    this.#socket.cork()
    this.#socket.write(head)
    const ok = this.#socket.write(chunk)
    this.#socket.uncork()
    return ok
  }

  /** Calls `fn` once the socket's write buffer has drained. */
  onceDrain(fn: () => void): void {
    this.#socket.once('drain', fn)
  }

  pauseReading(): void {
    this.#socket.pause()
  }

  resumeReading(): void {
    this.#socket.resume()
  }

  /**
   * Arms the inactivity timer (any read or write re-arms it); 0 disables it. Setting the value it
   * already has does nothing: the socket's own reads and writes keep the timer fresh, and
   * `socket.setTimeout` allocates a new timer on every call (with the default `replyTimeout` equal
   * to `idleTimeout`, an exchange on a pooled connection calls it not at all).
   */
  setTimer(ms: number): void {
    const value = ms === Infinity ? 0 : ms
    if (value === this.#timeout) return
    this.#timeout = value
    this.#socket.setTimeout(value)
  }

  /** Starts the inactivity timer afresh after it ran out unheeded (a fired timer re-arms on the next read or write only). */
  restartTimer(): void {
    if (this.#timeout > 0) this.#socket.setTimeout(this.#timeout)
  }

  destroy(): void {
    this.#socket.destroy()
  }

  /**
   * CPING/CPONG on an idle connection.
   *
   * @throws UpstreamTimeoutError without CPONG within `timeoutMs`; UpstreamProtocolError or the
   * socket's failure otherwise. The connection is destroyed on any failure.
   */
  cping(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (err: LbError): void => {
        this.detach()
        this.setTimer(0)
        this.destroy()
        reject(err)
      }
      this.attach({
        onData: () => {
          let msg
          try {
            msg = this.parser.next()
          } catch (err) {
            fail(new UpstreamProtocolError('invalid answer to CPING', err))
            return
          }
          if (msg === undefined) return
          if (msg.type !== 'cpong' || this.parser.buffered > 0) {
            fail(new UpstreamProtocolError('invalid answer to CPING', new AjpProtocolError('AJP_ERR_UNEXPECTED_MESSAGE', `expected CPONG, got ${msg.type}`)))
            return
          }
          this.detach()
          this.setTimer(0)
          resolve()
        },
        onClose: (err) => fail(new UpstreamConnectError('the member closed the connection during CPING', err)),
        onTimeout: () => fail(new UpstreamTimeoutError(`no CPONG within ${timeoutMs} ms`)),
      })
      this.setTimer(timeoutMs)
      this.write(CPING_PACKET)
    })
  }
}
