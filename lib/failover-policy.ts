/**
 * Which failures count against a member, and which requests may be sent again: the rules in one
 * pure function, so they can be read (and tested) apart from the forwarding loop.
 *
 * | failure | counts against the member | may be sent to another member |
 * |---|---|---|
 * | connect refused / timed out | yes | yes: nothing of the request was sent |
 * | `failOnStatus` answer (declined before reaching the client) | yes | yes: only repeatable requests are declined |
 * | reset before any response byte | no: a keep-alive socket the member had just closed looks the same | repeatable requests, with `retryIdempotent` |
 * | timeout, protocol fault | yes | no |
 * | the client's fault (400, 431, 501 found while encoding) | no | no |
 * | anything once the response head reached the client | as above | never |
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { LbError } from './errors.js'

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** An idempotent request without a body: sending it again cannot do harm or lose data. */
export function isRepeatable(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return IDEMPOTENT.has(req.method ?? 'GET') && req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')
}

export interface FailureVerdict {
  /** The code to record against the member, or `undefined` when the failure does not count. */
  readonly memberCode: string | undefined
  /** Whether the request may go to another member (when nothing reached the client yet). */
  readonly repeatable: boolean
  /** The request itself is at fault: not an error of the member, not worth a warning. */
  readonly clientFault?: boolean
}

export function judgeFailure(error: LbError, req: IncomingMessage, retryIdempotent: boolean): FailureVerdict {
  switch (error.code) {
    case 'LB_ERR_UPSTREAM_CONNECT':
      return { memberCode: error.code, repeatable: true }
    case 'LB_ERR_UPSTREAM_STATUS':
      return { memberCode: 'LB_ERR_FAIL_ON_STATUS', repeatable: true }
    case 'LB_ERR_UPSTREAM_RESET':
      return { memberCode: undefined, repeatable: retryIdempotent && isRepeatable(req) }
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
