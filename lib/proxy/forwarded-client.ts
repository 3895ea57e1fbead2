/**
 * What the balancer believes about a client connection: the socket's facts, or, when the socket
 * peer is a trusted proxy (a TLS-terminating load balancer, an ingress, nginx in front), what that
 * proxy reports in `X-Forwarded-Proto/-Host/-Port/-For` or `Forwarded`.
 *
 * Decided once per request, from the immediate peer's address only. Its result feeds the
 * member-bound `X-Forwarded-*` headers, AJP's `is_ssl`, `server_name`, `server_port` and
 * `remote_addr`, the balancer cookie's `Secure` flag and the public origin of reverse rewriting.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { forwardedHost, forwardedPort, forwardedProto, lastForwardedElement, lastListEntry, portOfHost } from '../net/forwarded.js'
import type { ForwardedElement } from '../net/forwarded.js'
import { clientAddress } from '../net/client-address.js'
import { normalizeIp } from '../net/ip-address.js'
import { TrustProxy } from '../net/trust-proxy.js'
import type { ClientConnection } from '../transports/transport.js'

/**
 * A host framework's own trust rule, as Express compiles its `trust proxy` setting
 * (`app.get('trust proxy fn')`): whether `address`, `hop` proxies away from the balancer (0: the
 * socket peer), is a trusted proxy.
 *
 * @example
 * ```ts
 * const trustLoopback: TrustPredicate = (address) => address === '127.0.0.1' || address === '::1'
 * ```
 */
export type TrustPredicate = (address: string, hop: number) => boolean

/**
 * A trust rule: the balancer's `trustProxy` option (resolved), or a host framework's predicate,
 * as an adapter hands it over in the mount context.
 *
 * @example
 * ```ts
 * // a host of its own that trusts the proxies its framework trusts
 * void balancer.handle(req, res, next, { trustProxy: (address) => frameworkTrusts(address) })
 * void balancer.handle(req, res, next, { trustProxy: resolveTrustProxy('loopback') })
 * ```
 */
export type ClientTrust = TrustProxy | TrustPredicate

/** Whether `trust` may trust anyone at all (a predicate may: it is asked per request). */
export function trustsAnyone(trust: ClientTrust | undefined): trust is ClientTrust {
  return trust !== undefined && (typeof trust === 'function' || trust.enabled)
}

/**
 * The connection as the balancer believes it. Returns `socket` itself (no allocation) when the
 * request carries no forwarding header, when its peer is not trusted, or when no value it carries
 * is valid; otherwise a copy of `socket` where:
 *
 * - `secure`: `X-Forwarded-Proto` or `Forwarded: proto=` is `https`;
 * - `forwardedHost`: `X-Forwarded-Host` or `Forwarded: host=`, a valid `host[:port]`;
 * - `localPort`: `X-Forwarded-Port`, else the port of the forwarded host (or of `Host`) when a
 *   proto or host was forwarded, else the scheme's default port;
 * - `forwardedFor`: the client as `X-Forwarded-For` names it, walked from the right over trusted
 *   hops, or `Forwarded: for=`;
 * - `address`, `port`, `localAddress` stay the socket's (the balancer appends its peer to
 *   `X-Forwarded-For`).
 *
 * Lists are read from the right (the nearest proxy's entry); an invalid value is ignored, never
 * passed on. When both families name a value (`X-Forwarded-Proto` and `Forwarded: proto=`; the
 * host; the right-most `X-Forwarded-For` entry and `for=`) and they differ, neither is believed.
 *
 * @example
 * ```ts
 * // peer 127.0.0.1 (nginx in front), trustProxy: 'loopback'
 * // X-Forwarded-Proto: https, X-Forwarded-Host: shop.example:8443, X-Forwarded-For: 203.0.113.9
 * forwardedClient(req, socket, resolveTrustProxy('loopback'))
 * // { ...socket, secure: true, localPort: 8443, forwardedHost: 'shop.example:8443', forwardedFor: '203.0.113.9', proxied: true }
 * ```
 */
export function forwardedClient(req: IncomingMessage, socket: ClientConnection, trust: ClientTrust): ClientConnection {
  const headers = req.headers
  const xfProto = headers['x-forwarded-proto']
  const xfHost = headers['x-forwarded-host']
  const xfPort = headers['x-forwarded-port']
  const xfFor = headers['x-forwarded-for']
  const forwarded = headers.forwarded
  if (xfProto === undefined && xfHost === undefined && xfPort === undefined && xfFor === undefined && forwarded === undefined) return socket
  if (socket.address === '' || !trusts(trust, socket.address, 0)) return socket

  const element = forwarded === undefined ? undefined : lastForwardedElement(forwarded)
  const proto = agreed(forwardedProto(lastListEntry(xfProto)), element?.proto)
  const host = agreed(forwardedHost(lastListEntry(xfHost)), element?.host)
  let port = forwardedPort(lastListEntry(xfPort))
  // Forwarded has no port of its own: X-Forwarded-Port must agree with the one its host or proto implies.
  if (port !== undefined && element !== undefined && port !== impliedPort(element)) {
    if (element.host !== undefined || element.proto !== undefined) port = undefined
  }
  const secure = proto === undefined ? socket.secure : proto === 'https'
  if (port === undefined && (proto !== undefined || host !== undefined)) {
    const hostHeader = host ?? forwardedHost(headers.host)
    port = (hostHeader === undefined ? undefined : portOfHost(hostHeader)) ?? (secure ? 443 : 80)
  }
  const forwardedFor = xfFor === undefined ? element?.for
    : element?.for === undefined || element.for === normalizeIp(lastListEntry(xfFor) ?? '') ? clientOf(req, socket.address, xfFor, trust)
      : undefined
  if (proto === undefined && host === undefined && port === undefined && forwardedFor === undefined) return socket
  return {
    address: socket.address,
    port: socket.port,
    localAddress: socket.localAddress,
    localPort: port ?? socket.localPort,
    secure,
    forwardedHost: host,
    forwardedFor,
    proxied: true,
  }
}

/**
 * What the two header families agree on: the one value given, the value both give, or nothing
 * when they differ. A proxy that writes one family may pass the other through from the client, so
 * neither may override the other: a client can then only lose what the proxy reported, never
 * choose it.
 */
function agreed<T extends string>(x: T | undefined, rfc: T | undefined): T | undefined {
  if (x === undefined) return rfc
  if (rfc === undefined) return x
  return x.toLowerCase() === rfc.toLowerCase() ? x : undefined
}

/** The port a `Forwarded` element implies: its host's, else its proto's default; undefined when it says neither. */
function impliedPort(element: ForwardedElement): number | undefined {
  const fromHost = element.host === undefined ? undefined : portOfHost(element.host)
  if (fromHost !== undefined) return fromHost
  return element.proto === undefined ? undefined : element.proto === 'https' ? 443 : 80
}

function trusts(trust: ClientTrust, address: string, hop: number): boolean {
  return typeof trust === 'function' ? trust(address, hop) === true : trust.trusts(address)
}

/**
 * The client `X-Forwarded-For` names, from the right over trusted hops; `undefined` when that is
 * the socket peer itself (nothing to believe).
 */
function clientOf(req: IncomingMessage, peer: string, header: string | readonly string[], trust: ClientTrust): string | undefined {
  let client: string | undefined
  if (trust instanceof TrustProxy) client = clientAddress(req, trust)
  else {
    // The walk proxy-addr does for Express: hop i is asked with its index, an entry that is not an
    // address ends it.
    client = peer
    const entries = (typeof header === 'string' ? header : header.join(',')).split(',')
    for (let i = entries.length - 1, hop = 0; i >= 0; i--) {
      const text = (entries[i] as string).trim()
      if (text === '') continue
      if (!trust(client, hop++)) break
      const next = normalizeIp(text)
      if (next === undefined) break
      client = next
    }
  }
  return client === undefined || client === peer || client === normalizeIp(peer) ? undefined : client
}
