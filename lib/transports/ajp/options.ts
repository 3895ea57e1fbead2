/**
 * Options of the AJP transport: defaults, and their one-time validation.
 *
 * @module
 */
import { InvalidOptionError } from '../../errors.js'
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

const KNOWN = new Set(Object.keys(AJP_DEFAULTS))
/** Node timers take at most 2^31−1 ms. */
const MAX_TIMER = 2 ** 31 - 1

function duration(prefix: string, name: string, value: number, { allowZero, allowInfinity }: { allowZero: boolean; allowInfinity?: boolean }): number {
  if (allowInfinity && value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > MAX_TIMER) {
    throw new InvalidOptionError(`${prefix}.${name} must be an integer number of milliseconds${allowZero ? ' ≥ 0' : ' > 0'}, got ${String(value)}`)
  }
  return value
}

function count(prefix: string, name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(`${prefix}.${name} must be an integer ≥ ${min}, got ${String(value)}`)
  }
  return value
}

/**
 * Merges user options with {@link AJP_DEFAULTS} and validates them once.
 *
 * @throws InvalidOptionError naming the option.
 */
export function resolveAjpOptions(user: AjpTransportOptions = {}, prefix = 'ajp'): ResolvedAjpTransportOptions {
  if (typeof user !== 'object' || user === null || Array.isArray(user)) throw new InvalidOptionError(`${prefix} must be an object of AJP options`)
  for (const key of Object.keys(user)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`${prefix}.${key} is not a known option (known: ${[...KNOWN].join(', ')})`)
  }
  const secret = user.secret
  if (secret !== undefined && (typeof secret !== 'string' || secret.length === 0 || /[\r\n\0]/.test(secret))) {
    throw new InvalidOptionError(`${prefix}.secret must be a non-empty string without CR, LF or NUL`)
  }
  const packetSize = user.packetSize ?? AJP_DEFAULTS.packetSize
  if (!Number.isInteger(packetSize) || packetSize < DEFAULT_PACKET_SIZE || packetSize > MAX_PACKET_SIZE) {
    throw new InvalidOptionError(`${prefix}.packetSize must be an integer in ${DEFAULT_PACKET_SIZE}..${MAX_PACKET_SIZE} (the connector's packetSize), got ${String(packetSize)}`)
  }
  return Object.freeze({
    secret,
    packetSize,
    connectTimeout: duration(prefix, 'connectTimeout', user.connectTimeout ?? AJP_DEFAULTS.connectTimeout, { allowZero: false }),
    replyTimeout: duration(prefix, 'replyTimeout', user.replyTimeout ?? AJP_DEFAULTS.replyTimeout, { allowZero: true }),
    idleTimeout: duration(prefix, 'idleTimeout', user.idleTimeout ?? AJP_DEFAULTS.idleTimeout, { allowZero: false }),
    maxConnections: count(prefix, 'maxConnections', user.maxConnections ?? AJP_DEFAULTS.maxConnections, 1),
    maxQueued: count(prefix, 'maxQueued', user.maxQueued ?? AJP_DEFAULTS.maxQueued, 0),
    pingAfterIdle: duration(prefix, 'pingAfterIdle', user.pingAfterIdle ?? AJP_DEFAULTS.pingAfterIdle, { allowZero: true, allowInfinity: true }),
    pingTimeout: duration(prefix, 'pingTimeout', user.pingTimeout ?? AJP_DEFAULTS.pingTimeout, { allowZero: false }),
  })
}
