/**
 * Typed errors with stable codes.
 *
 * Match on `err.code`, never on the message: codes are part of the public contract and listed in
 * `docs/errors.md`. Every error keeps the low-level failure as `cause`.
 *
 * This file is long because it is the one catalogue: each class carries the documented example users
 * read in the API reference, and {@link toGatewayError} maps every low-level code in one place.
 *
 * @module
 */

/**
 * Every error code this library throws or passes to `next(err)`.
 *
 * @example
 * ```ts
 * balancer.on('exchange', (e) => {
 *   const code: LbErrorCode | undefined = e.error
 *   if (code === 'LB_ERR_UPSTREAM_TIMEOUT') slowPages.inc({ member: e.member.id })
 * })
 * ```
 */
export type LbErrorCode =
  | 'LB_ERR_INVALID_OPTION'
  | 'LB_ERR_NO_MEMBER'
  | 'LB_ERR_STICKY_MEMBER_UNAVAILABLE'
  | 'LB_ERR_UPSTREAM_CONNECT'
  | 'LB_ERR_UPSTREAM_TLS'
  | 'LB_ERR_UPSTREAM_BUSY'
  | 'LB_ERR_UPSTREAM_TIMEOUT'
  | 'LB_ERR_UPSTREAM_RESET'
  | 'LB_ERR_UPSTREAM_PROTOCOL'
  | 'LB_ERR_BAD_REQUEST'
  | 'LB_ERR_NOT_FOUND'
  | 'LB_ERR_METHOD_NOT_ALLOWED'
  | 'LB_ERR_PATH_OUTSIDE_MOUNT'
  | 'LB_ERR_HEADERS_TOO_LARGE'
  | 'LB_ERR_CLOSED'
  | 'LB_ERR_CLIENT_ABORTED'
  | 'LB_ERR_CLIENT_TIMEOUT'
  | 'LB_ERR_NOT_IMPLEMENTED'
  | 'LB_ERR_UPSTREAM_STATUS'
  | 'LB_ERR_HOOK'
  | 'LB_ERR_BODY_CONSUMED'
  | AdminErrorCode

/**
 * Codes of the admin surface's own refusals (its JSON `error.code`), each with one status: see
 * {@link AdminError} and docs/guide/admin.md.
 *
 * @example
 * ```ts
 * const res = await fetch('http://127.0.0.1:9090/balancer-manager/api/members/TomcatC')
 * const { error } = await res.json() as { error: { code: AdminErrorCode } }   // 'LB_ERR_ADMIN_NOT_FOUND'
 * ```
 */
export type AdminErrorCode =
  | 'LB_ERR_ADMIN_INVALID'
  | 'LB_ERR_ADMIN_UNSUPPORTED_TYPE'
  | 'LB_ERR_ADMIN_FORBIDDEN'
  | 'LB_ERR_ADMIN_NOT_FOUND'
  | 'LB_ERR_ADMIN_METHOD'
  | 'LB_ERR_ADMIN_READ_ONLY'
  | 'LB_ERR_ADMIN_TOO_LARGE'

/**
 * What `member.lastError.code` (and the `reason` of a `member:state` event into `error`) can be:
 * an error code of this library, a failure that is only the member's (`LB_ERR_FAIL_ON_STATUS`: a
 * `failOnStatus` answer; `LB_ERR_HEALTH_CHECK_*`: an active probe failed), or the socket error
 * code a probe met (`ECONNREFUSED`, a certificate error such as `UNABLE_TO_VERIFY_LEAF_SIGNATURE`).
 *
 * @example
 * ```ts
 * balancer.on('member:state', ({ member, health }) => {
 *   const code: MemberFailureCode | undefined = member.lastError?.code
 *   if (health === 'error' && code === 'LB_ERR_HEALTH_CHECK_TIMEOUT') console.warn(`${member.id} stopped answering its probe`)
 * })
 * ```
 */
export type MemberFailureCode =
  | LbErrorCode
  | 'LB_ERR_FAIL_ON_STATUS'
  | 'LB_ERR_HEALTH_CHECK_STATUS'
  | 'LB_ERR_HEALTH_CHECK_TIMEOUT'
  | 'LB_ERR_HEALTH_CHECK'
  // A socket errno (`ECONNREFUSED`, …) or TLS code; `string & {}` keeps the literals above suggested.
  | (string & {})

import { clientText } from './client-text.js'

const BRAND = Symbol.for('sticky-balancer.LbError')

/**
 * Base class of every error raised by the balancer.
 *
 * `statusCode` is the HTTP status a client is answered with; `expose` says whether the message may
 * be shown to the client (never true for upstream failures, whose messages name internal addresses).
 *
 * @example
 * ```ts
 * // Express: the balancer passes errors to next(err) while the response has not started.
 * app.use((err, req, res, next) => {
 *   if (!(err instanceof LbError)) return next(err)
 *   if (err.code === 'LB_ERR_NO_MEMBER') res.set('Retry-After', '30')
 *   res.status(err.statusCode).send(err.expose ? err.message : 'The application is unavailable, try again shortly.')
 * })
 * ```
 */
export class LbError extends Error {
  /** The stable code to match on (listed in docs/errors.md). */
  readonly code: LbErrorCode
  /** The HTTP status the client is answered with. */
  readonly statusCode: number
  /** Whether `message` may be shown to the client. */
  readonly expose: boolean
  /**
   * Response headers the answer must carry (`Allow` on a 405, `Connection: close` on a refused
   * request), read by Express's and Koa's error handling as `err.headers`.
   */
  readonly headers?: Readonly<Record<string, string>>

  constructor(code: LbErrorCode, message: string, statusCode: number, options?: { cause?: unknown; expose?: boolean; headers?: Readonly<Record<string, string>> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'LbError'
    this.code = code
    this.statusCode = statusCode
    this.expose = options?.expose ?? false
    if (options?.headers !== undefined) this.headers = options.headers
    Object.defineProperty(this, BRAND, { value: true })
  }

  /**
   * `instanceof LbError` that also works across two loaded copies of the package (ESM + CJS).
   * A subclass (`err instanceof NoMemberError`) checks the prototype chain as usual: the brand
   * alone would make every `LbError` an instance of every subclass.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false
    return this === LbError || Function.prototype[Symbol.hasInstance].call(this, value)
  }
}

/**
 * An option failed validation at construction; the message names the option.
 *
 * @example
 * ```ts
 * try {
 *   createBalancer({ members: [{ url: 'tcp://127.0.0.1:8009' }] })
 * } catch (err) {
 *   if (err instanceof InvalidOptionError) console.error(err.message)   // members[0].url must be http://, https:// or ajp://…
 * }
 * ```
 */
export class InvalidOptionError extends LbError {
  constructor(message: string) {
    super('LB_ERR_INVALID_OPTION', message, 500)
    this.name = 'InvalidOptionError'
  }
}

/**
 * No member can take the request (all stopped, in error, or the balancer is empty): 503.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err.code !== 'LB_ERR_NO_MEMBER') return next(err)
 *   res.status(503).set('Retry-After', '60').sendFile('/srv/www/maintenance.html')
 * })
 * ```
 */
export class NoMemberError extends LbError {
  constructor(message = 'no balancer member is available', cause?: unknown) {
    super('LB_ERR_NO_MEMBER', message, 503, { cause })
    this.name = 'NoMemberError'
  }
}

/**
 * Forced stickiness: the session's member cannot take the request and failover is off: 503.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members, sticky: { force: true } })
 * // A request for JSESSIONID=….TomcatA while TomcatA is stopped: next(err) with
 * // err.code === 'LB_ERR_STICKY_MEMBER_UNAVAILABLE' and err.statusCode === 503.
 * ```
 */
export class StickyMemberUnavailableError extends LbError {
  /**
   * The session route the request carried, as the client sent it (it may name no member): at most
   * 64 characters, printable ASCII, `"` and `\` escaped. For logs; the message never contains it.
   */
  readonly route: string
  constructor(route: string) {
    super('LB_ERR_STICKY_MEMBER_UNAVAILABLE', 'the session\'s member is unavailable and sticky.force is on', 503)
    this.name = 'StickyMemberUnavailableError'
    this.route = clientText(route)
  }
}

/**
 * The member refused or did not accept the connection in time: 503 (retried on another member when safe).
 *
 * @example
 * ```ts
 * balancer.on('member:state', ({ member, health, previousHealth }) => {
 *   if (health === 'error' && previousHealth !== 'error' && member.lastError?.code === 'LB_ERR_UPSTREAM_CONNECT') {
 *     console.warn(`${member.id} refuses connections`)
 *   }
 * })
 * ```
 */
export class UpstreamConnectError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_CONNECT', message, 503, { cause })
    this.name = 'UpstreamConnectError'
  }
}

/**
 * Every connection to the member allowed at once (`http.maxSockets`, `ajp.maxConnections`) stayed
 * busy for `connectTimeout`, or too many requests wait already (`ajp.maxQueued`, `http.maxQueue`): 503. Nothing was
 * sent, so another member may take the request. Not a fault of the member: it stays in use (mod_jk's
 * `OK/BUSY` state, HAProxy's `timeout queue`).
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members, http: { maxSockets: 64 }, connectTimeout: 2000 })
 * // with 64 requests in flight to every member for 2 s, the next one gets 503 LB_ERR_UPSTREAM_BUSY
 * ```
 */
export class UpstreamBusyError extends LbError {
  constructor(message: string) {
    super('LB_ERR_UPSTREAM_BUSY', message, 503)
    this.name = 'UpstreamBusyError'
  }
}

/**
 * The member accepted the request but did not answer in time: 504.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members, timeout: 120_000 })   // reports that take up to 2 minutes
 * // a member silent for longer: next(err) with err.code === 'LB_ERR_UPSTREAM_TIMEOUT', err.statusCode === 504
 * ```
 */
export class UpstreamTimeoutError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_TIMEOUT', message, 504, { cause })
    this.name = 'UpstreamTimeoutError'
  }
}

/**
 * The TLS handshake with an `https://` member failed: its certificate is not issued by a trusted
 * CA (`tls.ca`) or does not name it (`tls.servername`), it required a client certificate that was
 * not given or not accepted, or no protocol version or cipher was common: 502, like nginx's
 * answer to an upstream SSL handshake failure. The cause (`err.cause.code`, in the log as `cause`)
 * is Node's code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`,
 * `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`. The member is put in error; the request is tried
 * on another member when nothing of it was sent (`nothingSent`).
 *
 * @example
 * ```ts
 * balancer.on('member:error', ({ member, error }) => {
 *   if (error.code === 'LB_ERR_UPSTREAM_TLS') console.error(`${member.id}: TLS refused (${(error.cause as { code?: string }).code})`)
 * })
 * ```
 */
export class UpstreamTlsError extends LbError {
  /** The handshake failed before any byte of the request was sent: another member may take it. */
  readonly nothingSent: boolean

  constructor(message: string, cause?: unknown, nothingSent = false) {
    super('LB_ERR_UPSTREAM_TLS', message, 502, { cause })
    this.name = 'UpstreamTlsError'
    this.nothingSent = nothingSent
  }
}

/**
 * The member closed or reset the connection before a complete answer: 502.
 *
 * @example
 * ```ts
 * balancer.on('exchange', (e) => {
 *   if (e.error === 'LB_ERR_UPSTREAM_RESET') console.warn(`${e.member.id} dropped a connection: restarting?`)
 * })
 * ```
 */
export class UpstreamResetError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_RESET', message, 502, { cause })
    this.name = 'UpstreamResetError'
  }
}

/**
 * The member answered with something that is not valid protocol (bad HTTP, bad AJP): 502.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   // e.g. an ajp:// URL pointing at an HTTP connector: err.cause.code === 'AJP_ERR_BAD_MAGIC'
 *   if (err.code === 'LB_ERR_UPSTREAM_PROTOCOL') log.error({ cause: err.cause }, 'member speaks the wrong protocol')
 *   next(err)
 * })
 * ```
 */
export class UpstreamProtocolError extends LbError {
  constructor(message: string, cause?: unknown) {
    super('LB_ERR_UPSTREAM_PROTOCOL', message, 502, { cause })
    this.name = 'UpstreamProtocolError'
  }
}

/**
 * The member answered with a status listed in `failOnStatus` and the balancer declined the answer
 * to try another member (nginx `proxy_next_upstream http_503`). Its `statusCode` is the member's.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({ members, failOnStatus: [503] })
 * // every member answered 503: err.code === 'LB_ERR_UPSTREAM_STATUS', err.statusCode === 503
 * ```
 */
export class UpstreamStatusError extends LbError {
  /** The status the member answered with. */
  readonly upstreamStatus: number
  constructor(status: number) {
    super('LB_ERR_UPSTREAM_STATUS', `the member answered ${status}`, status)
    this.name = 'UpstreamStatusError'
    this.upstreamStatus = status
  }
}

/**
 * The client's request cannot be forwarded as it is (bad header bytes, smuggling shapes): 400.
 *
 * @example
 * ```ts
 * // A request with both Transfer-Encoding and Content-Length to an ajp:// member:
 * // next(err) with err.code === 'LB_ERR_BAD_REQUEST', err.statusCode === 400, err.expose === true
 * ```
 */
export class BadRequestError extends LbError {
  constructor(message: string, cause?: unknown, headers?: Readonly<Record<string, string>>) {
    super('LB_ERR_BAD_REQUEST', message, 400, { cause, expose: true, headers })
    this.name = 'BadRequestError'
  }
}

/**
 * The request path, normalised as Tomcat maps it (`..`, `%2e%2e`, `..;x`, `/;x/..` …), climbs
 * above the mount: 400, answered by the balancer, never forwarded.
 *
 * @example
 * ```ts
 * // app.use('/app', stickyBalancer({ members, upstreamPath: '/testapp' }))
 * // GET /app/..;/examples/ → 400, logged as 'request refused' with code LB_ERR_PATH_OUTSIDE_MOUNT
 * ```
 */
export class PathOutsideMountError extends LbError {
  constructor(headers?: Readonly<Record<string, string>>) {
    super('LB_ERR_PATH_OUTSIDE_MOUNT', 'the path leaves the mount', 400, { expose: true, headers })
    this.name = 'PathOutsideMountError'
  }
}

/**
 * Nothing is mounted at the request's path: an upgrade outside the balancer's `mountPath` with no
 * other `'upgrade'` listener, or a request that reached a balancer with no route for it: 404.
 *
 * @example
 * ```ts
 * // attachUpgrades(server, { mountPath: '/app' }) and a WebSocket handshake to /other:
 * // the socket is answered 404 and closed, code LB_ERR_NOT_FOUND
 * ```
 */
export class NotFoundError extends LbError {
  constructor() {
    super('LB_ERR_NOT_FOUND', 'not found', 404, { expose: true })
    this.name = 'NotFoundError'
  }
}

/**
 * The method is not one the balancer forwards (`CONNECT`: a reverse proxy is not a tunnel, or a
 * method outside the request guard's allow-list): 405, with `Allow` in `headers`.
 *
 * @example
 * ```ts
 * // CONNECT 127.0.0.1:8081 through the gateway → 405, Allow: GET, HEAD, POST, …; code LB_ERR_METHOD_NOT_ALLOWED
 * ```
 */
export class MethodNotAllowedError extends LbError {
  /** Response headers the answer carries (`Allow`). */
  declare readonly headers: Readonly<Record<string, string>>
  constructor(allow: string, message = 'method not allowed') {
    super('LB_ERR_METHOD_NOT_ALLOWED', message, 405, { expose: true, headers: Object.freeze({ allow }) })
    this.name = 'MethodNotAllowedError'
  }
}

/**
 * The request's headers do not fit what the member's protocol can carry: 431.
 *
 * @example
 * ```ts
 * // Big cookies over AJP: raise packetSize here and packetSize="65536" on Tomcat's AJP connector.
 * const balancer = createBalancer({ members: [{ url: 'ajp://127.0.0.1:8009', route: 'TomcatA' }], ajp: { packetSize: 65536 } })
 * ```
 */
export class HeadersTooLargeError extends LbError {
  constructor(message: string, headers?: Readonly<Record<string, string>>) {
    super('LB_ERR_HEADERS_TOO_LARGE', message, 431, { expose: true, headers })
    this.name = 'HeadersTooLargeError'
  }
}

/**
 * The request needs something the member's protocol cannot do (an upgrade over AJP): 501.
 *
 * @example
 * ```ts
 * // A WebSocket handshake whose session lives on an ajp:// member is answered 501:
 * // give WebSocket paths their own balancer of http:// members.
 * app.use('/ws', stickyBalancer({ members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }] }))
 * ```
 */
export class NotImplementedError extends LbError {
  constructor(message: string) {
    super('LB_ERR_NOT_IMPLEMENTED', message, 501, { expose: true })
    this.name = 'NotImplementedError'
  }
}

/**
 * The request body was read by the host before the balancer (a body parser mounted first), and
 * what the parser left cannot be sent on as the client sent it (multipart, an unknown type, a
 * decoded `Content-Encoding`, a body whose length changed): 500, a configuration error of the
 * server, answered at once instead of waiting for a body that will never come. `err.reason` says
 * what could not be rebuilt (our own words, never the client's). See docs/guide/getting-started.md
 * ("With body parsers").
 *
 * @example
 * ```ts
 * // app.use(express.json()) mounted before the balancer is fine: JSON bodies are sent again.
 * // A multipart upload after a parser that consumed it:
 * // next(err) with err.code === 'LB_ERR_BODY_CONSUMED', err.statusCode === 500
 * app.use('/app', stickyBalancer({ members }))   // mount it before the parsers instead
 * app.use(express.json())
 * ```
 */
export class BodyConsumedError extends LbError {
  /** What could not be rebuilt, e.g. `a multipart body cannot be rebuilt from req.body`. */
  readonly reason: string

  constructor(reason: string) {
    super(
      'LB_ERR_BODY_CONSUMED',
      `the request body was read before the balancer and cannot be sent on (${reason}): mount the balancer before body parsers (app.use(path, balancer) first), or see "With body parsers" in docs/guide/getting-started.md`,
      500,
    )
    this.name = 'BodyConsumedError'
    this.reason = reason
  }
}

/**
 * The balancer was closed; it takes no new requests: 503.
 *
 * @example
 * ```ts
 * process.on('SIGTERM', async () => {
 *   server.close()
 *   await balancer.close()   // requests still arriving get 503 LB_ERR_CLOSED
 * })
 * ```
 */
export class BalancerClosedError extends LbError {
  constructor() {
    super('LB_ERR_CLOSED', 'the balancer is closed', 503)
    this.name = 'BalancerClosedError'
  }
}

/**
 * The client went away before its response was complete: what a transport's `forward` rejects
 * with then (`statusCode` 499, as nginx logs it; never sent). The balancer neither counts it
 * against the member nor emits an `exchange` event for it.
 *
 * @example
 * ```ts
 * try {
 *   await transport.forward(exchange)
 * } catch (err) {
 *   if (err instanceof ClientAbortedError) return   // the user closed the tab: not the member's fault
 *   throw toGatewayError(err)
 * }
 * ```
 */
export class ClientAbortedError extends LbError {
  constructor() {
    super('LB_ERR_CLIENT_ABORTED', 'the client closed the connection before the response was complete', 499)
    this.name = 'ClientAbortedError'
  }
}

/** The one status each admin code is answered with. */
export const ADMIN_ERROR_STATUS: Readonly<Record<AdminErrorCode, number>> = Object.freeze({
  LB_ERR_ADMIN_INVALID: 400,
  LB_ERR_ADMIN_FORBIDDEN: 403,
  LB_ERR_ADMIN_NOT_FOUND: 404,
  LB_ERR_ADMIN_METHOD: 405,
  LB_ERR_ADMIN_READ_ONLY: 405,
  LB_ERR_ADMIN_TOO_LARGE: 413,
  LB_ERR_ADMIN_UNSUPPORTED_TYPE: 415,
})

/**
 * A refused admin request. Its status follows from its code (one status per code, see
 * docs/guide/admin.md); `field` names the parameter at fault (when one is); a 405 carries `Allow`
 * in `headers`. Messages are written for operators and shown to them (`expose`).
 *
 * @example
 * ```ts
 * const err = new AdminError('LB_ERR_ADMIN_INVALID', 'weight: must be an integer from 1 to 100', { field: 'weight' })
 * err.statusCode   // 400
 * ```
 */
export class AdminError extends LbError {
  declare readonly code: AdminErrorCode
  /** The request parameter at fault, when one is (`weight`, `nonce`, `w`, …). */
  readonly field: string | undefined
  /** Response headers the answer carries (`Allow` on a 405). */
  override readonly headers: Readonly<Record<string, string>>

  constructor(code: AdminErrorCode, message: string, options?: { field?: string | undefined; allow?: string | undefined; cause?: unknown }) {
    super(code, message, ADMIN_ERROR_STATUS[code], { cause: options?.cause, expose: true })
    this.name = 'AdminError'
    this.field = options?.field
    const headers: Record<string, string> = {}
    if (options?.allow !== undefined) headers.allow = options.allow
    this.headers = Object.freeze(headers)
  }
}

const HEALTH_BRAND = Symbol.for('sticky-balancer.HealthCheckError')

/**
 * An active health probe of a member failed: it answered with a status outside the expected ones
 * (`LB_ERR_HEALTH_CHECK_STATUS`) or not within the probe's timeout (`LB_ERR_HEALTH_CHECK_TIMEOUT`).
 * Never sent to a client: it is the member's `lastError` and the reason it goes into `error`.
 *
 * @example
 * ```ts
 * balancer.on('member:state', ({ member, health, reason }) => {
 *   if (health === 'error' && reason === 'LB_ERR_HEALTH_CHECK_STATUS') console.warn(`${member.id} failed its probe`)
 * })
 * ```
 */
export class HealthCheckError extends Error {
  /** What failed; a {@link MemberFailureCode}. */
  readonly code: 'LB_ERR_HEALTH_CHECK_STATUS' | 'LB_ERR_HEALTH_CHECK_TIMEOUT'
  /** The member's status, for `LB_ERR_HEALTH_CHECK_STATUS`. */
  readonly status: number | undefined

  constructor(code: 'LB_ERR_HEALTH_CHECK_STATUS' | 'LB_ERR_HEALTH_CHECK_TIMEOUT', message: string, status?: number) {
    super(message)
    this.name = 'HealthCheckError'
    this.code = code
    this.status = status
    Object.defineProperty(this, HEALTH_BRAND, { value: true })
  }

  /** `instanceof` that also works across two loaded copies of the package (ESM + CJS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HEALTH_BRAND] === true
  }
}

/**
 * The option a {@link HookError} is about.
 *
 * @example
 * ```ts
 * const hook: HookName = (err as HookError).hook   // 'onRequest', 'onResponse' or 'pathRewrite'
 * ```
 */
export type HookName = 'onRequest' | 'onResponse' | 'pathRewrite'

/**
 * A hook (`onRequest`, `onResponse`, `pathRewrite`) threw, returned a promise, or left something
 * the balancer refuses to send (a header value with CR, LF or NUL, a framing or hop-by-hop header,
 * a path outside the mount): 502, nothing was forwarded (or, for `onResponse`, nothing of the
 * member's answer reached the client). Logged at `warn` (`hook failed`); the member is not
 * counted as failed and the request is not tried on another one. `cause` is what the hook threw.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err.code === 'LB_ERR_HOOK') log.error({ hook: err.hook, cause: err.cause }, err.message)
 *   next(err)
 * })
 * ```
 */
export class HookError extends LbError {
  /** Which hook failed. */
  readonly hook: HookName
  constructor(hook: HookName, message: string, cause?: unknown) {
    super('LB_ERR_HOOK', `${hook} ${message}`, 502, { cause })
    this.name = 'HookError'
    this.hook = hook
  }
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL'])
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'])
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
/** Certificate checks (OpenSSL's X509 verify results, as Node names them) and handshake failures. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE', 'CERT_CHAIN_TOO_LONG', 'PATH_LENGTH_EXCEEDED', 'INVALID_CA', 'INVALID_PURPOSE', 'HOSTNAME_MISMATCH',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'EPROTO',
])

/** Whether a socket error code says the TLS handshake or the member's certificate failed. */
export function isTlsErrorCode(code: string): boolean {
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')
}

/**
 * Maps any transport failure to the one gateway error a client should see.
 *
 * The single place where low-level codes become statuses: connect failures → 503, timeouts → 504,
 * resets and protocol faults → 502. An {@link LbError} passes through unchanged.
 *
 * @example
 * ```ts
 * toGatewayError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).statusCode   // 503
 * toGatewayError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).code                  // 'LB_ERR_UPSTREAM_RESET'
 * ```
 */
export function toGatewayError(err: unknown): LbError {
  if (err instanceof LbError) return err
  const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : ''
  if (CONNECT_CODES.has(code)) return new UpstreamConnectError(`could not connect to the member (${code})`, err)
  if (isTlsErrorCode(code)) return new UpstreamTlsError(`the TLS handshake with the member failed (${code})`, err)
  if (TIMEOUT_CODES.has(code)) return new UpstreamTimeoutError(`the member did not answer in time (${code})`, err)
  if (RESET_CODES.has(code)) return new UpstreamResetError(`the member closed the connection (${code})`, err)
  if (code.startsWith('HPE_') || code.startsWith('AJP_ERR_')) return new UpstreamProtocolError(`the member sent an invalid response (${code})`, err)
  return new UpstreamResetError(`the upstream exchange failed${code ? ` (${code})` : ''}`, err)
}
