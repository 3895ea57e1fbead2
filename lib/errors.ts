/**
 * Typed errors with stable codes.
 *
 * Match on `err.code`, never on the message: codes are part of the public contract and listed in
 * `docs/errors.md`. Every error keeps the low-level failure as `cause`.
 *
 * @module
 */

/** Every error code this library throws or passes to `next(err)`. */
export type LbErrorCode =
  | 'LB_ERR_INVALID_OPTION'
  | 'LB_ERR_NO_MEMBER'
  | 'LB_ERR_STICKY_MEMBER_UNAVAILABLE'
  | 'LB_ERR_UPSTREAM_CONNECT'
  | 'LB_ERR_UPSTREAM_TIMEOUT'
  | 'LB_ERR_UPSTREAM_RESET'
  | 'LB_ERR_UPSTREAM_PROTOCOL'
  | 'LB_ERR_BAD_REQUEST'
  | 'LB_ERR_HEADERS_TOO_LARGE'
  | 'LB_ERR_CLOSED'
  | 'LB_ERR_CLIENT_ABORTED'
  | 'LB_ERR_NOT_IMPLEMENTED'
  | 'LB_ERR_UPSTREAM_STATUS'

const BRAND = Symbol.for('sticky-balancer.LbError')

/**
 * Base class of every error raised by the balancer.
 *
 * `statusCode` is the HTTP status a client is answered with; `expose` says whether the message may
 * be shown to the client (never true for upstream failures, whose messages name internal addresses).
 */
export class LbError extends Error {
  readonly code: LbErrorCode
  readonly statusCode: number
  readonly expose: boolean

  constructor(code: LbErrorCode, message: string, statusCode: number, options?: { cause?: unknown; expose?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LbError'
    this.code = code
    this.statusCode = statusCode
    this.expose = options?.expose ?? false
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** `instanceof` that also works across two loaded copies of the package (ESM + CJS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/** An option failed validation at construction; the message names the option. */
export class InvalidOptionError extends LbError {
  constructor(message: string) {
    super('LB_ERR_INVALID_OPTION', message, 500)
    this.name = 'InvalidOptionError'
  }
}

/** No member can take the request (all stopped, in error, or the balancer is empty): 503. */
export class NoMemberError extends LbError {
  constructor(message = 'no balancer member is available', cause?: unknown) {
    super('LB_ERR_NO_MEMBER', message, 503, { cause })
    this.name = 'NoMemberError'
  }
}

/** Forced stickiness: the session's member cannot take the request and failover is off: 503. */
export class StickyMemberUnavailableError extends LbError {
  constructor(route: string) {
    super('LB_ERR_STICKY_MEMBER_UNAVAILABLE', `the member of route "${route}" is unavailable and sticky.force is on`, 503)
    this.name = 'StickyMemberUnavailableError'
  }
}

/** The member refused or did not accept the connection in time: 503 (retried on another member when safe). */
export class UpstreamConnectError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_CONNECT', message, 503, { cause })
    this.name = 'UpstreamConnectError'
  }
}

/** The member accepted the request but did not answer in time: 504. */
export class UpstreamTimeoutError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_TIMEOUT', message, 504, { cause })
    this.name = 'UpstreamTimeoutError'
  }
}

/** The member closed or reset the connection before a complete answer: 502. */
export class UpstreamResetError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_RESET', message, 502, { cause })
    this.name = 'UpstreamResetError'
  }
}

/** The member answered with something that is not valid protocol (bad HTTP, bad AJP): 502. */
export class UpstreamProtocolError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_PROTOCOL', message, 502, { cause })
    this.name = 'UpstreamProtocolError'
  }
}

/**
 * The member answered with a status listed in `failOnStatus` and the balancer declined the answer
 * to try another member (nginx `proxy_next_upstream http_503`). Its `statusCode` is the member's.
 */
export class UpstreamStatusError extends LbError {
  readonly upstreamStatus: number
  constructor(status: number) {
    super('LB_ERR_UPSTREAM_STATUS', `the member answered ${status}`, status)
    this.name = 'UpstreamStatusError'
    this.upstreamStatus = status
  }
}

/** The client's request cannot be forwarded as it is (bad header bytes, smuggling shapes): 400. */
export class BadRequestError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_BAD_REQUEST', message, 400, { cause, expose: true })
    this.name = 'BadRequestError'
  }
}

/** The request's headers do not fit what the member's protocol can carry: 431. */
export class HeadersTooLargeError extends LbError {
  constructor(message: string) {
    super('LB_ERR_HEADERS_TOO_LARGE', message, 431, { expose: true })
    this.name = 'HeadersTooLargeError'
  }
}

/** The request needs something the member's protocol cannot do (an upgrade over AJP): 501. */
export class NotImplementedError extends LbError {
  constructor(message: string) {
    super('LB_ERR_NOT_IMPLEMENTED', message, 501, { expose: true })
    this.name = 'NotImplementedError'
  }
}

/** The balancer was closed; it takes no new requests: 503. */
export class BalancerClosedError extends LbError {
  constructor() {
    super('LB_ERR_CLOSED', 'the balancer is closed', 503)
    this.name = 'BalancerClosedError'
  }
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'ETIMEDOUT_CONNECT'])
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'])
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/**
 * Maps any transport failure to the one gateway error a client should see.
 *
 * The single place where low-level codes become statuses: connect failures → 503, timeouts → 504,
 * resets and protocol faults → 502. An {@link LbError} passes through unchanged.
 */
export function toGatewayError(err: unknown): LbError {
  if (err instanceof LbError) return err
  const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : ''
  if (CONNECT_CODES.has(code)) return new UpstreamConnectError(`could not connect to the member (${code})`, err)
  if (TIMEOUT_CODES.has(code)) return new UpstreamTimeoutError(`the member did not answer in time (${code})`, err)
  if (RESET_CODES.has(code)) return new UpstreamResetError(`the member closed the connection (${code})`, err)
  if (code.startsWith('HPE_') || code.startsWith('AJP_ERR_')) return new UpstreamProtocolError(`the member sent an invalid response (${code})`, err)
  return new UpstreamResetError(`the upstream exchange failed${code ? ` (${code})` : ''}`, err)
}
