/**
 * The one place error answers are rendered, for requests (`ServerResponse`) and for upgrade and
 * CONNECT requests (the raw socket Node hands over after its `'upgrade'` and `'connect'` events).
 *
 * The shape is Koa's `ctx.onerror`: once the response has started, the only honest answer is to
 * cut it (the client sees an aborted response); before, the host's error handler gets the error
 * (`next(err)`: Express and Koa render it as they render their own), and without one the client
 * gets a short plain-text answer. The message is shown only when the error is `expose`d, and no
 * error message ever carries text the client sent (see docs/errors.md).
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { LbError } from './errors.js'
import type { NextFunction } from './types.js'

/** The plain-text body of an error answer: `503 Service Unavailable`, and `: message` when exposed. */
export function errorBody(error: LbError): string {
  const reason = STATUS_CODES[error.statusCode] ?? 'Error'
  return `${error.statusCode} ${reason}${error.expose ? `: ${error.message}` : ''}\n`
}

/** Response headers an error carries (`Allow` on a 405), as Express and Koa read them from `err.headers`. */
function headersOf(error: LbError): Readonly<Record<string, string>> | undefined {
  return (error as { headers?: Readonly<Record<string, string>> }).headers
}

/**
 * Answers a request that failed: cuts a response that has started, else passes the error to
 * `next` when the host has an error handler, else writes {@link writeError}.
 *
 * @example
 * ```ts
 * failResponse(res, next, new NoMemberError())   // Express: next(err); node:http: 503 Service Unavailable
 * ```
 */
export function failResponse(res: ServerResponse, next: NextFunction | undefined, error: LbError): void {
  if (res.headersSent) {
    if (!res.destroyed) res.destroy()
    return
  }
  if (next) next(error)
  else writeError(res, error)
}

/**
 * Closes the client's connection after the answer to this request, whoever writes it (Node
 * honours `shouldKeepAlive` even after an error handler cleared the headers): for a request whose
 * framing is in doubt or whose body is left unread.
 */
export function closeAfter(res: ServerResponse): void {
  if (res.headersSent) return
  res.shouldKeepAlive = false
  res.setHeader('connection', 'close')
}

/** Writes the plain-text answer of `error` (with its headers, such as `Allow`). Does nothing once the response has started. */
export function writeError(res: ServerResponse, error: LbError): void {
  if (res.headersSent || res.destroyed) return
  const body = errorBody(error)
  const headers: Record<string, string | number> = { ...headersOf(error), 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }
  res.writeHead(error.statusCode, headers)
  res.end(body)
}

/**
 * Answers on the raw socket of an upgrade or CONNECT request (there is no `ServerResponse`): a
 * small HTTP/1.1 answer with the error's headers (`Allow` on a 405), then the socket is closed.
 * Does nothing on a socket that is already gone.
 *
 * @example
 * ```ts
 * server.on('upgrade', (req, socket) => writeRawError(socket, new NotImplementedError('no upgrades here')))
 * ```
 */
export function writeRawError(socket: Duplex, error: LbError): void {
  if (socket.destroyed || !socket.writable) return
  const reason = STATUS_CODES[error.statusCode] ?? 'Error'
  const body = errorBody(error)
  let extra = ''
  const headers = headersOf(error)
  if (headers !== undefined) {
    for (const [name, value] of Object.entries(headers)) if (name !== 'connection') extra += `${canonical(name)}: ${value}\r\n`
  }
  socket.end(
    `HTTP/1.1 ${error.statusCode} ${reason}\r\nConnection: close\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
  // A client that never reads its answer must not hold the socket.
  setTimeout(() => socket.destroy(), 2_000).unref()
}

/** `allow` → `Allow`, `retry-after` → `Retry-After`: header names as servers usually write them. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase())
}
