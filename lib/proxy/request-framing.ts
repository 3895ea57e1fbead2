/**
 * How the member-bound request's body is framed: from what the client actually sent, never from
 * what a library would choose for the method.
 *
 * A request body reaches a member in exactly one of three ways: with the client's exact
 * `Content-Length`, chunked when the client sent `Transfer-Encoding: chunked` (its length is not
 * known before the end), or not at all. Node's `ClientRequest` frames a body it is not told about
 * by the method: `POST`/`PUT` chunked, `GET`/`HEAD`/`DELETE`/`OPTIONS` not at all, so their body
 * bytes would follow the head raw, and a keep-alive member would read them as the start of the
 * next request on that connection (request smuggling); http-proxy-3 adds `Content-Length: 0` to a
 * `DELETE`/`OPTIONS` without one, with the same effect. Every transport therefore writes the
 * framing decided here, whatever the method and whatever the member-bound headers say.
 *
 * The client's framing was checked before (`checkRequest` and Node's parser: never both
 * `Content-Length` and `Transfer-Encoding`, one decimal `Content-Length`, `chunked` last); this
 * checks again, since a transport may be handed a request by other code.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import { BadRequestError } from '../errors.js'

/**
 * The client's `Content-Length` (the body's exact length in bytes, 0 included), `'chunked'` when
 * the length is known only at the end, or `'none'`: neither header, so no body.
 */
export type RequestFraming = number | 'chunked' | 'none'

const DECIMAL = /^\d{1,15}$/

/**
 * The framing of the client's request body, as its parser read it.
 *
 * @throws BadRequestError when `Content-Length` and `Transfer-Encoding` come together, or the
 * `Content-Length` is not one decimal number.
 *
 * @example
 * ```ts
 * requestFraming({ 'content-length': '12' })          // 12
 * requestFraming({ 'transfer-encoding': 'chunked' })  // 'chunked'
 * requestFraming({})                                  // 'none'
 * ```
 */
export function requestFraming(headers: IncomingHttpHeaders): RequestFraming {
  const length = headers['content-length']
  if (headers['transfer-encoding'] !== undefined) {
    if (length !== undefined) throw new BadRequestError('a request with both Transfer-Encoding and Content-Length')
    return 'chunked'
  }
  if (length === undefined) return 'none'
  if (!DECIMAL.test(length)) throw new BadRequestError('an invalid Content-Length')
  return Number(length)
}

/**
 * Whether body bytes follow the head: a non-zero length, or chunked.
 *
 * @example
 * ```ts
 * framesBody(requestFraming(req.headers)) // false for a GET without a body, or with Content-Length: 0
 * ```
 */
export function framesBody(framing: RequestFraming): boolean {
  return framing === 'chunked' || (framing !== 'none' && framing > 0)
}

/**
 * The framing of the member-bound body: the exact length of `body` when the balancer holds the
 * body's bytes (read for retries, or rebuilt from a body parser's result: see consumed-body.ts),
 * otherwise the client's own framing. A held body is never sent with the client's framing: a
 * rebuilt one may be longer or shorter than the client's `Content-Length`, or the client's body
 * came chunked.
 *
 * @example
 * ```ts
 * exchangeFraming({ 'transfer-encoding': 'chunked' }, Buffer.from('{"a":1}'))   // 7
 * exchangeFraming({ 'content-length': '12' }, undefined)                           // 12
 * ```
 */
export function exchangeFraming(headers: IncomingHttpHeaders, body: Buffer | undefined): RequestFraming {
  return body !== undefined ? body.length : requestFraming(headers)
}
