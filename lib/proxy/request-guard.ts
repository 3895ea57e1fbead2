/**
 * Request validation before anything is forwarded: the shapes a member could read differently
 * from us, and methods we do not pass on by default.
 *
 * Node's HTTP parser (llhttp) already answers 400 to most smuggling shapes (Content-Length with
 * Transfer-Encoding, two Content-Lengths, obs-fold, `chunked, identity`, bare LF, CR/LF/NUL in a
 * header) before a request reaches us. This guard repeats the cheap ones as defence in depth (a
 * host may run with `insecureHTTPParser`, or hand us requests from another server) and adds what
 * the parser accepts but a member may read otherwise:
 *
 * - `TRACE` is refused with 405 and `Allow` (httpd `TraceEnable off`): a member would echo the
 *   request, cookies and `Authorization` included (cross-site tracing).
 * - a request target that is not origin-form (`http://host/x`, `*`, `host:port`) is refused with
 *   400: the member would see a path we did not route by, or a host we did not choose.
 * - more than one `Host` (RFC 9112 §3.2: 400); Node keeps the first, a member may keep the last.
 * - a `Transfer-Encoding` whose final coding is not `chunked` (RFC 9112 §6.3: 400).
 * - a `Connection` header naming `Content-Length`, `Transfer-Encoding`, `Host` or a forwarding
 *   header (`X-Forwarded-*`, `Forwarded`, `Via`, `X-Real-IP` …; see connection-options.ts): 400.
 *   A named header is hop-by-hop and would be dropped: the body would lose its framing, or the
 *   member its view of who the client is (RFC 9110 §7.6.1 forbids naming such fields).
 * - more header lines than `maxHeaderCount` is refused with 431, as Envoy does. httpd's
 *   `LimitRequestFields`, Tomcat's `maxHeaderCount` and Envoy's `max_headers_count` are all 100;
 *   the default here is 90, so that with the headers the balancer adds (up to six:
 *   `X-Forwarded-For/-Host/-Proto/-Port`, `Via`, `Connection` or AJP's `Content-Length`) a request
 *   still fits Tomcat's 100, which answers 400 over HTTP and 500 over AJP beyond it.
 *   Node's parser keeps only the first `server.maxHeadersCount` headers (1000 unless set) and
 *   silently drops the rest, from `rawHeaders` too; a request that reaches that count may have lost
 *   headers, so it is refused as well, whatever `maxHeaderCount` says: a balancer must never
 *   forward a request with headers quietly missing. (Node 22.23.2, 24.18.1 and later answer such
 *   a request with 431 themselves, before it reaches us.)
 *
 * Pure: it reads the request, never writes. A refusal is an `LbError` (`BadRequestError` 400,
 * `MethodNotAllowedError` 405 with `Allow`, `HeadersTooLargeError` 431) answered like every other
 * error (lib/respond.ts: the host's error handler through `next(err)`, else plain text), with the
 * connection closed after a 400 or 431 (the framing is in doubt, or the body is left unread).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { BadRequestError, HeadersTooLargeError, MethodNotAllowedError } from '../errors.js'
import type { LbError } from '../errors.js'
import { refusedConnectionOption } from './connection-options.js'

/** Methods named in the `Allow` header of a refused TRACE. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH'

export interface RequestGuardOptions {
  /** Forward `TRACE` instead of answering 405 (httpd `TraceEnable on`). Default: `false`. */
  readonly allowTrace?: boolean
  /**
   * Most header lines a request may have; more are answered 431. Default:
   * {@link DEFAULT_MAX_HEADER_COUNT} (90).
   */
  readonly maxHeaderCount?: number
}

/**
 * Default of {@link RequestGuardOptions.maxHeaderCount}: Tomcat's `maxHeaderCount` (100) less the
 * up to six headers the balancer adds, with room to spare.
 */
export const DEFAULT_MAX_HEADER_COUNT = 90

/**
 * How many headers Node's parser keeps when `server.maxHeadersCount` is not set: 1000 (its parser
 * keeps 2000 name/value entries; the documented "2000" counts both).
 */
const NODE_DEFAULT_HEADERS_KEPT = 1000

/** What the guard reads of the request's socket: the server's `maxHeadersCount` (Node sets `socket.server`). */
interface GuardedSocket {
  readonly server?: { readonly maxHeadersCount?: number | null } | null
}

/** CR, LF or NUL: never valid in a name, value or target, and never forwarded. */
const FORBIDDEN_CHAR = /[\r\n\0]/
const DECIMAL = /^\d{1,15}$/

/**
 * Headers of a 400 or 431 refusal: the connection closes after the answer (its framing is in
 * doubt, or its body is left unread), whichever error handler writes it.
 */
export const CLOSE_CONNECTION: Readonly<Record<string, string>> = Object.freeze({ connection: 'close' })

function badRequest(reason: string): LbError {
  return new BadRequestError(reason, undefined, CLOSE_CONNECTION)
}

/**
 * The most header lines a request may carry before Node may have dropped some: the server's
 * `maxHeadersCount` (0 = Node keeps all), or Node's default when the server is unknown.
 */
function headersNodeKeeps(socket: unknown): number {
  const count = (socket as GuardedSocket | null | undefined)?.server?.maxHeadersCount
  if (typeof count !== 'number') return NODE_DEFAULT_HEADERS_KEPT
  return count > 0 ? count : Infinity
}

/**
 * Checks one request before it is forwarded.
 *
 * @param req - the request (its method, `rawHeaders` and its server's `maxHeadersCount` are read).
 * @param target - the request target as the client sent it: Express `req.originalUrl`, Koa
 * `ctx.originalUrl`, otherwise `req.url`.
 * @returns the error to answer with (its message is our own text, never the client's), or
 * `undefined` when the request may be forwarded.
 *
 * @example
 * ```ts
 * const refusal = checkRequest(req, req.url ?? '/')
 * if (refusal) return failResponse(res, next, refusal)   // e.g. MethodNotAllowedError for TRACE
 * ```
 */
export function checkRequest(
  req: Pick<IncomingMessage, 'method' | 'rawHeaders'> & { readonly socket?: unknown },
  target: string,
  options: RequestGuardOptions = {},
): LbError | undefined {
  const method = req.method ?? 'GET'
  if (method === 'TRACE' && options.allowTrace !== true) {
    return new MethodNotAllowedError(ALLOWED_METHODS, 'TRACE is not allowed')
  }
  if (target.charCodeAt(0) !== 0x2f /* / */) return badRequest('the request target must be a path (origin-form)')
  if (FORBIDDEN_CHAR.test(target)) return badRequest('the request target contains a CR, LF or NUL character')

  const raw = req.rawHeaders
  const count = raw.length >>> 1
  if (count > (options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT)) {
    return new HeadersTooLargeError('too many header lines', CLOSE_CONNECTION)
  }
  if (count >= headersNodeKeeps(req.socket)) {
    return new HeadersTooLargeError('too many header lines for the server\'s maxHeadersCount (some may have been dropped)', CLOSE_CONNECTION)
  }
  let hosts = 0
  let lengths = 0
  let length: string | undefined
  let encoding: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    if (FORBIDDEN_CHAR.test(name) || FORBIDDEN_CHAR.test(value)) return badRequest('a header contains a CR, LF or NUL character')
    // Only five names matter below; compare lengths first to keep the loop cheap.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host' && ++hosts > 1) return badRequest('more than one Host header')
        break
      case 10:
        if (name.toLowerCase() === 'connection' && refusedConnectionOption(value) !== undefined) {
          return badRequest('the Connection header names a header that must reach the member (framing, Host or a forwarding header)')
        }
        break
      case 14:
        if (name.toLowerCase() === 'content-length') {
          lengths++
          length = value.trim()
        }
        break
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') encoding = encoding === undefined ? value : `${encoding},${value}`
        break
    }
  }
  if (encoding !== undefined) {
    if (lengths > 0) return badRequest('a request with both Transfer-Encoding and Content-Length')
    const codings = encoding.split(',').map((c) => c.trim().toLowerCase()).filter(Boolean)
    if (codings.at(-1) !== 'chunked' || codings.indexOf('chunked') !== codings.length - 1) {
      return badRequest('a Transfer-Encoding whose final coding is not chunked')
    }
  }
  if (lengths > 1) return badRequest('more than one Content-Length header')
  if (length !== undefined && !DECIMAL.test(length)) return badRequest('an invalid Content-Length')
  return undefined
}
