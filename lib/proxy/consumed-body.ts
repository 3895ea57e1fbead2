/**
 * A request body the host read before the balancer (a body parser mounted first: Express's
 * `express.json()`, `express.urlencoded()`, `express.text()`, `express.raw()`, koa-bodyparser): the
 * client's stream is over, so the member would wait for bytes that never come. What the parser left
 * is sent instead, as bytes framed by their own exact length, when it can stand for what the client
 * sent; otherwise the request fails at once with {@link BodyConsumedError}.
 *
 * | what the host left | sent to the member |
 * |---|---|
 * | `rawBody` (a `Buffer`, or a string in the request's charset), e.g. from a parser's `verify` hook or koa-bodyparser | those bytes, when their length is the client's `Content-Length` |
 * | `body` as a `Buffer` (`express.raw()`) | those bytes, when their length is the client's `Content-Length` |
 * | `body` as a string (`express.text()`), charset UTF-8, ISO-8859-1 or US-ASCII | the string encoded in that charset, when that is the client's `Content-Length` |
 * | `body` parsed from `application/json` or `*\/*+json`, charset UTF-8 | `JSON.stringify(body)` (a string body as long as the `Content-Length` is taken as the JSON text itself) |
 * | `body` parsed from `application/x-www-form-urlencoded`, charset UTF-8, every value a string or a list of strings | the pairs, form-encoded |
 * | anything else: multipart, other types and charsets, nested form fields, a `Content-Encoding` the parser decoded, a digest header over bytes that change, nothing parsed | refused |
 *
 * JSON and form bodies are rebuilt, not copied: the member sees the same data (as the application
 * left it in `req.body`), not the same bytes. A `Content-Type` is kept as the client sent it.
 *
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { BodyConsumedError } from '../errors.js'
import { framesBody, requestFraming } from './request-framing.js'

/** What the host's body parser left: `req.body`, and the raw bytes when it kept them. */
export interface ParsedBody {
  /** The parsed body (`req.body`, Koa's `ctx.request.body`). */
  readonly body?: unknown
  /** The body as received, when the host kept it (`req.rawBody`, koa-bodyparser's `ctx.request.rawBody`). */
  readonly rawBody?: unknown
}

/** How a consumed body was rebuilt, or why it could not be. */
export type RebuiltBody =
  | { readonly kind: 'bytes'; readonly bytes: Buffer; readonly from: 'rawBody' | 'raw' | 'text' | 'json' | 'urlencoded' }
  | { readonly kind: 'refused'; readonly reason: string }

/**
 * Whether the host has read from the request's stream (a body parser ran before the balancer).
 * Two property reads: it runs on every request.
 */
export function bodyWasRead(req: IncomingMessage): boolean {
  return req.readableDidRead || req.readableEnded
}

/**
 * The body to send for a request whose stream the host read: `undefined` when the request frames
 * no body (nothing to send), the rebuilt bytes, or a {@link BodyConsumedError} saying why not.
 */
export function consumedBody(req: IncomingMessage, parsed: ParsedBody): Buffer | undefined | BodyConsumedError {
  if (!framesBody(requestFraming(req.headers))) return undefined
  const rebuilt = rebuildBody(req.headers, parsed)
  return rebuilt.kind === 'bytes' ? rebuilt.bytes : new BodyConsumedError(rebuilt.reason)
}

const DIGEST_HEADERS = ['content-md5', 'digest', 'content-digest', 'repr-digest'] as const

/**
 * Rebuilds the bytes of a consumed body from what the parser left (pure; see the module's table).
 *
 * @example
 * ```ts
 * rebuildBody({ 'content-type': 'application/json', 'content-length': '13' }, { body: { a: [1, 2] } })
 * // { kind: 'bytes', bytes: <Buffer '{"a":[1,2]}'>, from: 'json' }
 * rebuildBody({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': '200' }, { body: { name: 'x' } })
 * // { kind: 'refused', reason: 'a multipart body cannot be rebuilt from req.body' }
 * ```
 */
export function rebuildBody(headers: IncomingHttpHeaders, parsed: ParsedBody): RebuiltBody {
  const coding = headers['content-encoding']
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    return refused('the body had a Content-Encoding, which the parser decoded')
  }
  const contentType = headers['content-type'] ?? ''
  const semicolon = contentType.indexOf(';')
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  const charset = charsetOf(contentType)
  const length = contentLengthOf(headers)
  const { body, rawBody } = parsed

  if (rawBody !== undefined) {
    const bytes = exactBytes(rawBody, charset)
    if (typeof bytes === 'string') return refused(`rawBody ${bytes}`)
    if (length !== undefined && bytes.length !== length) return refused('rawBody is not as long as the Content-Length the client sent')
    return { kind: 'bytes', bytes, from: 'rawBody' }
  }
  const isJson = mediaType === 'application/json' || (mediaType.endsWith('+json') && mediaType.includes('/'))
  if (typeof body === 'string' && isJson) {
    // The text parser's copy of the JSON, or a JSON string a non-strict JSON parser returned: only
    // the length tells (a JSON string's text is at least its quotes longer).
    const text = exactBytes(body, charset)
    if (typeof text !== 'string' && length !== undefined && text.length === length) return { kind: 'bytes', bytes: text, from: 'text' }
    if (length === undefined) return refused('a string req.body of a chunked JSON request may be the JSON text or a JSON string')
  } else if (Buffer.isBuffer(body) || body instanceof Uint8Array || typeof body === 'string') {
    const bytes = exactBytes(body, charset)
    if (typeof bytes === 'string') return refused(`req.body ${bytes}`)
    if (length !== undefined && bytes.length !== length) return refused('req.body is not as long as the Content-Length the client sent')
    return { kind: 'bytes', bytes, from: typeof body === 'string' ? 'text' : 'raw' }
  }
  if (mediaType.startsWith('multipart/')) return refused('a multipart body cannot be rebuilt from req.body')
  if (body === undefined) return refused('the host left no req.body')
  const isForm = mediaType === 'application/x-www-form-urlencoded'
  if (!isJson && !isForm) return refused('req.body is parsed data, and only JSON and urlencoded data can be serialised again')
  // Rebuilt bytes differ from the client's: a digest of them would not match any more.
  if (DIGEST_HEADERS.some((name) => headers[name] !== undefined)) return refused('a digest header covers bytes that serialising again would change')
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return refused('JSON and urlencoded data are serialised again only as UTF-8')
  if (isJson) {
    let text: string | undefined
    try {
      text = JSON.stringify(body)
    } catch {
      return refused('req.body cannot be serialised as JSON')
    }
    if (text === undefined) return refused('req.body cannot be serialised as JSON')
    return { kind: 'bytes', bytes: Buffer.from(text, 'utf8'), from: 'json' }
  }
  const form = formBytes(body)
  return typeof form === 'string' ? refused(form) : { kind: 'bytes', bytes: form, from: 'urlencoded' }
}

function refused(reason: string): RebuiltBody {
  return { kind: 'refused', reason }
}

/** The `charset` parameter, lower case, or undefined. */
function charsetOf(contentType: string): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)
  return match?.[1]?.toLowerCase()
}

/** The client's `Content-Length`, or undefined (chunked: a length to check against is not known). */
function contentLengthOf(headers: IncomingHttpHeaders): number | undefined {
  const framing = requestFraming(headers)
  return typeof framing === 'number' ? framing : undefined
}

/** Node's name for a charset whose bytes a string can be encoded back to exactly; undefined for others. */
function encodingOf(charset: string | undefined): BufferEncoding | undefined {
  switch (charset) {
    case undefined:
    case 'utf-8':
    case 'utf8':
      return 'utf8'
    case 'iso-8859-1':
    case 'latin1':
    case 'us-ascii':
    case 'ascii':
      return 'latin1'
    default:
      return undefined
  }
}

/** The bytes of a Buffer, or of a string in `charset`; a reason (string) when not possible. */
function exactBytes(value: unknown, charset: string | undefined): Buffer | string {
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (typeof value !== 'string') return 'is neither a Buffer nor a string'
  const encoding = encodingOf(charset)
  if (encoding === undefined) return 'is text in a charset that cannot be encoded again here (UTF-8, ISO-8859-1, US-ASCII only)'
  return Buffer.from(value, encoding)
}

/** Form-encoded pairs of a flat object of strings and lists of strings; a reason (string) when it is not one. */
function formBytes(body: unknown): Buffer | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'urlencoded req.body is not an object of fields'
  const params = new URLSearchParams()
  for (const name of Object.keys(body)) {
    const value = (body as Record<string, unknown>)[name]
    if (typeof value === 'string') params.append(name, value)
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) for (const v of value) params.append(name, v)
    else return 'urlencoded req.body has a field that is not a string or a list of strings (nested fields cannot be written back as the client sent them)'
  }
  return Buffer.from(params.toString(), 'utf8')
}
