/**
 * Which failures count against a member, and which requests may be sent again: the rules in one
 * pure function, so they can be read (and tested) apart from the forwarding loop.
 *
 * | failure | counts against the member | may be sent to another member |
 * |---|---|---|
 * | connect refused / timed out | yes | yes: nothing of the request was sent |
 * | TLS handshake failed (untrusted certificate, client certificate refused) | yes | when nothing was sent; otherwise as a reset |
 * | every pooled connection busy for `connectTimeout`, or the queue full | no: the member is busy, not broken | yes: nothing of the request was sent |
 * | `failOnStatus` answer (declined before reaching the client) | yes | yes: only repeatable requests are declined |
 * | reset before any response byte | no: a keep-alive socket the member had just closed looks the same | repeatable requests, with `retryIdempotent`; idempotent ones with a body buffered under `retryBodyLimit` |
 * | timeout, protocol fault | yes | no |
 * | the client's fault (400, 431, 501 found while encoding) | no | no |
 * | anything once the response head reached the client | as above | never |
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { LbError, UpstreamTlsError } from './errors.js'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** A method that may be sent twice with the same effect (RFC 9110 §9.2.2). */
export function isIdempotent(req: IncomingMessage): boolean {
  return IDEMPOTENT.has(req.method ?? 'GET')
}

/** An idempotent request without a body: sending it again cannot do harm or lose data. */
export function isRepeatable(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return isIdempotent(req) && req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')
}

/**
 * Whether the balancer should read this request's body in full before sending it, so it can be
 * replayed: an idempotent method with a known, non-empty length of at most `limit` bytes.
 */
export function shouldBufferBody(req: IncomingMessage, limit: number): number | undefined {
  if (limit <= 0 || !isIdempotent(req) || req.headers['transfer-encoding'] !== undefined) return undefined
  const length = Number(req.headers['content-length'])
  return Number.isInteger(length) && length > 0 && length <= limit ? length : undefined
}

export interface FailureVerdict {
  /** The code to record against the member, or `undefined` when the failure does not count. */
  readonly memberCode: string | undefined
  /** Whether the request may go to another member (when nothing reached the client yet). */
  readonly repeatable: boolean
  /** The request itself is at fault: not an error of the member, not worth a warning. */
  readonly clientFault?: boolean
}

/**
 * @param bodyBuffered the request's body was read in full before sending (`retryBodyLimit`), so an
 *   idempotent request with a body can be sent again too.
 */
export function judgeFailure(error: LbError, req: IncomingMessage, retryIdempotent: boolean, bodyBuffered = false): FailureVerdict {
  switch (error.code) {
    case 'LB_ERR_UPSTREAM_CONNECT':
      return { memberCode: error.code, repeatable: true }
    case 'LB_ERR_UPSTREAM_BUSY':
      return { memberCode: undefined, repeatable: true }
    case 'LB_ERR_UPSTREAM_TLS':
      return { memberCode: error.code, repeatable: (error as UpstreamTlsError).nothingSent || (retryIdempotent && (isRepeatable(req) || (bodyBuffered && isIdempotent(req)))) }
    case 'LB_ERR_UPSTREAM_STATUS':
      return { memberCode: 'LB_ERR_FAIL_ON_STATUS', repeatable: true }
    case 'LB_ERR_UPSTREAM_RESET':
      return { memberCode: undefined, repeatable: retryIdempotent && (isRepeatable(req) || (bodyBuffered && isIdempotent(req))) }
    // The client's fault, found before anything was sent (headers too large for AJP, bytes AJP
    // cannot carry, an upgrade over AJP): the member is fine, and no other member would do better.
    case 'LB_ERR_BAD_REQUEST':
    case 'LB_ERR_HEADERS_TOO_LARGE':
    case 'LB_ERR_NOT_IMPLEMENTED':
      return { memberCode: undefined, repeatable: false, clientFault: true }
    default:
      return { memberCode: error.code, repeatable: false }
  }
}
