/**
 * Answers on the raw socket of an upgrade request: after Node's 'upgrade' event there is no
 * `ServerResponse`, so errors are written as a small HTTP/1.1 response by hand.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { LbError } from '../errors.js'

/**
 * Writes `status` with a short plain-text body (the error's message only when it is `expose`d),
 * then closes the socket, with `headers` (such as `Allow` for a 405) before the body's. Does
 * nothing on a socket that is already gone.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, socket) => writeRawError(socket, new NotImplementedError('no upgrades here')))
 * ```
 */
export function writeRawError(socket: Duplex, error: LbError, headers: Readonly<Record<string, string>> = {}): void {
  if (socket.destroyed || !socket.writable) return
  const reason = STATUS_CODES[error.statusCode] ?? 'Error'
  const body = `${error.statusCode} ${reason}${error.expose ? `: ${error.message}` : ''}\n`
  let extra = ''
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`
  socket.end(
    `HTTP/1.1 ${error.statusCode} ${reason}\r\nConnection: close\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
  // A client that never reads its answer must not hold the socket.
  setTimeout(() => socket.destroy(), 2_000).unref()
}
