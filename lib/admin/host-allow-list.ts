/**
 * Which `Host` the admin surface answers: loopback literals and `localhost` (any port), plus the
 * names an operator lists in `allowedHosts`. Anything else gets 421 Misdirected Request.
 *
 * This is what stops DNS rebinding: a page in a browser on the gateway host makes
 * `attacker.example` resolve to 127.0.0.1, and its script then reads and posts to the admin
 * surface as a same-origin client from loopback. The browser still sends `Host: attacker.example`,
 * a name no operator listed, so every route answers 421 and nothing is read or changed.
 *
 * Pure: functions of header text only.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { isLoopback } from './security.js'

/** A `Host` header split into its name (lower case; IPv6 kept in brackets) and port. */
export interface HostParts {
  readonly name: string
  readonly port: string | undefined
}

const REG_NAME = /^[a-z0-9._-]+$/
const PORT = /^[0-9]{1,5}$/

/**
 * Splits a `Host` value (`uri-host [":" port]`, RFC 9110 §7.2) into name and port; `undefined`
 * when it is not one: empty, userinfo (`a@b`), a zone id, an unbracketed IPv6 address, spaces,
 * percent-encoding, an empty or out-of-range port. Names are compared in lower case.
 *
 * @example
 * ```ts
 * splitHost('LocalHost:8080')   // { name: 'localhost', port: '8080' }
 * splitHost('[::1]')            // { name: '[::1]', port: undefined }
 * splitHost('user@localhost')   // undefined
 * ```
 */
export function splitHost(value: string): HostParts | undefined {
  if (value.length === 0 || value.length > 300) return undefined
  let name: string
  let rest: string
  if (value.startsWith('[')) {
    const close = value.indexOf(']')
    if (close < 0) return undefined
    const inner = value.slice(1, close)
    if (inner.length === 0 || !/^[0-9a-fA-F:.]+$/.test(inner)) return undefined
    name = `[${inner.toLowerCase()}]`
    rest = value.slice(close + 1)
  } else {
    const colon = value.indexOf(':')
    name = (colon < 0 ? value : value.slice(0, colon)).toLowerCase()
    rest = colon < 0 ? '' : value.slice(colon)
    if (!REG_NAME.test(name)) return undefined
  }
  if (rest === '') return { name, port: undefined }
  const port = rest.slice(1)
  if (rest[0] !== ':' || !PORT.test(port) || Number(port) > 65535) return undefined
  return { name, port }
}

/**
 * Whether a host name (as {@link splitHost} returns it) is loopback by itself, whatever DNS says:
 * `localhost`, a dotted-decimal address in `127.0.0.0/8` (four parts, no leading zeros: the only
 * form a browser sends), or a bracketed IPv6 loopback (`[::1]`, `[::ffff:127.0.0.1]`).
 * `localhost.`, `127.1`, `0x7f.1` and `127.0.0.1.nip.io` are not.
 *
 * @example
 * ```ts
 * isLoopbackHostName('127.0.0.1')  // true
 * isLoopbackHostName('[::1]')      // true
 * isLoopbackHostName('127.1')      // false
 * ```
 */
export function isLoopbackHostName(name: string): boolean {
  if (name === 'localhost') return true
  if (name.startsWith('[')) return isLoopback(name.slice(1, -1))
  return /^[0-9.]+$/.test(name) && isLoopback(name)
}

/**
 * Validates `allowedHosts` entries: host names or address literals without a port (`lb.internal`,
 * `10.0.0.5`, `[fd00::5]`); returns them in lower case, or the message naming the bad one.
 */
export function normaliseAllowedHosts(name: string, value: unknown): readonly string[] | string {
  if (!Array.isArray(value)) return `${name} must be an array of host names like ["lb.internal.example"], got ${JSON.stringify(value)}`
  const out: string[] = []
  for (const [i, entry] of value.entries()) {
    const parts = typeof entry === 'string' ? splitHost(entry) : undefined
    if (parts === undefined || parts.port !== undefined || parts.name.startsWith('.') || parts.name.endsWith('.')) {
      return `${name}[${i}] must be a host name or address without a port (like "lb.internal.example" or "10.0.0.5"), got ${JSON.stringify(entry)}`
    }
    out.push(parts.name)
  }
  return Object.freeze(out)
}

/**
 * Why a request is not addressed to the admin surface, or `undefined` when it is: it carries
 * exactly one `Host` header whose name is loopback or listed in `allowed`, and when its target is
 * in absolute form, that authority passes too. The reason never quotes the header.
 */
export function misdirectedReason(req: IncomingMessage, allowed: readonly string[]): string | undefined {
  let count = 0
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string
    if (key.length === 4 && key.toLowerCase() === 'host') count++
  }
  if (count === 0) return 'no Host header'
  if (count > 1) return 'more than one Host header'
  const host = req.headers.host ?? ''
  const reason = hostReason(host, allowed)
  if (reason !== undefined) return reason
  const target = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl ?? req.url ?? '/'
  if (typeof target === 'string' && !target.startsWith('/')) {
    let authority: string
    try {
      authority = new URL(target).host
    } catch {
      return 'the request target is not a path'
    }
    if (hostReason(authority, allowed) !== undefined) return 'the request target names another host'
  }
  return undefined
}

function hostReason(value: string, allowed: readonly string[]): string | undefined {
  const parts = splitHost(value)
  if (parts === undefined) return 'the Host header is malformed'
  if (isLoopbackHostName(parts.name) || allowed.includes(parts.name)) return undefined
  return 'the Host header names a host this admin surface does not answer (see admin.allowedHosts)'
}
