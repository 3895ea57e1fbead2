/**
 * Which peers are trusted proxies, whose `X-Forwarded-For` may name the client and whose
 * `X-Forwarded-Proto/-Host/-Port` and `Forwarded` describe the client connection (Express's
 * `trust proxy` with a list; the idea of nginx `set_real_ip_from`; see `forwardedClient`).
 *
 * Resolved once by {@link resolveTrustProxy}, which validates every entry and names `trustProxy`
 * in its errors.
 *
 * @module
 */
import { fail, mustBe } from '../validate.js'
import type { Cidr } from './cidr.js'
import { cidrContains, parseCidr } from './cidr.js'
import { parseIpInto } from './ip-address.js'

/**
 * `false` (default): trust no proxy, the client is the socket peer. `true`: trust every hop, the
 * client is the left-most `X-Forwarded-For` entry (only behind a proxy that overwrites the header).
 * A list (array, or one string with commas) of addresses, CIDR blocks and the names `loopback`,
 * `linklocal`, `uniquelocal`: trust those.
 *
 * @example
 * ```ts
 * // behind an nginx on the same host and a load balancer in 10.0.0.0/8
 * createBalancer({ members, trustProxy: ['loopback', '10.0.0.0/8'] })
 * createBalancer({ members, trustProxy: 'loopback, 192.168.1.5' })
 * ```
 */
export type TrustProxyOption = boolean | string | readonly string[]

/** The named groups of blocks, as Express (proxy-addr) names them. */
export const TRUST_PROXY_PRESETS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  loopback: Object.freeze(['127.0.0.1/8', '::1/128']),
  linklocal: Object.freeze(['169.254.0.0/16', 'fe80::/10']),
  uniquelocal: Object.freeze(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']),
})

/**
 * A validated trust setting, made by `resolveTrustProxy`; the balancer's
 * `options.trustProxy` is one.
 *
 * @example
 * ```ts
 * const trust = resolveTrustProxy(['loopback', '10.0.0.0/8'])
 * trust.enabled                 // true
 * trust.trusts('10.1.2.3')      // true
 * trust.trusts('203.0.113.9')   // false
 * clientAddress(req, trust)     // the client as X-Forwarded-For names it, when the peer is trusted
 * ```
 */
export class TrustProxy {
  readonly #all: boolean
  readonly #blocks: readonly Cidr[]
  readonly #scratch = new Uint8Array(16)

  /** Use `resolveTrustProxy`; this takes already parsed blocks. */
  constructor(all: boolean, blocks: readonly Cidr[]) {
    this.#all = all
    this.#blocks = blocks
  }

  /** Whether any proxy is trusted at all (else `X-Forwarded-For` is never read). */
  get enabled(): boolean {
    return this.#all || this.#blocks.length > 0
  }

  /** Whether `address` (text, either family) is a trusted proxy. Not an address → `false`. */
  trusts(address: string): boolean {
    if (this.#all) return true
    if (this.#blocks.length === 0 || parseIpInto(address, this.#scratch) === 0) return false
    return this.trustsBytes(this.#scratch)
  }

  /** Whether the 16 address bytes (from `parseIpInto`) are a trusted proxy. */
  trustsBytes(address: Uint8Array): boolean {
    if (this.#all) return true
    for (const block of this.#blocks) if (cidrContains(block, address)) return true
    return false
  }
}

/** Trust nobody: the default. */
export const TRUST_NONE: TrustProxy = new TrustProxy(false, [])

/**
 * Validates a `trustProxy` option.
 *
 * @throws {InvalidOptionError} naming `trustProxy` and the entry that is neither an address, a
 *   CIDR block nor a preset name.
 *
 * @example
 * ```ts
 * const trust = resolveTrustProxy(['loopback', '10.0.0.0/8', '2001:db8::/32'])
 * trust.trusts('::ffff:10.1.2.3') // true
 * ```
 */
export function resolveTrustProxy(option: TrustProxyOption | TrustProxy | undefined): TrustProxy {
  if (option instanceof TrustProxy) return option
  if (option === undefined || option === false) return TRUST_NONE
  if (option === true) return new TrustProxy(true, [])
  let entries: unknown[]
  if (typeof option === 'string') entries = option.split(',')
  else if (Array.isArray(option)) entries = [...(option as unknown[])]
  else mustBe('trustProxy', 'a boolean, an address or CIDR block, or a list of them', option)
  const blocks: Cidr[] = []
  for (const [i, entry] of entries.entries()) {
    if (typeof entry !== 'string') mustBe(`trustProxy[${i}]`, 'a string', entry)
    const name = entry.trim()
    const preset = Object.hasOwn(TRUST_PROXY_PRESETS, name) ? TRUST_PROXY_PRESETS[name] : undefined
    for (const text of preset ?? [name]) {
      const block = parseCidr(text)
      if (block === undefined) {
        fail(`trustProxy: ${JSON.stringify(entry)} is not an IP address, a CIDR block (10.0.0.0/8, fd00::/8) or one of ${Object.keys(TRUST_PROXY_PRESETS).join(', ')}`)
      }
      blocks.push(block)
    }
  }
  return blocks.length === 0 ? TRUST_NONE : new TrustProxy(false, Object.freeze(blocks))
}
