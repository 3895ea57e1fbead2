/**
 * Options of the AJP transport: defaults, and their one-time validation.
 *
 * @module
 */
import { fail, int, isPlainObject, keysOf, knownKeys, ms } from '../../validate.js'
import { DEFAULT_PACKET_SIZE, MAX_PACKET_SIZE } from './constants.js'

/**
 * Options of `createAjpTransport`, and of the balancer's `ajp` option (and a member's own
 * `ajp`). All durations are in milliseconds.
 *
 * @example
 * ```ts
 * // <Connector protocol="AJP/1.3" port="8009" secret="…" packetSize="65536" maxThreads="200" />
 * createBalancer({
 *   members: [{ url: 'ajp://127.0.0.1:8009', route: 'TomcatA' }, { url: 'ajp://127.0.0.1:8010', route: 'TomcatB' }],
 *   ajp: { secret: process.env.TOMCAT_AJP_SECRET, packetSize: 65536, maxConnections: 200, replyTimeout: 120_000 },
 * })
 * ```
 */
export interface AjpTransportOptions {
  /**
   * The connector's `secret` (sent as attribute 0x0C on every request). Tomcat ≥ 9.0.31 requires
   * one unless `secretRequired="false"`. Keep it in configuration; it is never logged.
   * Default: none (no secret attribute).
   */
  secret?: string
  /**
   * Largest AJP packet, header included; must equal the connector's `packetSize`.
   * 8192..65536. Default: 8192.
   */
  packetSize?: number
  /** Time to establish a TCP connection to the member, and the longest wait for a free pooled connection. Default: 5000. */
  connectTimeout?: number
  /**
   * Longest silence from the member while it owes an answer (mod_jk `reply_timeout`); a stalled
   * exchange fails with 504 (or an aborted response once the head was sent). 0 disables it.
   * Default: 60000.
   */
  replyTimeout?: number
  /** Idle pooled connections are closed after this long; keep it below Tomcat's `keepAliveTimeout` when set. Default: 60000. */
  idleTimeout?: number
  /** Most connections to the member at once (each carries one request at a time). Default: 64. */
  maxConnections?: number
  /** Most requests waiting for a connection when all are busy; more fail at once with 503. Default: 1024. */
  maxQueued?: number
  /**
   * A pooled connection idle for longer than this is checked with CPING/CPONG before it is reused
   * (mod_jk `ping_mode=I`). 0 pings before every reuse; `Infinity` never pings. Default: 10000.
   */
  pingAfterIdle?: number
  /** Time to wait for CPONG. Default: 2000. */
  pingTimeout?: number
}

/**
 * AJP options after validation and defaults (an AJP transport's `options`).
 *
 * @example
 * ```ts
 * const transport = createAjpTransport(member, { secret: 'sticky-balancer-dev-secret' })
 * transport.options.packetSize       // 8192
 * transport.options.maxConnections   // 64
 * ```
 */
export type ResolvedAjpTransportOptions = Readonly<Required<Omit<AjpTransportOptions, 'secret'>> & { secret: string | undefined }>

/**
 * Defaults of {@link AjpTransportOptions}.
 *
 * @example
 * ```ts
 * createBalancer({ members, ajp: { secret, replyTimeout: AJP_DEFAULTS.replyTimeout * 2 } })   // 2 minutes
 * ```
 */
export const AJP_DEFAULTS: ResolvedAjpTransportOptions = Object.freeze({
  secret: undefined,
  packetSize: DEFAULT_PACKET_SIZE,
  connectTimeout: 5000,
  replyTimeout: 60_000,
  idleTimeout: 60_000,
  maxConnections: 64,
  maxQueued: 1024,
  pingAfterIdle: 10_000,
  pingTimeout: 2000,
})

/** The keys of {@link AjpTransportOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({
  secret: true, packetSize: true, connectTimeout: true, replyTimeout: true, idleTimeout: true, maxConnections: true, maxQueued: true, pingAfterIdle: true, pingTimeout: true,
} satisfies Record<keyof AjpTransportOptions, true>)

/**
 * Merges user options with {@link AJP_DEFAULTS} and validates them once.
 *
 * @throws InvalidOptionError naming the option.
 */
export function resolveAjpOptions(user: AjpTransportOptions = {}, prefix = 'ajp'): ResolvedAjpTransportOptions {
  if (!isPlainObject(user)) fail(`${prefix} must be an object of AJP options`)
  knownKeys(user, KNOWN, prefix)
  const secret = user.secret
  if (secret !== undefined && (typeof secret !== 'string' || secret.length === 0 || /[\r\n\0]/.test(secret))) {
    // The secret itself is never shown.
    fail(`${prefix}.secret must be a non-empty string without CR, LF or NUL`)
  }
  const d = AJP_DEFAULTS
  return Object.freeze({
    secret,
    packetSize: int(`${prefix}.packetSize`, user.packetSize, { min: DEFAULT_PACKET_SIZE, max: MAX_PACKET_SIZE, default: d.packetSize }),
    connectTimeout: ms(`${prefix}.connectTimeout`, user.connectTimeout, { min: 1, default: d.connectTimeout }),
    replyTimeout: ms(`${prefix}.replyTimeout`, user.replyTimeout, { min: 0, default: d.replyTimeout }),
    idleTimeout: ms(`${prefix}.idleTimeout`, user.idleTimeout, { min: 1, default: d.idleTimeout }),
    maxConnections: int(`${prefix}.maxConnections`, user.maxConnections, { min: 1, max: Number.MAX_SAFE_INTEGER, default: d.maxConnections }),
    maxQueued: int(`${prefix}.maxQueued`, user.maxQueued, { min: 0, max: Number.MAX_SAFE_INTEGER, default: d.maxQueued }),
    pingAfterIdle: ms(`${prefix}.pingAfterIdle`, user.pingAfterIdle, { min: 0, infinity: true, default: d.pingAfterIdle }),
    pingTimeout: ms(`${prefix}.pingTimeout`, user.pingTimeout, { min: 1, default: d.pingTimeout }),
  })
}
