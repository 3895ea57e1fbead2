/**
 * The admin surface's HTTP plumbing: answering with its fixed security headers, and reading a
 * bounded request body (JSON or a form) without destroying the socket that must carry the refusal.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AdminError } from '../errors.js'
import { endAfterDraining } from '../net/lingering-end.js'
import { shownValue } from './shown-value.js'

/** Largest request body the admin surface reads. */
export const MAX_BODY = 64 * 1024

/** The decoded path (`/` when empty) and the query of a request URL. */
export function splitUrl(url: string): { pathname: string; query: URLSearchParams } {
  const q = url.indexOf('?')
  const rawPath = q < 0 ? url : url.slice(0, q)
  let pathname = rawPath
  try {
    pathname = decodeURIComponent(rawPath)
  } catch {
    // Keep the raw path; it will not match a route.
  }
  return { pathname: pathname === '' ? '/' : pathname, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) }
}

/** Who sent a request, for audit lines: the socket's address and any `X-Forwarded-For`. */
export function clientOf(req: IncomingMessage): { client: string; forwardedFor?: string } {
  const xff = req.headers['x-forwarded-for']
  return { client: req.socket?.remoteAddress ?? 'unknown', ...(xff ? { forwardedFor: Array.isArray(xff) ? xff.join(', ') : xff } : {}) }
}

/** Headers of every admin answer. */
export const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
}

/** Answers with the admin headers; a 413 or 421 closes the connection after a lingering read. */
export function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  // A body left unread (413, 421) must not be read as the next request: answer at once, then read
  // and discard the rest for a bounded while before closing, so no reset takes the answer with it.
  const closing = status === 413 || status === 421
  if (closing) headers = { ...headers, connection: 'close' }
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...headers })
  if (closing && res.req) endAfterDraining(res.req, res, body)
  else res.end(body)
}

/** Reads a JSON or form body (or what a body parser left), refusing others with 415 and large ones with 413. */
export async function readBody(req: IncomingMessage): Promise<{ type: 'json' | 'form' | 'none'; value: unknown }> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  const kind = type === 'application/json' ? 'json' : type === 'application/x-www-form-urlencoded' ? 'form' : 'none'
  // A body parser (express.json(), express.urlencoded()) may have read it already.
  const parsed = req as IncomingMessage & { _body?: boolean; body?: unknown }
  if (parsed._body === true && parsed.body !== undefined) return { type: kind === 'none' ? 'json' : kind, value: parsed.body }
  if (req.readableEnded) return { type: 'none', value: undefined }
  const text = (await readAtMost(req, MAX_BODY)).toString('utf8')
  if (text.length === 0) return { type: 'none', value: undefined }
  if (kind === 'json') {
    try {
      return { type: 'json', value: JSON.parse(text) as unknown }
    } catch {
      throw new AdminError('LB_ERR_ADMIN_INVALID', 'body: is not valid JSON', { field: 'body' })
    }
  }
  if (kind === 'form') return { type: 'form', value: text }
  throw new AdminError('LB_ERR_ADMIN_UNSUPPORTED_TYPE', `content-type must be application/json or application/x-www-form-urlencoded, got ${shownValue(type || 'none')}`, { field: 'content-type' })
}

/**
 * Reads the whole body, refusing one over `limit` bytes with 413 as soon as its `Content-Length`
 * or the bytes read so far say so. The request is never destroyed here (that would take the socket,
 * and the 413, with it): reading stops, and the refusal is answered with `Connection: close` by a
 * lingering close (`endAfterDraining`) that discards what still arrives for a bounded while.
 */
function readAtMost(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (): AdminError => new AdminError('LB_ERR_ADMIN_TOO_LARGE', `the request body is larger than ${limit} bytes`, { field: 'body' })
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        stop()
        req.pause()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      stop()
      resolve(Buffer.concat(chunks, size))
    }
    const onError = (err: Error): void => {
      stop()
      reject(err)
    }
    const onClose = (): void => {
      stop()
      reject(new Error('the client went away before its request body was complete'))
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

/** A form body (text or a body parser's object) as first-value-per-name fields. */
export function formFields(value: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (typeof value === 'string') {
    for (const [k, v] of new URLSearchParams(value)) if (!(k in out)) out[k] = v
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) out[k] = Array.isArray(v) ? String(v[0]) : String(v)
  }
  return out
}

