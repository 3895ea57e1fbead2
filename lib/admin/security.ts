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

/** Headers a proxy in front adds (nginx, httpd, HAProxy, Envoy, Traefik, Caddy, CDNs), besides `X-Forwarded-*`. */
const PROXY_HEADERS = ['forwarded', 'via', 'x-real-ip', 'x-client-ip', 'true-client-ip', 'cf-connecting-ip', 'x-cluster-client-ip', 'fastly-client-ip']

/**
 * The first header (lower case) that says a proxy stands in front of this server: `Forwarded`,
 * `Via`, `X-Real-IP`, any `X-Forwarded-*`, or a CDN's client-address header; `undefined` when there
 * is none. Presence counts, whatever the value (an empty one too). Behind a proxy on the same host
 * every client arrives from loopback, so the default loopback rule means nothing there: the admin
 * surface refuses such requests unless an `authorize` option decides.
 *
 * @example
 * ```ts
 * proxySign(req) // 'x-forwarded-for' for a request nginx forwarded with proxy_set_header X-Forwarded-For
 * ```
 */
export function proxySign(req: IncomingMessage): string | undefined {
  const headers = req.headers
  for (const name of PROXY_HEADERS) if (headers[name] !== undefined) return name
  for (const name in headers) if (name.startsWith('x-forwarded-')) return name
  return undefined
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

/** Default lifetime of a nonce: five minutes (`nonceMs`). */
export const NONCE_TTL_MS = 300_000

/**
 * The nonces handed out with admin pages and JSON answers. A change must carry one that is still
 * known, and uses it up: a nonce is good for one change, within `ttlMs` of being issued. The store
 * keeps at most `max` of them, forgetting the oldest first.
 *
 * @example
 * ```ts
 * const store = new NonceStore(300_000)
 * const nonce = store.issue()
 * store.consume(nonce) // true
 * store.consume(nonce) // false: a replay
 * ```
 */
export class NonceStore {
  readonly #ttlMs: number
  readonly #max: number
  /** nonce → expiry (ms since epoch); insertion order is age order. */
  readonly #nonces = new Map<string, number>()

  constructor(ttlMs = NONCE_TTL_MS, max = 4_096) {
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

  /** Whether `nonce` was issued here and is unexpired; either way it is good for nothing after. */
  consume(nonce: string | undefined, now = Date.now()): boolean {
    if (typeof nonce !== 'string' || nonce.length === 0) return false
    const expiry = this.#nonces.get(nonce)
    if (expiry === undefined) return false
    this.#nonces.delete(nonce)
    return expiry > now
  }

  /** Forgets a nonce (one that was seen where it must not be, like a URL). */
  revoke(nonce: string): void {
    this.#nonces.delete(nonce)
  }
}
