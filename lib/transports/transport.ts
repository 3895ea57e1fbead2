/**
 * The transport contract: how one exchange travels to a member and back.
 *
 * Implementations: `http/` (undici, the default; Node's `http.request`; http-proxy-3) and `ajp/`
 * (our AJP13 client); each runs the conformance suite of `conformance.suite.ts`. The balancer
 * never branches on the protocol: it builds an {@link Exchange}, calls {@link Transport.forward}
 * and reads the outcome, and asks the transport what depends on the protocol (its health probe,
 * the `Host` it sends, the origin it writes about itself, where upgrades go).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LbError } from '../errors.js'
import type { ResolvedHealthCheck } from '../health/health-check-options.js'
import type { Member } from '../members/member.js'

/**
 * Response headers as a transport hands them over: lower-case names; repeated headers as arrays.
 *
 * @example
 * ```ts
 * const headers: ResponseHeaders = {
 *   'content-type': 'text/html;charset=UTF-8',
 *   'set-cookie': ['JSESSIONID=8F3A…C2.TomcatA; Path=/testapp; HttpOnly', 'theme=dark; Path=/'],
 * }
 * exchange.sendResponseHead(200, headers)
 * ```
 */
export type ResponseHeaders = Record<string, string | string[]>

/**
 * Facts about the client connection: the proxy's own socket, or, when its peer is a proxy that
 * `trustProxy` trusts, what that proxy reports in its forwarding headers (`proxied` is then true).
 * Never headers from an untrusted peer.
 *
 * @example
 * ```ts
 * const client: ClientConnection = { address: '203.0.113.9', port: 51234, localAddress: '10.0.0.5', localPort: 443, secure: true }
 * // behind a trusted TLS terminator at 10.0.0.2 that reports X-Forwarded-Proto: https, -Port: 443
 * const proxied: ClientConnection = { address: '10.0.0.2', port: 40112, localAddress: '10.0.0.5', localPort: 443, secure: true,
 *   forwardedFor: '203.0.113.9', forwardedHost: 'shop.example', proxied: true }
 * ```
 */
export interface ClientConnection {
  /** The socket peer's IP address (the client, or the proxy in front). */
  readonly address: string
  /** The socket peer's port. */
  readonly port: number
  /** The proxy's own address the client connected to. */
  readonly localAddress: string
  /**
   * The port the client connected to: the proxy's own, or the one a trusted proxy reports
   * (`X-Forwarded-Port`). `X-Forwarded-Port` and AJP's `server_port`.
   */
  readonly localPort: number
  /** True when the client's connection is TLS: the socket's, or as a trusted proxy reports it (`X-Forwarded-Proto: https`). */
  readonly secure: boolean
  /** The client's address as a trusted proxy names it (`X-Forwarded-For`, `Forwarded: for=`); AJP's `remote_addr`. */
  readonly forwardedFor?: string | undefined
  /** The `host[:port]` the client addressed, as a trusted proxy reports it (`X-Forwarded-Host`, `Forwarded: host=`). */
  readonly forwardedHost?: string | undefined
  /** True when these facts include what a trusted proxy reported (`trustProxy`). */
  readonly proxied?: boolean | undefined
}

/**
 * One attempt to forward a client request to one member. The balancer builds it; a transport
 * only reads it.
 *
 * @example
 * ```ts
 * // what the balancer hands to transport.forward() for GET /app/index.jsp mounted at /app with upstreamPath /testapp
 * const exchange: Exchange = {
 *   req, res, member, method: 'GET',
 *   path: '/testapp/index.jsp',
 *   headers: { host: '127.0.0.1:8081', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
 *   client: { address: '203.0.113.9', port: 51234, localAddress: '10.0.0.5', localPort: 443, secure: true },
 *   publicHost: 'shop.example.com',
 *   sendResponseHead: (status, headers) => { res.writeHead(status, headers); return true },
 * }
 * ```
 */
export interface Exchange {
  /** The client's request (its body is read from it unless `body` is set). */
  readonly req: IncomingMessage
  /** The client's response; written only through `sendResponseHead` and then the body. */
  readonly res: ServerResponse
  /** The member this attempt goes to. */
  readonly member: Member
  /** The request method. */
  readonly method: string
  /** Path and query to send to the member (the public path already mapped to the upstream prefix). */
  readonly path: string
  /**
   * Request headers for the member, lower-case names: hop-by-hop headers removed, `Host` chosen
   * (`preserveHost`), `X-Forwarded-*` and `Via` added as configured.
   */
  readonly headers: Record<string, string | string[]>
  /**
   * The request body, already read in full by the balancer so it can be sent again
   * (`retryBodyLimit`). When set, transports send these bytes and never read `req`.
   */
  readonly body?: Buffer | undefined
  /** The client connection, from the socket. */
  readonly client: ClientConnection
  /**
   * The public `host[:port]` the client addressed (its `Host` header, or the proxy's local address),
   * e.g. for AJP's `server_name`/`server_port`.
   */
  readonly publicHost: string
  /**
   * Writes the response head to the client. The balancer applies reverse rewriting (`Location`,
   * `Content-Location`, `Set-Cookie` paths) and removes hop-by-hop headers here. Transports call it
   * once, before any body byte. `statusMessage` may be omitted to use the standard reason phrase.
   *
   * Returns `false` when the balancer declines this answer (a `failOnStatus` status it will try on
   * another member): nothing was written; the transport discards the member's body and rejects
   * with `UpstreamStatusError(status)`.
   */
  sendResponseHead(status: number, headers: ResponseHeaders, statusMessage?: string): boolean
}

/**
 * What a finished exchange reports, for counters and schedulers.
 *
 * @example
 * ```ts
 * const { status, bytesIn, bytesOut }: ForwardResult = await transport.forward(exchange)   // { status: 200, bytesIn: 5120, bytesOut: 0 }
 * ```
 */
export interface ForwardResult {
  /** The status sent to the client. */
  readonly status: number
  /** Response body bytes received from the member. */
  readonly bytesIn: number
  /** Request body bytes sent to the member. */
  readonly bytesOut: number
}

/**
 * A member's connection to its upstream.
 *
 * Contract for failures: `forward` rejects with an `LbError` (see `toGatewayError`).
 * - It rejects with `UpstreamConnectError` (`LB_ERR_UPSTREAM_CONNECT`) or `UpstreamBusyError`
 *   (`LB_ERR_UPSTREAM_BUSY`: no pooled connection became free within `connectTimeout`) **only** when
 *   no byte of the client request was consumed and nothing was written to `res`: the balancer may
 *   then send the same request to another member.
 * - Once the response head was written, a failure destroys the client response (the client sees an
 *   aborted response) and the promise still rejects, for counting and logging.
 * - A client that goes away destroys the upstream request; the promise then resolves or rejects
 *   without leaking the socket.
 * - A client that stalls (no body byte for `clientBodyTimeout`, nothing read for
 *   `clientSendTimeout`) ends the exchange: the member's connection is closed (never pooled
 *   again), a client response that has started is destroyed, and the promise rejects with
 *   `ClientTimeoutError` (`LB_ERR_CLIENT_TIMEOUT`). Time spent waiting on the client never counts
 *   toward the member's `timeout`.
 *
 * @example
 * ```ts
 * const transport: Transport = member.protocol === 'ajp'
 *   ? createAjpTransport(member, { secret: process.env.TOMCAT_AJP_SECRET })
 *   : createHttpTransport(member, { connectTimeout: 5000, timeout: 60_000, maxSockets: 256, maxFreeSockets: 64, idleTimeout: 15_000 })
 * const result = await transport.forward(exchange)
 * console.log(transport.sockets())   // { open: 1, idle: 1 }
 * await transport.close()
 * ```
 */
export interface Transport {
  /** Sends the exchange's request to the member and relays its answer to `exchange.res`. */
  forward(exchange: Exchange): Promise<ForwardResult>
  /** Counts of upstream sockets, for tests, the admin page and leak checks. */
  sockets(): { open: number; idle: number }
  /** Closes idle sockets now and the others once their exchange ends. */
  close(): Promise<void>
  /**
   * One active health probe of the member: an HTTP request on a fresh connection (`health.path`,
   * `health.expect`), or CPING/CPONG for AJP. Resolves when it passes, rejects otherwise.
   */
  probe(health: ResolvedHealthCheck): Promise<void>
  /**
   * Whether the member is sent the client's `Host`: the `preserveHost` option over HTTP; always
   * over AJP, as mod_jk and mod_proxy_ajp do (Tomcat builds its URLs from it).
   */
  readonly preserveHost: boolean
  /**
   * The origin (lower case) the member may write about itself in `Location` and similar headers,
   * which reverse rewriting maps back to the client's; undefined when it writes the client's own
   * (AJP: Tomcat builds its URLs from the client's `Host`).
   */
  readonly selfOrigin: string | undefined
  /**
   * Where upgraded connections (WebSocket…) to the member go: its `upgradeUrl`, else its own
   * `http(s)://` URL; undefined when its protocol cannot carry them (AJP without `upgradeUrl`).
   */
  readonly upgradeTarget: URL | undefined
  /** The error an upgrade is refused with when {@link upgradeTarget} is undefined (501). */
  upgradeRefusal?(protocol: string): LbError
}
