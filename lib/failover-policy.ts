/**
 * Whose fault a failure is, whether it counts against the member, and which requests may be sent
 * again: the rules in one pure function, so they can be read (and tested) apart from the
 * forwarding loop.
 *
 * | failure | code | fault | marks the member failed | may be sent to another member |
 * |---|---|---|---|---|
 * | connect refused / timed out | `LB_ERR_UPSTREAM_CONNECT` | member | yes | yes: nothing of the request was sent |
 * | TLS handshake failed (untrusted certificate, client certificate refused) | `LB_ERR_UPSTREAM_TLS` | member | yes | when nothing was sent; otherwise as a reset |
 * | every pooled connection busy for `connectTimeout`, or the queue full | `LB_ERR_UPSTREAM_BUSY` | member (counted, busy not broken) | no | yes: nothing of the request was sent |
 * | `failOnStatus` answer (declined before reaching the client) | `LB_ERR_UPSTREAM_STATUS` | member | yes | yes: only repeatable requests are declined |
 * | member reset, before or during the answer | `LB_ERR_UPSTREAM_RESET` | member (counted) | no: a keep-alive socket the member had just closed looks the same | repeatable requests, with `retryIdempotent`; idempotent ones with a body buffered under `retryBodyLimit` |
 * | member silent for `timeout` while it owes the answer | `LB_ERR_UPSTREAM_TIMEOUT` | member | yes | no |
 * | protocol fault (bad status line, AJP fault) | `LB_ERR_UPSTREAM_PROTOCOL` | member | yes | no |
 * | the request is invalid (400, 431, 501 found while encoding; less body than its `Content-Length`) | `LB_ERR_BAD_REQUEST`, `LB_ERR_HEADERS_TOO_LARGE`, `LB_ERR_NOT_IMPLEMENTED` | request | no | no |
 * | the client closed its connection | `LB_ERR_CLIENT_ABORTED` | client | no | no |
 * | the client sent no body for `clientBodyTimeout`, or read nothing for `clientSendTimeout` | `LB_ERR_CLIENT_TIMEOUT` | client | no | no |
 * | anything once the response head reached the client | as above | as above | as above | never |
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

/**
 * Whose fault a failed exchange is:
 * - `member`: the member or the way to it; counted in the member's `errors`;
 * - `request`: the request itself is invalid; answered with the error's status, not a member error;
 * - `client`: the client went away or stalled; counted as a client abort, never a member error.
 */
export type Fault = 'member' | 'request' | 'client'

export interface FailureVerdict {
  /** Whose fault it is. */
  readonly fault: Fault
  /** The code to record against the member (marking it failed), or `undefined` when the failure does not. */
  readonly memberCode: string | undefined
  /** Whether the request may go to another member (when nothing reached the client yet). */
  readonly repeatable: boolean
  /** The request itself is at fault (`fault === 'request'`): not an error of the member, not worth a warning. */
  readonly clientFault?: boolean
}

/**
 * @param bodyBuffered the request's body was read in full before sending (`retryBodyLimit`), so an
 *   idempotent request with a body can be sent again too.
 */
export function judgeFailure(error: LbError, req: IncomingMessage, retryIdempotent: boolean, bodyBuffered = false): FailureVerdict {
  switch (error.code) {
    case 'LB_ERR_UPSTREAM_CONNECT':
      return { fault: 'member', memberCode: error.code, repeatable: true }
    case 'LB_ERR_UPSTREAM_BUSY':
      return { fault: 'member', memberCode: undefined, repeatable: true }
    case 'LB_ERR_UPSTREAM_TLS':
      return { fault: 'member', memberCode: error.code, repeatable: (error as UpstreamTlsError).nothingSent || (retryIdempotent && (isRepeatable(req) || (bodyBuffered && isIdempotent(req)))) }
    case 'LB_ERR_UPSTREAM_STATUS':
      return { fault: 'member', memberCode: 'LB_ERR_FAIL_ON_STATUS', repeatable: true }
    case 'LB_ERR_UPSTREAM_RESET':
      return { fault: 'member', memberCode: undefined, repeatable: retryIdempotent && (isRepeatable(req) || (bodyBuffered && isIdempotent(req))) }
    // The client's fault, found before anything was sent (headers too large for AJP, bytes AJP
    // cannot carry, an upgrade over AJP): the member is fine, and no other member would do better.
    case 'LB_ERR_BAD_REQUEST':
    case 'LB_ERR_HEADERS_TOO_LARGE':
    case 'LB_ERR_NOT_IMPLEMENTED':
      return { fault: 'request', memberCode: undefined, repeatable: false, clientFault: true }
    // The client went away or stalled (its body, or its reading of the answer): the member did
    // nothing wrong, and the exchange is over.
    case 'LB_ERR_CLIENT_ABORTED':
    case 'LB_ERR_CLIENT_TIMEOUT':
      return { fault: 'client', memberCode: undefined, repeatable: false }
    default:
      return { fault: 'member', memberCode: error.code, repeatable: false }
  }
}
