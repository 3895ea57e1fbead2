/**
 * Balancer options: what users pass, their defaults, and their validation.
 *
 * Everything is validated once, in {@link resolveBalancerOptions}, with messages that name the
 * option (`members[1].url must be http://, https:// or ajp://`), written with the validators of
 * `validate.ts`. Defaults follow mod_proxy_balancer unless stated; durations are milliseconds.
 *
 * This file is long because the documented option interfaces (about two thirds of
 * it) are the reference users read; the validation itself is the last third.
 *
 * @module
 */
import { bool, fail, fn, int, isPlainObject, keysOf, knownKeys, ms, mustBe, oneOf, renamed, share, token } from './validate.js'
import { isNormalisedPath } from './proxy/request-target.js'
import type { AdminState } from './members/member-state.js'
import { ADMIN_STATES } from './members/member-state.js'
import type { Scheduler, SchedulerName } from './schedulers/scheduler.js'
import type { LoggerOption } from './logger.js'
import { toLogger } from './logger.js'
import type { OnRequestHook, OnResponseHook } from './proxy/hooks.js'
import type { PathRewrite, PathRewriter } from './proxy/path-rewrite.js'
import { resolvePathRewrite } from './proxy/path-rewrite.js'
import type { AjpTransportOptions, ResolvedAjpTransportOptions } from './transports/ajp/options.js'
import { AJP_DEFAULTS, resolveAjpOptions } from './transports/ajp/options.js'
import type { HealthCheckOptions, ResolvedHealthCheck } from './health/health-check-options.js'
import { resolveHealthCheckOptions } from './health/health-check-options.js'
import type { TrustProxy, TrustProxyOption } from './net/trust-proxy.js'
import { resolveTrustProxy } from './net/trust-proxy.js'
import { SCHEDULER_NAMES } from './schedulers/scheduler.js'
import type { ResolvedStickyOptions, StickyOptions } from './session/sticky-options.js'
import { resolveStickyOptions } from './session/sticky-options.js'
import type { AdminOptions, ResolvedAdminOptions } from './admin/options.js'
import { resolveAdminOptions } from './admin/options.js'
import type { ResolvedUpgradeOptions, UpgradeOptions } from './upgrade/options.js'
import { resolveUpgradeOptions, resolveUpgradeUrl } from './upgrade/options.js'
import type { TlsOptions } from './net/tls-options.js'
import { mergeTlsOptions, validateTlsOptions } from './net/tls-options.js'

/**
 * One Tomcat node.
 *
 * @example
 * ```ts
 * const members: MemberOptions[] = [
 *   { url: 'http://127.0.0.1:8081', route: 'TomcatA', weight: 2 },                      // <Engine jvmRoute="TomcatA">
 *   { url: 'ajp://127.0.0.1:8010', route: 'TomcatB', secret: process.env.TOMCAT_AJP_SECRET, upgradeUrl: 'http://127.0.0.1:8082' },
 *   { url: 'http://127.0.0.1:8083', route: 'TomcatC', state: 'standby' },                // like BalancerMember … status=+H
 * ]
 * ```
 */
export interface MemberOptions {
  /** `http://host:port`, `https://host:port` or `ajp://host:port`. A path is not allowed: use `upstreamPath`. */
  url: string
  /** The node's `jvmRoute` (the suffix Tomcat appends to session ids). Default: none. */
  route?: string
  /** Share of new requests, 1..100 (mod_proxy `loadfactor`, mod_jk `lbfactor`). Default: 1. */
  weight?: number
  /** Initial admin state. Default: `active`. */
  state?: AdminState
  /**
   * Route of the member that takes this member's sessions when it cannot (mod_jk and mod_proxy
   * `redirect`), typically a hot standby that holds replicated sessions. Default: none.
   */
  redirect?: string
  /**
   * Members of one domain replicate sessions (mod_jk `domain`): a session may fail over inside it.
   * Default: the text before the first `.` of the route when it has one, else none; `''` for none.
   */
  domain?: string
  /** The AJP secret of an `ajp://` member (Tomcat's `secret`); overrides `ajp.secret`. Default: `ajp.secret`. */
  secret?: string
  /** AJP settings of an `ajp://` member; each overrides the balancer's `ajp` option of the same name. */
  ajp?: AjpTransportOptions
  /**
   * Priority group (mod_proxy `lbset`, mod_jk `distance`): members of the lowest group that has a
   * usable member take the requests; a higher group only when no lower one can. Default: 0.
   */
  group?: number
  /** Never put this member in error on failures (mod_proxy status `I`). Default: false. */
  ignoreErrors?: boolean
  /**
   * The node's HTTP connector for upgraded connections (WebSocket), e.g. `http://127.0.0.1:8080`
   * for an `ajp://` member: AJP cannot carry upgrades. Default: the member's `url` when it is
   * `http(s)://`; none for `ajp://` (upgrades to it are answered 501).
   */
  upgradeUrl?: string
  /**
   * TLS settings of an `https://` member (its `url` or `upgradeUrl`): trusted CA, client
   * certificate, SNI name, verification; each overrides the balancer's `tls` option of the same
   * name. See {@link TlsOptions} and docs/guide/transports-http.md#https-members.
   * Default: the balancer's `tls`.
   */
  tls?: TlsOptions
}

/**
 * Keep-alive settings of the per-member HTTP agent.
 *
 * @example
 * ```ts
 * // Tomcat's HTTP connector: maxConnections 8192, keepAliveTimeout 20 s
 * createBalancer({ members, http: { maxSockets: 512, maxFreeSockets: 128, idleTimeout: 15_000, transport: 'node' } })
 * ```
 */
export interface HttpAgentOptions {
  /**
   * Most sockets open to one member at once. A request that finds them all busy waits up to
   * `connectTimeout` for one, then gets 503 `LB_ERR_UPSTREAM_BUSY` (tried on another member; the
   * member is not put in error). Default: 256.
   */
  maxSockets?: number
  /**
   * Most requests that may wait for one of a member's `maxSockets` connections; one more is
   * answered 503 `LB_ERR_UPSTREAM_BUSY` at once (tried on another member first; the member is not
   * put in error), as `ajp.maxQueued` does for AJP. `0` = never wait. Default: 1024.
   */
  maxQueue?: number
  /** Most idle sockets kept per member. Default: 64. */
  maxFreeSockets?: number
  /** An idle socket is closed after this many ms; keep it below Tomcat's `keepAliveTimeout` (20 s in the testapp). Default: 15000. */
  idleTimeout?: number
  /**
   * Which client forwards to HTTP members: `undici` (the default), undici's connection pool, the
   * leanest; `node`, Node's own `http.request` on a keep-alive agent; or `http-proxy-3`, the same
   * agent behind http-proxy-3's request building (see docs/guide/transports-http.md for the
   * differences and the figures). Default: `undici`.
   */
  transport?: 'http-proxy-3' | 'node' | 'undici'
}

/**
 * Everything a balancer is created with; only `members` is required. Validated at construction:
 * a wrong option throws `InvalidOptionError` naming it.
 *
 * @example
 * ```ts
 * const options: BalancerOptions = {
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 *   scheduler: 'bybusyness',                    // lbmethod=bybusyness
 *   sticky: { cookie: 'JSESSIONID', pathParam: 'jsessionid' },
 *   upstreamPath: '/testapp',                   // ProxyPass /app balancer://tomcat/testapp
 *   retryMs: 30_000,                            // retry=30
 *   timeout: 120_000,                           // timeout=120
 *   health: { path: '/testapp/static.txt' },
 *   admin: { path: '/balancer-manager' },
 * }
 * app.use('/app', stickyBalancer(options))
 * ```
 */
export interface BalancerOptions {
  /** The Tomcat nodes. At least one. */
  members: MemberOptions[]
  /**
   * How new requests are spread: `byrequests` (mod_proxy's default), `bytraffic`, `bybusyness`,
   * `wrr` (nginx), `leastconn`, `random` (power of two choices), `peakewma` (latency-aware),
   * `ip_hash` (nginx), or a {@link Scheduler} object (e.g. `createConsistentHash`). See
   * docs/guide/schedulers.md. Default: `byrequests`.
   */
  scheduler?: SchedulerName | Scheduler
  /**
   * Session stickiness on Tomcat's `jvmRoute` (the session id's suffix), on by default with the
   * `JSESSIONID` cookie and the `;jsessionid=` path parameter; `false` turns it off.
   * Default: `{ cookie: 'JSESSIONID', pathParam: 'jsessionid', separator: '.', force: false }`.
   */
  sticky?: StickyOptions | false
  /**
   * Proxies in front of this server (a TLS-terminating load balancer, an ingress, nginx) whose
   * report about the client connection is believed: `true`, addresses, CIDR blocks or
   * `loopback`/`linklocal`/`uniquelocal`. From a trusted socket peer, its `X-Forwarded-Proto`,
   * `-Host`, `-Port` (or RFC 7239 `Forwarded` `proto`/`host`), validated, are passed on to the
   * members and decide AJP's `is_ssl`, `server_name`, `server_port`, the balancer cookie's
   * `Secure` and reverse rewriting; its `X-Forwarded-For` (or `Forwarded: for=`) names the
   * client for AJP's `remote_addr` and `ip_hash`. From any other peer they are replaced by what
   * the balancer saw. When given (even `false`), it wins over the host framework's setting
   * (Express `trust proxy`, Koa `app.proxy`), which is used otherwise. See
   * docs/guide/security.md#forwarding-headers-and-trusted-proxies.
   * Default: none (the socket's facts; the framework's setting under the adapters).
   */
  trustProxy?: TrustProxyOption
  /**
   * The path prefix on the members that the mount path maps to, like the path in
   * `ProxyPass /app http://tomcat/testapp`. Default: the mount path itself. Either way the path
   * below the mount is normalised as Tomcat maps it (dot segments in every spelling, `;`
   * parameters, runs of `/`) and a request whose path climbs above the mount is answered 400
   * (`LB_ERR_PATH_OUTSIDE_MOUNT`); see docs/guide/security.md#paths. Must itself be a normalised
   * path (no `.`, `..` or empty segment, no `;`, `\`, `%2f` or `%5c`).
   */
  upstreamPath?: string
  /**
   * Paths (relative to the mount path) that are not forwarded but passed to `next()`, like
   * `ProxyPass /lbmanager !`. A string matches that path and everything below it; a RegExp is
   * tested against the path. Both are matched against the path as Tomcat maps it (parameters
   * removed, `%xx` decoded, dot segments resolved), so `/x/..;/lbmanager` and `/%6cbmanager` are
   * excluded with `/lbmanager`. Default: none.
   */
  exclude?: (string | RegExp)[]
  /** Send the client's `Host` header to the member (`ProxyPreserveHost On`). Default: false (the member's host:port). */
  preserveHost?: boolean
  /** Add `X-Forwarded-For/-Host/-Proto/-Port` (`ProxyAddHeaders On`). Default: true. */
  xForwarded?: boolean
  /** Add a `Via` header; `true` uses the local host name, a string is used as the pseudonym (`ProxyVia On`). Default: false. */
  via?: boolean | string
  /**
   * Milliseconds a failed member stays out of use before it is tried again (mod_proxy `retry`,
   * which counts seconds: `retry=30` is `retryMs: 30_000`). Default: 60000.
   */
  retryMs?: number
  /** How many other members a failed request may be retried on, when it is safe (mod_proxy `maxattempts`). Default: members − 1. */
  maxAttempts?: number
  /**
   * Milliseconds to wait for a member's connection: for a new TCP connection, and for a pooled one
   * when all of `http.maxSockets` / `ajp.maxConnections` are busy. Default: 5000.
   */
  connectTimeout?: number
  /** Milliseconds a member may stay silent while answering (mod_proxy `timeout`) before the client gets 504. Default: 60000. */
  timeout?: number
  /** Milliseconds `close()` waits for requests in flight before it cuts them. Default: 10000. */
  closeTimeout?: number
  /**
   * Milliseconds the balancer waits between two reads of a client's request body (nginx
   * `client_body_timeout`). A client that stalls longer gets 408 `LB_ERR_CLIENT_TIMEOUT` (or its
   * connection closed, when the answer has started); the member's connection that carried the
   * exchange is closed and the member is not blamed. Time waiting on the client never counts
   * toward the member's `timeout`. Default: 60000.
   */
  clientBodyTimeout?: number
  /**
   * Milliseconds a client may read none of the response the balancer holds for it (nginx
   * `send_timeout`); a client that reads slowly but reads is never cut. A client that stalls
   * longer has its connection closed (408 if no head was sent), the member's connection is closed,
   * and the member is not blamed. Default: 60000.
   */
  clientSendTimeout?: number
  /**
   * Settings of every `ajp://` member (a member's own `secret`/`ajp` win): `secret` (Tomcat's
   * `secretRequired="true"` needs it), `packetSize` (8192, must equal the connector's), pool and
   * CPING settings. `connectTimeout` and `replyTimeout` default to the balancer's `connectTimeout`
   * and `timeout`. See docs/guide/transports-ajp.md.
   */
  ajp?: AjpTransportOptions
  /**
   * Active health checks: probe every member every `interval` ms (HTTP `GET /` expecting 200-399,
   * AJP CPING/CPONG), put it in error after `fails` failed probes, bring it back after `passes`.
   * While they run, a member in error is brought back only by a probe, never by a user's request.
   * `true` for the defaults. Default: off.
   */
  health?: HealthCheckOptions | boolean
  /** Failures in a row that put a member in error (nginx `max_fails`). Default: 1. */
  maxFails?: number
  /**
   * Response statuses that count as a member failure (mod_jk `fail_on_status`), e.g. `[503]` for
   * a Tomcat that answers 503 while its application is stopping. A repeatable request (idempotent,
   * no body) that gets one is tried on another member before anything reaches the client (nginx
   * `proxy_next_upstream http_503`); otherwise the answer is passed on. Default: none.
   */
  failOnStatus?: number[]
  /** Milliseconds over which a recovered or added member's weight ramps up (HAProxy `slowstart`). Default: 0 (off). */
  slowStartMs?: number
  /**
   * When fewer than this share (0..1) of the active members is healthy, spread requests over all
   * active members rather than overload the few (Envoy's panic threshold, 0.5 there). Default: 0 (off).
   */
  panicThreshold?: number
  /**
   * When no member is usable because every one waits out its `retry` time in `error`, try them
   * anyway instead of answering 503: the session's member first, then the member out the longest
   * (httpd `forcerecovery=On`, nginx "all servers failed"). A member that came back serves at
   * once; one still dead fails that attempt and the request moves on. Applies to passive health
   * only: with active health checks, a member in error waits for a passing probe (use
   * `panicThreshold` to send traffic to members the checks call down). Default: true.
   */
  forceRecovery?: boolean
  /**
   * Retry an idempotent request without a body (GET, HEAD, OPTIONS, PUT/DELETE without body) on
   * another member when the connection broke before any response byte (a stale keep-alive socket,
   * a node shutting down), within `maxAttempts`. Requests with a body are retried only when none of
   * it was sent. Default: true.
   */
  retryIdempotent?: boolean
  /**
   * Read the body of an idempotent request (PUT, DELETE, OPTIONS …) of at most this many bytes in
   * full before sending it, so that it too can be sent to another member after a broken
   * connection (Envoy buffers retries the same way). Costs memory and a little latency; 0 = off.
   * Default: 0.
   */
  retryBodyLimit?: number
  /**
   * Most bytes of bodies read in full for `retryBodyLimit` that all requests together may hold at
   * once; a request that would go over is streamed as usual (not buffered, so not sent again after
   * a broken connection). Bounds the memory a flood of uploads can take. Default: 67108864 (64 MiB).
   */
  retryBodyTotal?: number
  /** Keep-alive agent settings for `http://` and `https://` members. */
  http?: HttpAgentOptions
  /**
   * TLS settings of every `https://` member (a member's own `tls` wins, option by option): `ca`
   * (the CA that issued the members' certificates), `cert`/`key` or `pfx` (a client certificate
   * for connectors that require one), `servername`, `rejectUnauthorized`, `minVersion`,
   * `maxVersion`, `ciphers`. Used by requests on every HTTP transport, health probes and upgraded
   * connections. See docs/guide/transports-http.md#https-members.
   * Default: Node's public CAs, certificates verified, SNI from the member URL's host name.
   */
  tls?: TlsOptions
  /**
   * Most header lines a request may carry (1..100000); a request with more is answered 431 and
   * never forwarded (httpd `LimitRequestFields`, Tomcat `maxHeaderCount`, Envoy
   * `max_headers_count`, all 100). The default leaves room for the up to six headers the balancer
   * adds (`X-Forwarded-*`, `Via`, `Connection` or AJP's `Content-Length`), which Tomcat counts too:
   * over its 100 it answers 400 (HTTP) or 500 (AJP). Node's HTTP server keeps only
   * `server.maxHeadersCount` headers (1000 unless set) and silently drops the rest, so a request
   * that reaches that count is refused as well: raise both together.
   * Default: 90.
   */
  maxHeaderCount?: number
  /**
   * Where log lines go: a pino (or bunyan) logger, a winston logger, `console` (or a
   * `console.Console`), any object with `debug`, `info`, `warn` and `error` methods taking
   * `(obj, msg)`, or `false` for none. See docs/guide/logging.md. Default: warnings and errors on
   * stderr (as httpd's `ErrorLog` and nginx's `error_log` do), `debug` and `info` lines only with
   * `NODE_DEBUG=sticky-balancer`.
   */
  logger?: LoggerOption | false
  /**
   * Called for every attempt, with the member chosen, before the request goes to it: set or remove
   * headers (an `Authorization` for the backend), change the path. What it leaves is checked; see
   * `ProxyRequestContext` and docs/guide/changing-requests.md. Synchronous. Default: none.
   */
  onRequest?: OnRequestHook
  /**
   * Called for every answer, before its head is written to the client: set or remove response
   * headers. See `ProxyResponseContext`. Synchronous. Default: none.
   */
  onResponse?: OnResponseHook
  /**
   * Rewrites the path below the mount before it is confined to the mount (http-proxy-middleware's
   * `pathRewrite`): `{ '^/old/': '/new/' }` (first matching rule) or `(path, req) => newPath`.
   * See `PathRewrite`. Default: none.
   */
  pathRewrite?: PathRewrite
  /** Upgraded connections (WebSocket…): allowed protocols, idle and handshake timeouts, per-member limit, close grace. See docs/guide/websockets.md. */
  upgrade?: UpgradeOptions
  /**
   * Serve the admin surface (balancer-manager page, JSON API, jkstatus formats, Prometheus metrics)
   * at `admin.path` below the balancer's mount, before any request is balanced. Only loopback
   * clients are let in unless `admin.authorize` says otherwise. See docs/guide/admin.md.
   * Default: none (nothing is served).
   */
  admin?: AdminOptions
}

/**
 * A member's options after validation and defaults (`balancer.options.members[i]`).
 *
 * @example
 * ```ts
 * const [first] = createBalancer({ members: [{ url: 'ajp://127.0.0.1:8009', route: 'TomcatA' }] }).options.members
 * first?.url.port      // '8009'
 * first?.weight        // 1
 * first?.upgradeUrl    // undefined: AJP cannot carry upgrades
 * ```
 */
export interface ResolvedMemberOptions {
  /** The member's URL, parsed. */
  readonly url: URL
  /** The node's `jvmRoute`, or undefined. */
  readonly route: string | undefined
  /** Weight, 1..100. */
  readonly weight: number
  /** The admin state it starts in. */
  readonly state: AdminState
  /** Route of the member that takes its sessions when it cannot. */
  readonly redirect: string | undefined
  /** Its session-replication domain, as configured. */
  readonly domain: string | undefined
  /** The member's own AJP settings (`ajp` and `secret`) as given, validated. */
  readonly ajp: AjpTransportOptions | undefined
  /** The AJP settings its transport uses: its own `ajp` over the balancer's, resolved; undefined for an HTTP member. */
  readonly ajpTransport: ResolvedAjpTransportOptions | undefined
  /** Priority group (0 = first). */
  readonly group: number
  /** Never put in error on failures. */
  readonly ignoreErrors: boolean
  /** Where upgrades to this member go (`upgradeUrl`, else an http(s) `url`); undefined: none (AJP only). */
  readonly upgradeUrl: URL | undefined
  /** The member's own TLS settings, validated (merged with the balancer's `tls` when it is connected). */
  readonly tls: Readonly<TlsOptions> | undefined
}

/**
 * The balancer's options after validation and defaults (`balancer.options`), each field as
 * described in {@link BalancerOptions}; durations in milliseconds.
 *
 * @example
 * ```ts
 * const { retryMs, maxAttempts, timeout, sticky } = createBalancer({ members, retryMs: 30_000 }).options
 * // retryMs 30000, maxAttempts = members - 1, timeout 60000, sticky.cookies ['JSESSIONID']
 * ```
 */
export interface ResolvedBalancerOptions {
  readonly members: readonly ResolvedMemberOptions[]
  readonly scheduler: SchedulerName | Scheduler
  /** `false` when stickiness is off. */
  readonly sticky: ResolvedStickyOptions | false
  readonly trustProxy: TrustProxy
  readonly upstreamPath: string | undefined
  readonly exclude: readonly (string | RegExp)[]
  readonly preserveHost: boolean
  readonly xForwarded: boolean
  readonly via: string | undefined
  readonly retryMs: number
  readonly health: ResolvedHealthCheck | false
  readonly maxFails: number
  readonly failOnStatus: ReadonlySet<number>
  readonly slowStartMs: number
  readonly panicThreshold: number
  readonly forceRecovery: boolean
  readonly retryIdempotent: boolean
  readonly retryBodyLimit: number
  readonly retryBodyTotal: number
  readonly maxAttempts: number
  readonly connectTimeout: number
  readonly timeout: number
  readonly closeTimeout: number
  readonly clientBodyTimeout: number
  readonly clientSendTimeout: number
  readonly http: Readonly<Required<HttpAgentOptions>>
  /** The balancer-wide `tls` option, validated; `undefined` when not given. */
  readonly tls: Readonly<TlsOptions> | undefined
  readonly maxHeaderCount: number
  /** The balancer-wide AJP settings, resolved (`connectTimeout` and `replyTimeout` default to the balancer's `connectTimeout` and `timeout`). */
  readonly ajp: ResolvedAjpTransportOptions
  /** The `logger` option as given (validated); `false` for none, undefined for the default. */
  readonly logger: LoggerOption | false | undefined
  readonly onRequest: OnRequestHook | undefined
  readonly onResponse: OnResponseHook | undefined
  /** `pathRewrite` as one function (rules compiled). */
  readonly pathRewrite: PathRewriter | undefined
  /** The `admin` option, resolved; `undefined` when the admin surface is off. */
  readonly admin: ResolvedAdminOptions | undefined
  readonly upgrade: ResolvedUpgradeOptions
}

/**
 * Defaults of every scalar option.
 *
 * @example
 * ```ts
 * createBalancer({ members, timeout: DEFAULTS.timeout * 2 })                        // 120 s for slow reports
 * createBalancer({ members, http: { ...DEFAULTS.http, transport: 'node' } })
 * ```
 */
export const DEFAULTS = Object.freeze({
  scheduler: 'byrequests' as const,
  weight: 1,
  preserveHost: false,
  xForwarded: true,
  retryMs: 60_000,
  connectTimeout: 5_000,
  timeout: 60_000,
  closeTimeout: 10_000,
  clientBodyTimeout: 60_000,
  clientSendTimeout: 60_000,
  maxHeaderCount: 90,
  retryBodyTotal: 64 * 1024 * 1024,
  http: Object.freeze({ maxSockets: 256, maxQueue: 1024, maxFreeSockets: 64, idleTimeout: 15_000, transport: 'undici' as 'http-proxy-3' | 'node' | 'undici' }),
})

const MEMBER_PROTOCOLS = new Set(['http:', 'https:', 'ajp:'])
const ROUTE_PATTERN = /^[A-Za-z0-9_\-.~:]+$/
const HTTP_TRANSPORTS = ['http-proxy-3', 'node', 'undici'] as const

/** The keys of {@link MemberOptions}; a key added to the interface and not here fails to compile. */
const MEMBER_KEYS = keysOf({
  url: true, route: true, weight: true, state: true, redirect: true, domain: true, secret: true, ajp: true, group: true, ignoreErrors: true, upgradeUrl: true, tls: true,
} satisfies Record<keyof MemberOptions, true>)

/** The keys of {@link BalancerOptions}; a key added to the interface and not here fails to compile. */
const BALANCER_KEYS = keysOf({
  members: true, scheduler: true, sticky: true, trustProxy: true, upstreamPath: true, exclude: true, preserveHost: true, xForwarded: true, via: true, retryMs: true,
  maxAttempts: true, connectTimeout: true, timeout: true, closeTimeout: true, clientBodyTimeout: true, clientSendTimeout: true, http: true, ajp: true, tls: true,
  logger: true, admin: true, upgrade: true, onRequest: true, onResponse: true, pathRewrite: true, health: true, maxFails: true, failOnStatus: true, slowStartMs: true,
  panicThreshold: true, forceRecovery: true, retryIdempotent: true, retryBodyLimit: true, retryBodyTotal: true, maxHeaderCount: true,
} satisfies Record<keyof BalancerOptions, true>)

/** The keys of {@link HttpAgentOptions}. */
const HTTP_KEYS = keysOf({ maxSockets: true, maxQueue: true, maxFreeSockets: true, idleTimeout: true, transport: true } satisfies Record<keyof HttpAgentOptions, true>)

/** Options that were in seconds under another name: the old name fails with the new one. */
const RENAMED_SECONDS: Readonly<Record<string, string>> = Object.freeze({ retry: 'retryMs', slowStart: 'slowStartMs' })

function statusSet(value: unknown): ReadonlySet<number> {
  if (value === undefined) return new Set()
  if (!Array.isArray(value) || !value.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
    mustBe('failOnStatus', 'a list of HTTP statuses (100..599)', value)
  }
  return new Set(value as number[])
}

/** A path prefix: starts with `/`, no trailing `/` (except the root, which becomes ``), no query. */
function pathPrefix(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !value.startsWith('/') || /[?#\s]/.test(value)) {
    mustBe(name, 'a path starting with "/" without query or spaces', value)
  }
  const prefix = value.replace(/\/+$/, '')
  // Requests are confined below it as Tomcat maps paths: it must be the path Tomcat maps.
  if (!isNormalisedPath(prefix)) {
    mustBe(name, 'a normalised path (no ".", ".." or empty segment, no ";", "\\", %2f or %5c, valid %-escapes)', value)
  }
  return prefix
}

function route(name: string, value: unknown, what: string, allowEmpty = false): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !(ROUTE_PATTERN.test(value) || (allowEmpty && value === ''))) mustBe(name, what, value)
  return value
}

/**
 * Throws for an option renamed when durations became milliseconds, with the value in ms. On a
 * member (mod_proxy writes `retry=` on each `BalancerMember`) it also says where the option lives.
 */
function refuseSeconds(raw: Record<string, unknown>, prefix: string, where = ''): void {
  for (const [old, renamedTo] of Object.entries(RENAMED_SECONDS)) {
    if (Object.hasOwn(raw, old)) renamed(`${prefix}${old}`, raw[old], renamedTo, (seconds) => Math.round(seconds * 1000), where)
  }
}

/** What a member's AJP settings default to: the balancer's `ajp`, resolved with its timeouts. */
export type MemberDefaults = Pick<ResolvedBalancerOptions, 'ajp'>

/** A member resolved outside a balancer (its AJP settings over {@link AJP_DEFAULTS}). */
const NO_BALANCER: MemberDefaults = Object.freeze({ ajp: AJP_DEFAULTS })

/**
 * Validates one member's options; `name` is how messages call it (`members[1]`). An `ajp://`
 * member's `ajpTransport` is its own `ajp`/`secret` over `defaults.ajp` (the balancer's, resolved).
 */
export function resolveMemberOptions(raw: unknown, name: string, defaults: MemberDefaults = NO_BALANCER): ResolvedMemberOptions {
  if (typeof raw === 'string') raw = { url: raw }
  if (!isPlainObject(raw)) fail(`${name} must be an object like { url: 'http://127.0.0.1:8081', route: 'TomcatA' }`)
  refuseSeconds(raw, `${name}.`, ', an option of the balancer, not of each member')
  knownKeys(raw, MEMBER_KEYS, name)
  if (typeof raw.url !== 'string') mustBe(`${name}.url`, "a string like 'http://127.0.0.1:8081'", raw.url)
  let url: URL
  try {
    url = new URL(raw.url)
  } catch {
    fail(`${name}.url is not a valid URL: ${JSON.stringify(raw.url)}`)
  }
  if (!MEMBER_PROTOCOLS.has(url.protocol)) mustBe(`${name}.url`, 'http://, https:// or ajp://', raw.url)
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    fail(`${name}.url must not have a path, query or fragment (use the upstreamPath option), got ${JSON.stringify(raw.url)}`)
  }
  if (url.username || url.password) fail(`${name}.url must not carry credentials`)
  if (url.protocol === 'ajp:' && !url.port) url = new URL(`ajp://${url.hostname}:8009`)
  let ajp: AjpTransportOptions | undefined
  let ajpTransport: ResolvedAjpTransportOptions | undefined
  if (raw.secret !== undefined || raw.ajp !== undefined) {
    if (url.protocol !== 'ajp:') fail(`${name}.${raw.secret !== undefined ? 'secret' : 'ajp'} is only for ajp:// members`)
    if (raw.ajp !== undefined) resolveAjpOptions(raw.ajp as AjpTransportOptions, `${name}.ajp`)
    ajp = { ...(raw.ajp as AjpTransportOptions | undefined), ...(raw.secret !== undefined ? { secret: raw.secret as string } : {}) }
  }
  if (url.protocol === 'ajp:') ajpTransport = resolveAjpOptions({ ...defaults.ajp, ...ajp }, `${name}.ajp`)
  const upgradeUrl = resolveUpgradeUrl(url, raw.upgradeUrl, name)
  let tls: Readonly<TlsOptions> | undefined
  if (raw.tls !== undefined) {
    if (url.protocol !== 'https:' && upgradeUrl?.protocol !== 'https:') fail(`${name}.tls is only for https:// members (its url or upgradeUrl)`)
    tls = validateTlsOptions(raw.tls, `${name}.tls`)
  }
  return {
    url,
    route: route(`${name}.route`, raw.route, 'a non-empty jvmRoute of letters, digits and - _ . ~ :'),
    weight: int(`${name}.weight`, raw.weight, { min: 1, max: 100, default: DEFAULTS.weight }),
    state: oneOf(`${name}.state`, raw.state, ADMIN_STATES, 'active'),
    redirect: route(`${name}.redirect`, raw.redirect, 'the route of another member'),
    domain: route(`${name}.domain`, raw.domain, "a name of letters, digits and - _ . ~ : or ''", true),
    ajp,
    ajpTransport,
    group: int(`${name}.group`, raw.group, { min: 0, max: 99, default: 0 }),
    ignoreErrors: bool(`${name}.ignoreErrors`, raw.ignoreErrors, false),
    upgradeUrl,
    tls,
  }
}

/**
 * The TLS settings one member connects with: its own `tls` over the balancer's, checked together
 * (see {@link mergeTlsOptions}); `undefined` when it has no `https://` URL or nothing is set.
 */
export function memberTlsOptions(member: ResolvedMemberOptions, options: Pick<ResolvedBalancerOptions, 'tls'>, name = 'tls'): Readonly<TlsOptions> | undefined {
  if (member.url.protocol !== 'https:' && member.upgradeUrl?.protocol !== 'https:') return undefined
  return mergeTlsOptions(options.tls, member.tls, name)
}

/**
 * Validates user options and fills in defaults. Throws `InvalidOptionError` naming the
 * first bad option.
 */
export function resolveBalancerOptions(options: BalancerOptions): ResolvedBalancerOptions {
  if (!isPlainObject(options)) fail('options must be an object with a members array')
  refuseSeconds(options, '')
  knownKeys(options, BALANCER_KEYS, '')
  if (!Array.isArray(options.members) || options.members.length === 0) {
    fail('members must be a non-empty array of { url, route?, weight? }')
  }
  const connectTimeout = ms('connectTimeout', options.connectTimeout, { min: 1, max: 600_000, default: DEFAULTS.connectTimeout })
  const timeout = ms('timeout', options.timeout, { min: 1, max: 86_400_000, default: DEFAULTS.timeout })
  if (options.ajp !== undefined && !isPlainObject(options.ajp)) fail('ajp must be an object of AJP options')
  // The balancer's timeouts are the AJP defaults; `ajp` and then a member's own `ajp` win.
  const ajp = resolveAjpOptions({ connectTimeout, replyTimeout: timeout, ...options.ajp }, 'ajp')
  const members = options.members.map((m, i) => resolveMemberOptions(m, `members[${i}]`, { ajp }))
  const ids = new Map<string, number>()
  members.forEach((m, i) => {
    const id = m.route ?? m.url.host
    const previous = ids.get(id)
    if (previous !== undefined) {
      fail(m.route ? `members[${i}].route "${id}" is already used by members[${previous}]` : `members[${i}].url ${m.url.origin} duplicates members[${previous}] (give each a route)`)
    }
    ids.set(id, i)
  })
  members.forEach((m, i) => {
    if (m.redirect === undefined) return
    if (m.redirect === m.route) fail(`members[${i}].redirect must name another member, not its own route`)
    if (!members.some((other) => other.route === m.redirect)) fail(`members[${i}].redirect "${m.redirect}" is not the route of any member`)
  })
  if (options.sticky !== undefined && options.sticky !== false && (typeof options.sticky !== 'object' || options.sticky === null)) {
    fail('sticky must be an object of sticky options, or false')
  }
  const sticky = options.sticky === false ? false : resolveStickyOptions(options.sticky)

  const scheduler = options.scheduler ?? DEFAULTS.scheduler
  if (typeof scheduler === 'string') {
    if (!(SCHEDULER_NAMES as readonly string[]).includes(scheduler)) mustBe('scheduler', `one of ${SCHEDULER_NAMES.join(', ')} or a scheduler object`, scheduler)
  } else if (!isPlainObject(scheduler) || typeof scheduler.pick !== 'function' || typeof scheduler.name !== 'string') {
    fail('scheduler must be a name or an object with a name and a pick(candidates, ctx, all) function')
  }

  const exclude = options.exclude ?? []
  if (!Array.isArray(exclude)) fail('exclude must be an array of path prefixes or regular expressions')
  exclude.forEach((entry, i) => {
    if (entry instanceof RegExp) return
    if (typeof entry !== 'string' || !entry.startsWith('/')) mustBe(`exclude[${i}]`, 'a path starting with "/" or a RegExp', entry)
  })

  let via: string | undefined
  if (options.via !== undefined && options.via !== false) {
    via = options.via === true ? 'sticky-balancer' : token('via', options.via, 'true, false or a pseudonym token')
  }

  const http = options.http ?? {}
  if (!isPlainObject(http)) fail('http must be an object like { maxSockets, maxFreeSockets, idleTimeout }')
  knownKeys(http, HTTP_KEYS, 'http')

  const logger = options.logger
  if (logger !== undefined && logger !== false) toLogger(logger, 'logger')
  fn('onRequest', options.onRequest, '(ctx) => void')
  fn('onResponse', options.onResponse, '(ctx) => void')

  const tls = options.tls === undefined ? undefined : validateTlsOptions(options.tls, 'tls')
  // Loaded once here, so a wrong file, key or passphrase fails now, naming the member.
  members.forEach((m, i) => memberTlsOptions(m, { tls }, m.tls !== undefined ? `members[${i}].tls` : 'tls'))

  return Object.freeze({
    members: Object.freeze(members),
    scheduler,
    sticky,
    trustProxy: resolveTrustProxy(options.trustProxy),
    upstreamPath: pathPrefix('upstreamPath', options.upstreamPath),
    exclude: Object.freeze([...exclude]),
    preserveHost: bool('preserveHost', options.preserveHost, DEFAULTS.preserveHost),
    xForwarded: bool('xForwarded', options.xForwarded, DEFAULTS.xForwarded),
    via,
    retryMs: ms('retryMs', options.retryMs, { min: 0, max: 86_400_000, default: DEFAULTS.retryMs }),
    health: resolveHealthCheckOptions(options.health),
    maxFails: int('maxFails', options.maxFails, { min: 1, max: 1000, default: 1 }),
    failOnStatus: statusSet(options.failOnStatus),
    slowStartMs: ms('slowStartMs', options.slowStartMs, { min: 0, max: 3_600_000, default: 0 }),
    panicThreshold: share('panicThreshold', options.panicThreshold, 0),
    forceRecovery: bool('forceRecovery', options.forceRecovery, true),
    retryIdempotent: bool('retryIdempotent', options.retryIdempotent, true),
    retryBodyLimit: int('retryBodyLimit', options.retryBodyLimit, { min: 0, max: 16 * 1024 * 1024, default: 0 }),
    retryBodyTotal: int('retryBodyTotal', options.retryBodyTotal, { min: 0, max: 16 * 1024 * 1024 * 1024, default: DEFAULTS.retryBodyTotal }),
    maxAttempts: int('maxAttempts', options.maxAttempts, { min: 0, max: 100, default: members.length - 1 }),
    connectTimeout,
    timeout,
    closeTimeout: ms('closeTimeout', options.closeTimeout, { min: 0, max: 600_000, default: DEFAULTS.closeTimeout }),
    clientBodyTimeout: ms('clientBodyTimeout', options.clientBodyTimeout, { min: 1, max: 86_400_000, default: DEFAULTS.clientBodyTimeout }),
    clientSendTimeout: ms('clientSendTimeout', options.clientSendTimeout, { min: 1, max: 86_400_000, default: DEFAULTS.clientSendTimeout }),
    http: Object.freeze({
      maxSockets: int('http.maxSockets', http.maxSockets, { min: 1, max: 65_536, default: DEFAULTS.http.maxSockets }),
      maxQueue: int('http.maxQueue', http.maxQueue, { min: 0, max: 1_000_000, default: DEFAULTS.http.maxQueue }),
      maxFreeSockets: int('http.maxFreeSockets', http.maxFreeSockets, { min: 0, max: 65_536, default: DEFAULTS.http.maxFreeSockets }),
      idleTimeout: ms('http.idleTimeout', http.idleTimeout, { min: 1, max: 3_600_000, default: DEFAULTS.http.idleTimeout }),
      transport: oneOf('http.transport', http.transport, HTTP_TRANSPORTS, DEFAULTS.http.transport),
    }),
    tls,
    maxHeaderCount: int('maxHeaderCount', options.maxHeaderCount, { min: 1, max: 100_000, default: DEFAULTS.maxHeaderCount }),
    ajp,
    logger,
    onRequest: options.onRequest,
    onResponse: options.onResponse,
    pathRewrite: resolvePathRewrite(options.pathRewrite),
    admin: options.admin === undefined ? undefined : resolveAdminOptions(options.admin, 'admin'),
    upgrade: resolveUpgradeOptions(options.upgrade),
  })
}
