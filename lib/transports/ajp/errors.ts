/**
 * Typed errors of the AJP13 client.
 *
 * Protocol faults have their own `AJP_ERR_*` namespace (like undici's `HPE_*`); `toGatewayError` in
 * `lib/errors.ts` maps every such code to a 502 `UpstreamProtocolError` with the fault as `cause`.
 * Faults of the *client's* request (bad header bytes, headers too large for a packet) are thrown as
 * the shared `BadRequestError` / `HeadersTooLargeError` instead, since they answer 400 / 431.
 *
 * @module
 */
import { clientText } from '../../client-text.js'
import { NotImplementedError } from '../../errors.js'

/**
 * Stable codes of {@link AjpProtocolError}; match on these, never on messages.
 *
 * @example
 * ```ts
 * balancer.on('member:error', ({ member, error }) => {
 *   const code = (error.cause as { code?: AjpProtocolErrorCode } | undefined)?.code
 *   if (code === 'AJP_ERR_BAD_MAGIC') console.error(`${member.id}: ${member.url.href} is not an AJP connector`)
 * })
 * ```
 */
export type AjpProtocolErrorCode =
  /** A packet from the container did not start with `41 42` ('AB'). */
  | 'AJP_ERR_BAD_MAGIC'
  /** A message ended before its fields did (or the stream ended mid-packet). */
  | 'AJP_ERR_TRUNCATED'
  /** A message type this client does not know or does not accept from a container. */
  | 'AJP_ERR_UNKNOWN_TYPE'
  /** A packet longer than `packetSize`. */
  | 'AJP_ERR_OVERSIZE'
  /** A string without its trailing NUL, or null where a value is required. */
  | 'AJP_ERR_BAD_STRING'
  /** A response header with an unknown code, or a name/value HTTP cannot carry. */
  | 'AJP_ERR_BAD_HEADER'
  /** A response status outside 100..999, or a 1xx status as the final answer. */
  | 'AJP_ERR_BAD_STATUS'
  /** A message longer than its fields say, or a body chunk whose length does not match its packet. */
  | 'AJP_ERR_BAD_LENGTH'
  /** A legal message at an illegal moment (second SEND_HEADERS, body before headers, data on an idle socket). */
  | 'AJP_ERR_UNEXPECTED_MESSAGE'
  /** END_RESPONSE without SEND_HEADERS. */
  | 'AJP_ERR_NO_HEADERS'
  /** GET_BODY_CHUNK kept coming after the request body was complete. */
  | 'AJP_ERR_BODY_OVERREAD'
  /** The response body did not match the Content-Length the container announced. */
  | 'AJP_ERR_BODY_LENGTH_MISMATCH'

const PROTOCOL_BRAND = Symbol.for('sticky-balancer.AjpProtocolError')
const SECRET_REJECTED_BRAND = Symbol.for('sticky-balancer.AjpSecretRejectedError')

/**
 * The container sent bytes that are not valid AJP13 (or not valid at that moment). Clients see
 * a 502 `UpstreamProtocolError` whose `cause` is this error.
 *
 * @example
 * ```ts
 * app.use((err, req, res, next) => {
 *   if (err.code === 'LB_ERR_UPSTREAM_PROTOCOL' && err.cause instanceof AjpProtocolError) {
 *     console.error(`bad AJP from the member: ${err.cause.code}`)   // AJP_ERR_TRUNCATED, …
 *   }
 *   next(err)
 * })
 * ```
 */
export class AjpProtocolError extends Error {
  /** What was wrong; stable. */
  readonly code: AjpProtocolErrorCode

  constructor(code: AjpProtocolErrorCode, message: string) {
    super(message)
    this.name = 'AjpProtocolError'
    this.code = code
    Object.defineProperty(this, PROTOCOL_BRAND, { value: true })
  }

  /** `instanceof` that also works across two loaded copies of the package (ESM + CJS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PROTOCOL_BRAND] === true
  }
}

/**
 * Tomcat refused the request at the connector level because the AJP `secret` is wrong or missing
 * (it answers 403 with its error page, then `END_RESPONSE reuse=0`, and closes; an application's
 * 403 ends with reuse=1). This is a configuration error of the balancer, not a client error: the
 * transport reports it as a 502 (`UpstreamProtocolError` whose `cause` is this error) instead of
 * passing Tomcat's 403 on.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel'
 *
 * diagnostics.subscribe('sticky-balancer:ajp:config-error', (message) => {
 *   const { member, error } = message as { member: Member; error: AjpSecretRejectedError }
 *   alert(`${member.id}: ${error.code}: check ajp.secret against the connector's secret`)
 * })
 * ```
 */
export class AjpSecretRejectedError extends Error {
  /** Always `AJP_ERR_SECRET_REJECTED`. */
  readonly code = 'AJP_ERR_SECRET_REJECTED' as const

  constructor(memberId: string) {
    super(
      `member ${memberId} rejected the AJP request at the connector (403 + close): ` +
        'the transport secret does not match the connector "secret" (or an attribute was refused)',
    )
    this.name = 'AjpSecretRejectedError'
    Object.defineProperty(this, SECRET_REJECTED_BRAND, { value: true })
  }

  /** `instanceof` that also works across two loaded copies of the package (ESM + CJS). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[SECRET_REJECTED_BRAND] === true
  }
}

/**
 * AJP cannot carry protocol upgrades (WebSocket, h2c…): Tomcat's AJP connector has no upgrade
 * support. Answered with 501; route such requests to an HTTP member.
 *
 * @example
 * ```ts
 * // avoid it: give an ajp:// member its HTTP connector for WebSockets
 * createBalancer({ members: [{ url: 'ajp://127.0.0.1:8009', route: 'TomcatA', upgradeUrl: 'http://127.0.0.1:8081' }] })
 * ```
 */
export class AjpUpgradeNotSupportedError extends NotImplementedError {
  /** The request's `Upgrade` value through `clientText` (bounded, printable ASCII), for logs; never in the message. */
  readonly protocol: string
  constructor(protocol: string) {
    super('a protocol upgrade cannot be forwarded over AJP')
    this.name = 'AjpUpgradeNotSupportedError'
    this.protocol = clientText(protocol)
  }
}
