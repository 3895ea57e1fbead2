/**
 * Options of HTTP upgrades (WebSocket, and other `Upgrade` tokens allowed by `upgrade.protocols`):
 * their defaults and their validation.
 *
 * @module
 */
import { fail, int, isPlainObject, keysOf, knownKeys, ms, mustBe } from '../validate.js'
import { isProtocolToken } from './upgrade-protocols.js'

/**
 * The balancer's `upgrade` option.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({
 *   members,
 *   upgrade: { idleTimeout: 10 * 60_000, maxPerMember: 5_000, closeGrace: 10_000 },
 * })
 * balancer.attachUpgrades(server)
 * ```
 */
export interface UpgradeOptions {
  /**
   * Milliseconds an upgraded connection may stay silent in both directions before the balancer
   * closes it (WebSocket close frame 1001, then the sockets); `0` = never. One hour by default:
   * long enough for quiet but live connections (Tomcat's own WebSocket `maxIdleTimeout` is 0,
   * none), short enough that abandoned ones do not hold a member's slot forever (nginx cuts after
   * 60 s, its `proxy_read_timeout`). Dead peers are found sooner by TCP keep-alive, which is on
   * for both sockets. Default: 3600000.
   */
  idleTimeout?: number
  /**
   * Most upgraded connections (handshakes included) one member may hold at once; `0` = no limit.
   * A member at its limit takes no new upgrade: a connection without a session goes to another
   * member, one whose session lives there gets 503. Default: 4096 (half of the 8192 connections
   * Tomcat's NIO connector accepts by default, leaving the rest to requests).
   */
  maxPerMember?: number
  /**
   * The `Upgrade` protocols clients may ask for (tokens, compared without case), e.g.
   * `['websocket', 'h2c']`; `[]` refuses every upgrade. Any other offer is dropped from the
   * forwarded `Upgrade` header, and a handshake with no allowed offer is answered 501 without
   * reaching a member. Default: `['websocket']`.
   */
  protocols?: string[]
  /**
   * Milliseconds the member may take to answer a handshake (the lower of this and the balancer's
   * `timeout` applies); then 504. Default: 30000.
   */
  handshakeTimeout?: number
  /**
   * Milliseconds the upgraded connections of a member that was `stopped` or removed, or of a
   * balancer being closed, keep running before they are closed with a WebSocket close frame
   * (1001 "going away"). Default: 5000.
   */
  closeGrace?: number
}

/**
 * The `upgrade` option after validation and defaults (`balancer.options.upgrade`).
 *
 * @example
 * ```ts
 * const { idleTimeout, maxPerMember, closeGrace } = balancer.options.upgrade   // 3600000, 4096, 5000 by default
 * ```
 */
export interface ResolvedUpgradeOptions {
  /** Milliseconds of silence before an upgraded connection is closed; 0 = never. */
  readonly idleTimeout: number
  /** Most upgraded connections per member; 0 = no limit. */
  readonly maxPerMember: number
  /** The allowed `Upgrade` protocol names, lower case. */
  readonly protocols: ReadonlySet<string>
  /** Milliseconds a member may take to answer a handshake (capped by the balancer's `timeout`). */
  readonly handshakeTimeout: number
  /** Milliseconds upgraded connections keep running after their member was stopped or removed. */
  readonly closeGrace: number
}

/**
 * Defaults of the `upgrade` option: 1 h idle timeout, 4096 connections per member, `websocket`
 * only, 30 s for a handshake, 5 s close grace.
 *
 * @example
 * ```ts
 * createBalancer({ members, upgrade: { closeGrace: UPGRADE_DEFAULTS.closeGrace * 6 } })   // 30 s to finish on a stopped member
 * ```
 */
export const UPGRADE_DEFAULTS: Readonly<ResolvedUpgradeOptions> = Object.freeze({
  idleTimeout: 3_600_000,
  maxPerMember: 4096,
  protocols: Object.freeze(new Set(['websocket'])) as ReadonlySet<string>,
  handshakeTimeout: 30_000,
  closeGrace: 5_000,
})

/** The keys of {@link UpgradeOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({ idleTimeout: true, maxPerMember: true, protocols: true, handshakeTimeout: true, closeGrace: true } satisfies Record<keyof UpgradeOptions, true>)

function protocolSet(name: string, value: unknown): ReadonlySet<string> {
  if (value === undefined) return UPGRADE_DEFAULTS.protocols
  if (!Array.isArray(value) || value.length > 32 || !value.every((p) => typeof p === 'string' && isProtocolToken(p))) {
    mustBe(name, "a list of at most 32 protocol tokens like ['websocket', 'h2c']", value)
  }
  return new Set(value.map((p: string) => p.toLowerCase()))
}

/**
 * Validates the `upgrade` option and fills in defaults; throws `InvalidOptionError` naming
 * the option.
 *
 * @example
 * ```ts
 * resolveUpgradeOptions({ idleTimeout: 600_000 }) // { idleTimeout: 600000, maxPerMember: 4096, protocols: Set { 'websocket' }, handshakeTimeout: 30000, closeGrace: 5000 }
 * ```
 */
export function resolveUpgradeOptions(options: UpgradeOptions | undefined, name = 'upgrade'): ResolvedUpgradeOptions {
  if (options === undefined) return UPGRADE_DEFAULTS
  if (!isPlainObject(options)) {
    fail(`${name} must be an object like { idleTimeout: 600000, maxPerMember: 1000, protocols: ['websocket'], closeGrace: 5000 }`)
  }
  knownKeys(options, KNOWN, name)
  return Object.freeze({
    idleTimeout: ms(`${name}.idleTimeout`, options.idleTimeout, { min: 0, max: 86_400_000, default: UPGRADE_DEFAULTS.idleTimeout }),
    maxPerMember: int(`${name}.maxPerMember`, options.maxPerMember, { min: 0, max: 1_000_000, default: UPGRADE_DEFAULTS.maxPerMember }),
    protocols: protocolSet(`${name}.protocols`, options.protocols),
    handshakeTimeout: Math.max(1, ms(`${name}.handshakeTimeout`, options.handshakeTimeout, { min: 0, max: 600_000, default: UPGRADE_DEFAULTS.handshakeTimeout })),
    closeGrace: ms(`${name}.closeGrace`, options.closeGrace, { min: 0, max: 600_000, default: UPGRADE_DEFAULTS.closeGrace }),
  })
}

/**
 * The HTTP(S) URL upgrades of a member go to: its `upgradeUrl`, else its own `http(s)://` URL;
 * `undefined` for an `ajp://` member without `upgradeUrl` (AJP cannot carry upgrades).
 */
export function resolveUpgradeUrl(memberUrl: URL, upgradeUrl: unknown, name: string): URL | undefined {
  if (upgradeUrl === undefined) return memberUrl.protocol === 'ajp:' ? undefined : memberUrl
  let url: URL
  try {
    url = new URL(String(upgradeUrl))
  } catch {
    fail(`${name}.upgradeUrl is not a valid URL: ${JSON.stringify(upgradeUrl)}`)
  }
  if (typeof upgradeUrl !== 'string' || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    mustBe(`${name}.upgradeUrl`, "an http:// or https:// URL (the node's HTTP connector)", upgradeUrl)
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    mustBe(`${name}.upgradeUrl`, 'an origin without path, query or credentials', upgradeUrl)
  }
  return new URL(url.origin)
}
