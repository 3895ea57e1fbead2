/**
 * The admin surface's safety checks: who may see it (loopback by default), whether a change comes
 * from the admin page itself (same origin), and the per-page nonces every change must carry (as
 * balancer-manager's `nonce`).
 *
 * All checks read the proxy's own socket and the request's headers only; `X-Forwarded-For` is
 * never believed here.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { cidrContains, parseCidr } from '../net/cidr.js'
import type { Cidr } from '../net/cidr.js'
import { parseIpInto } from '../net/ip-address.js'

const LOOPBACK: readonly Cidr[] = [parseCidr('127.0.0.0/8') as Cidr, parseCidr('::1/128') as Cidr]

/**
 * Whether an address is a loopback address: `127.0.0.0/8`, `::1`, or IPv4-mapped `::ffff:127.x.y.z`
 * (what a dual-stack server reports for an IPv4 client). Anything unparsable is not loopback.
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.1')        // true
 * isLoopback('::ffff:127.0.0.2') // true
 * isLoopback('::1')              // true
 * isLoopback('10.0.0.1')         // false
 * ```
 */
export function isLoopback(address: string | undefined): boolean {
  if (typeof address !== 'string' || address.length === 0) return false
  const bytes = new Uint8Array(16)
  // A zone index (`::1%lo0`) is not part of the address.
  const zone = address.indexOf('%')
  if (parseIpInto(zone < 0 ? address : address.slice(0, zone), bytes) === 0) return false
  return LOOPBACK.some((block) => cidrContains(block, bytes))
}

/** The default `authorize`: the client's socket address is a loopback address. */
export function loopbackOnly(req: IncomingMessage): boolean {
  return isLoopback(req.socket.remoteAddress)
}

/** Why a change request was judged cross-origin, or `undefined` when it was not. */
export function crossOriginReason(req: IncomingMessage): string | undefined {
  const host = req.headers.host?.toLowerCase()
  const site = headerValue(req, 'sec-fetch-site')
  if (site !== undefined) {
    // `none`: typed in the address bar or a bookmark; the nonce still has to match.
    if (site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`
    return undefined
  }
  const origin = headerValue(req, 'origin')
  if (origin !== undefined) {
    if (hostOf(origin) !== host || host === undefined) return `Origin ${origin} is not this server`
    return undefined
  }
  const referer = headerValue(req, 'referer')
  if (referer !== undefined) {
    if (hostOf(referer) !== host || host === undefined) return 'Referer is not this server'
    return undefined
  }
  // No browser sends a change without any of the three; scripts (curl) do, and still need a nonce.
  return undefined
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase()
  } catch {
    return undefined
  }
}

/**
 * The nonces handed out with admin pages and JSON answers. A change must carry one that is still
 * known. Nonces expire `ttlMs` after they were last used; the store keeps at most `max` of them,
 * forgetting the least recently used first.
 */
export class NonceStore {
  readonly #ttlMs: number
  readonly #max: number
  /** nonce → expiry (ms since epoch); insertion order is recency order. */
  readonly #nonces = new Map<string, number>()

  constructor(ttlMs = 3_600_000, max = 1_000) {
    this.#ttlMs = ttlMs
    this.#max = max
  }

  /** A new random nonce (128 bits, base64url). */
  issue(now = Date.now()): string {
    const nonce = randomBytes(16).toString('base64url')
    this.#nonces.set(nonce, now + this.#ttlMs)
    while (this.#nonces.size > this.#max) {
      const oldest = this.#nonces.keys().next().value as string
      this.#nonces.delete(oldest)
    }
    return nonce
  }

  /** Whether `nonce` is known and unexpired; a valid nonce's lifetime starts again. */
  check(nonce: string | undefined, now = Date.now()): boolean {
    if (typeof nonce !== 'string' || nonce.length === 0) return false
    const expiry = this.#nonces.get(nonce)
    if (expiry === undefined) return false
    this.#nonces.delete(nonce)
    if (expiry <= now) return false
    this.#nonces.set(nonce, now + this.#ttlMs)
    return true
  }
}
