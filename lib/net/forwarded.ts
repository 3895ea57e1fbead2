/**
 * Strict readers of what a proxy in front says about the client connection: `X-Forwarded-Proto`,
 * `-Host`, `-Port` and the RFC 7239 `Forwarded` header's `proto`, `host` and `for`.
 *
 * Pure functions. Each returns `undefined` for a value it does not accept, and the caller then
 * ignores the header: text a client made up never becomes a fact the balancer passes on as its own.
 * When a header holds a list (a proxy that appends rather than replaces), the right-most entry is
 * read: the one the nearest proxy, the trusted one, wrote.
 *
 * @module
 */
import { normalizeIp } from './ip-address.js'

/** A header as Node parses it: a string, or an array for the few it does not join. */
export type HeaderValue = string | readonly string[] | undefined

/** The right-most comma-separated entry of a header, trimmed; `undefined` when it is empty. */
export function lastListEntry(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined
  const line = typeof value === 'string' ? value : value[value.length - 1]
  if (line === undefined) return undefined
  const entry = line.slice(line.lastIndexOf(',') + 1).trim()
  return entry === '' ? undefined : entry
}

/**
 * `http` or `https` (any case), else `undefined`.
 *
 * @example
 * ```ts
 * forwardedProto('HTTPS') // 'https'
 * forwardedProto('wss')   // undefined
 * ```
 */
export function forwardedProto(entry: string | undefined): 'http' | 'https' | undefined {
  if (entry === undefined) return undefined
  const proto = entry.toLowerCase()
  return proto === 'https' || proto === 'http' ? proto : undefined
}

/**
 * A port: 1 to 5 digits, 1..65535, else `undefined`.
 *
 * @example
 * ```ts
 * forwardedPort('8443') // 8443
 * forwardedPort('+443') // undefined
 * ```
 */
export function forwardedPort(entry: string | undefined): number | undefined {
  if (entry === undefined || !/^\d{1,5}$/.test(entry)) return undefined
  const port = Number(entry)
  return port >= 1 && port <= 65_535 ? port : undefined
}

/** A DNS name (labels of letters, digits, `-` and `_`), an IPv4 address, or an IPv6 literal in brackets; then an optional port. */
const HOST = /^(?:(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/

/**
 * A `host[:port]` the balancer may write as its own `X-Forwarded-Host` and `Host`: a DNS name, an
 * IPv4 address or a bracketed IPv6 address, with an optional port 1..65535; at most 255
 * characters. Anything else (spaces, `@`, `/`, a second colon, an empty port) is `undefined`.
 *
 * @example
 * ```ts
 * forwardedHost('shop.example:8443') // 'shop.example:8443'
 * forwardedHost('[2001:db8::1]:443') // '[2001:db8::1]:443'
 * forwardedHost('evil.example/x')    // undefined
 * ```
 */
export function forwardedHost(entry: string | undefined): string | undefined {
  if (entry === undefined || entry.length > 255) return undefined
  const match = HOST.exec(entry)
  if (match === null) return undefined
  if (entry.startsWith('[') && normalizeIp(entry.slice(1, entry.indexOf(']'))) === undefined) return undefined
  if (match[1] !== undefined && forwardedPort(match[1]) === undefined) return undefined
  return entry
}

/** The port of a `host[:port]` accepted by {@link forwardedHost}, `undefined` when it names none. */
export function portOfHost(host: string): number | undefined {
  const colon = host.lastIndexOf(':')
  if (colon < 0 || colon < host.lastIndexOf(']')) return undefined
  return forwardedPort(host.slice(colon + 1))
}

/** The parameters of one `Forwarded` element the balancer reads. */
export interface ForwardedElement {
  readonly proto?: 'http' | 'https' | undefined
  readonly host?: string | undefined
  /** The client address (`for=`), canonical; obfuscated identifiers and `unknown` are left out. */
  readonly for?: string | undefined
}

/**
 * The right-most element of an RFC 7239 `Forwarded` header (the one the nearest proxy added),
 * with its `proto`, `host` and `for` values validated as above; a value that fails is left out.
 * Returns `undefined` when the element does not parse (then the header is ignored as a whole).
 *
 * @example
 * ```ts
 * lastForwardedElement('for=198.51.100.7;proto=http, for="[2001:db8::1]:4711";proto=https;host=shop.example')
 * // { for: '2001:db8::1', proto: 'https', host: 'shop.example' }
 * ```
 */
export function lastForwardedElement(value: HeaderValue): ForwardedElement | undefined {
  const element = lastListEntry(value)
  if (element === undefined) return undefined
  let proto: 'http' | 'https' | undefined
  let host: string | undefined
  let address: string | undefined
  const names: string[] = []
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) return undefined
    const name = pair.slice(0, eq).trim().toLowerCase()
    // A parameter named twice makes the element invalid (RFC 7239, section 4).
    if (names.includes(name)) return undefined
    names.push(name)
    let text = pair.slice(eq + 1).trim()
    if (text.startsWith('"')) {
      if (text.length < 2 || !text.endsWith('"') || text.slice(1, -1).includes('"') || text.includes('\\')) return undefined
      text = text.slice(1, -1)
    }
    if (name === 'proto') proto = forwardedProto(text)
    else if (name === 'host') host = forwardedHost(text)
    else if (name === 'for') address = nodeAddress(text)
  }
  return { proto, host, for: address }
}

/** An RFC 7239 node (`192.0.2.1`, `192.0.2.1:80`, `[2001:db8::1]`, `[2001:db8::1]:80`) as a canonical address. */
function nodeAddress(node: string): string | undefined {
  if (node.startsWith('[')) {
    const close = node.indexOf(']')
    if (close < 0) return undefined
    const rest = node.slice(close + 1)
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined
    return normalizeIp(node.slice(1, close))
  }
  const colon = node.indexOf(':')
  if (colon < 0) return normalizeIp(node)
  if (!/^\d{1,5}$/.test(node.slice(colon + 1))) return undefined
  const address = node.slice(0, colon)
  return address.includes('.') ? normalizeIp(address) : undefined
}
