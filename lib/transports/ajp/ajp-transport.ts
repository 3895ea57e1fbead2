/**
 * The AJP13 transport: forwards exchanges to one member's Tomcat AJP connector
 * (`ajp://host:port`, port 8009 by default).
 *
 * It turns an {@link Exchange} into a FORWARD_REQUEST from proxy-side facts only (the client
 * socket, the public host, configuration), then lets a request driver stream the body and the
 * answer over a pooled connection.
 *
 * @module
 */
import type { TLSSocket } from 'node:tls'
import { debuglog } from 'node:util'
import { channels } from '../../diagnostics.js'
import type { Member } from '../../members/member.js'
import { exchangeFraming } from '../../proxy/request-framing.js'
import { CLIENT_TIMEOUT_DEFAULTS, type ClientTimeouts } from '../../proxy/client-timeouts.js'
import type { Exchange, ForwardResult, Transport } from '../transport.js'
import { AjpUpgradeNotSupportedError, type AjpSecretRejectedError } from './errors.js'
import { encodeForwardRequest, type ForwardRequest, type ForwardRequestTls } from './forward-request.js'
import { resolveAjpOptions, type AjpTransportOptions, type ResolvedAjpTransportOptions } from './options.js'
import { AjpPool } from './pool.js'
import { RequestDriver } from './request-driver.js'

const debug = debuglog('sticky-balancer')
/** Published when a member rejects the transport's configuration (wrong secret). */
const configErrorChannel = channels.ajpConfigError

/**
 * Default AJP port when the member URL has none.
 *
 * @example
 * ```ts
 * createBalancer({ members: [{ url: 'ajp://tomcat-a', route: 'TomcatA' }] })   // connects to tomcat-a:8009 (DEFAULT_AJP_PORT)
 * ```
 */
export const DEFAULT_AJP_PORT = 8009

/**
 * A {@link Transport} over AJP13, plus a CPING health probe.
 *
 * @example
 * ```ts
 * const transport = createAjpTransport(balancer.member('TomcatA')!, { secret: process.env.TOMCAT_AJP_SECRET })
 * console.log(`CPONG after ${await transport.ping()} ms`)
 * await transport.close()
 * ```
 */
export interface AjpTransport extends Transport {
  /**
   * CPING/CPONG on a pooled connection (a new one if none is idle): a cheap liveness probe that
   * does not reach any web application.
   *
   * @returns the round trip in milliseconds.
   * @throws UpstreamConnectError / UpstreamTimeoutError / UpstreamProtocolError.
   */
  ping(): Promise<number>
  /** The resolved options (defaults applied). */
  readonly options: ResolvedAjpTransportOptions
}

/**
 * Creates the AJP transport of one member.
 *
 * @param member - the member; its URL gives host and port (`ajp://tomcat-a:8009`), its route is
 * sent as the informational AJP route attribute.
 * @param options - see {@link AjpTransportOptions}; validated here.
 * @param clientTimeouts - how long a client may stall its body or its reading (the balancer's
 * `clientBodyTimeout` and `clientSendTimeout`).
 * @param upgradeUrl - the member's HTTP connector for upgrades (`upgradeUrl`): AJP carries none.
 * @throws InvalidOptionError for a bad option.
 *
 * @example
 * ```ts
 * const transport = createAjpTransport(member, { secret: process.env.TOMCAT_AJP_SECRET })
 * const result = await transport.forward(exchange) // { status, bytesIn, bytesOut }
 * ```
 */
export function createAjpTransport(member: Member, options: AjpTransportOptions = {}, clientTimeouts: ClientTimeouts = CLIENT_TIMEOUT_DEFAULTS, upgradeUrl?: URL): AjpTransport {
  return openAjpTransport(member, resolveAjpOptions(options), clientTimeouts, upgradeUrl)
}

/**
 * Creates the AJP transport of one member from options resolved already (see
 * {@link resolveAjpOptions}); what the balancer uses, with each member's resolved `ajpTransport`.
 *
 * @internal
 */
export function openAjpTransport(member: Member, resolved: ResolvedAjpTransportOptions, clientTimeouts: ClientTimeouts = CLIENT_TIMEOUT_DEFAULTS, upgradeUrl?: URL): AjpTransport {
  const host = member.url.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = member.url.port === '' ? DEFAULT_AJP_PORT : Number(member.url.port)
  const pool = new AjpPool(host, port, resolved)
  let warned = false
  const settings = {
    pool,
    options: resolved,
    memberId: member.id,
    clientTimeouts,
    onSecretRejected(err: AjpSecretRejectedError): void {
      debug('ajp: %s', err.message)
      if (configErrorChannel.hasSubscribers) configErrorChannel.publish({ member, error: err })
      if (!warned) {
        warned = true
        process.emitWarning(err.message, { type: 'ConfigurationWarning', code: err.code })
      }
    },
  }

  return {
    options: resolved,
    // Not `async`: the driver's promise is returned as it is, without one more promise around it.
    forward(exchange: Exchange): Promise<ForwardResult> {
      let contentLength: number | undefined
      let packet: Buffer
      try {
        refuseUpgrade(exchange)
        contentLength = requestBodyLength(exchange)
        packet = encodeForwardRequest(describeForwardRequest(exchange, contentLength, member.route, resolved.secret), resolved.packetSize)
      } catch (err) {
        return Promise.reject(err)
      }
      return new RequestDriver(exchange, packet, contentLength, settings).run()
    },
    sockets: () => pool.sockets(),
    close: () => pool.close(),
    ping: () => pool.ping(),
    probe: () => pool.ping().then(() => undefined),
    preserveHost: true,
    selfOrigin: undefined,
    upgradeTarget: upgradeUrl,
    upgradeRefusal: (protocol) => new AjpUpgradeNotSupportedError(protocol),
  }
}

/** Throws a 501 for requests that ask for a protocol upgrade; AJP cannot carry one. */
function refuseUpgrade(exchange: Exchange): void {
  const upgrade = exchange.req.headers.upgrade
  if (upgrade === undefined) return
  // A cleartext h2c offer may simply be ignored (RFC 9113 dropped it); anything else needs a tunnel.
  const offers = upgrade.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)
  if (offers.length > 0 && offers.every((p) => p === 'h2c')) return
  throw new AjpUpgradeNotSupportedError(upgrade)
}

/**
 * The body length to announce: the client's Content-Length (or the length of the body the balancer
 * holds), `undefined` for a chunked body
 * (streamed until the empty packet), 0 when there is none (see {@link exchangeFraming}).
 */
function requestBodyLength(exchange: Exchange): number | undefined {
  const framing = exchangeFraming(exchange.req.headers, exchange.body)
  if (framing === 'chunked') return undefined
  return framing === 'none' ? 0 : framing
}

/** Splits `host[:port]` (IPv6 in brackets); the port defaults by scheme. */
function parsePublicHost(publicHost: string, secure: boolean): PublicHost {
  // Nearly every request of a site names the same host: the last answer is kept.
  const last = secure ? lastSecureHost : lastHost
  if (last.text === publicHost) return last
  const fallback = secure ? 443 : 80
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(publicHost)
  let parsed: PublicHost
  if (!match) parsed = { text: publicHost, name: publicHost, port: fallback }
  else {
    const port = match[2] === undefined ? fallback : Number(match[2])
    parsed = { text: publicHost, name: match[1] as string, port: port <= 0xffff ? port : fallback }
  }
  if (secure) lastSecureHost = parsed
  else lastHost = parsed
  return parsed
}

interface PublicHost {
  readonly text: string
  readonly name: string
  readonly port: number
}
let lastHost: PublicHost = { text: '', name: '', port: 80 }
let lastSecureHost: PublicHost = { text: '', name: '', port: 443 }

/** TLS facts of the client socket, when it is TLS. A client certificate only when verified. */
function tlsFacts(exchange: Exchange): ForwardRequestTls | undefined {
  const socket = exchange.req.socket as Partial<TLSSocket> | undefined
  if (!socket || typeof socket.getCipher !== 'function') return undefined
  const cipher = socket.getCipher()
  const name = cipher?.standardName ?? cipher?.name
  let cert: string | undefined
  if (socket.authorized === true && typeof socket.getPeerCertificate === 'function') {
    const raw = socket.getPeerCertificate(false)?.raw
    if (raw && raw.length > 0) cert = toPem(raw)
  }
  return { cipher: name, keySize: keySizeOf(name), protocol: socket.getProtocol?.() ?? undefined, cert }
}

/** Symmetric key bits from a cipher name (what mod_ssl calls SSL_CIPHER_USEKEYSIZE). */
function keySizeOf(cipher: string | undefined): number | undefined {
  if (!cipher) return undefined
  if (/CHACHA20/i.test(cipher)) return 256
  const m = /(?:AES|CAMELLIA|ARIA)[_-]?(128|192|256)/i.exec(cipher)
  return m ? Number(m[1]) : undefined
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n')
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`
}

/** `HTTP/<version>`, without building the string for the usual versions. */
function protocolOf(version: string): string {
  return version === '1.1' ? 'HTTP/1.1' : version === '1.0' ? 'HTTP/1.0' : `HTTP/${version}`
}

/**
 * The FORWARD_REQUEST fields of an exchange: everything comes from the request line, the
 * balancer-built headers and the proxy's own socket (or, behind a proxy `trustProxy` trusts, what
 * that proxy reported: `is_ssl`, `server_port`, `remote_addr`, the Host), never from client-chosen
 * attributes.
 * `server_name` is the Host name (as httpd with `UseCanonicalName Off`); `server_port` is the port
 * the client connected to, which Tomcat reports as `getLocalPort()`.
 * @internal
 */
export function describeForwardRequest(exchange: Pick<Exchange, 'path' | 'client' | 'publicHost' | 'method' | 'req' | 'headers'>, contentLength: number | undefined, route: string | undefined, secret: string | undefined): ForwardRequest {
  const path = exchange.path
  const q = path.indexOf('?')
  const client = exchange.client
  const server = parsePublicHost(exchange.publicHost, client.secure)
  return {
    method: exchange.method,
    protocol: protocolOf(exchange.req.httpVersion),
    uri: q < 0 ? path : path.slice(0, q),
    queryString: q < 0 ? undefined : path.slice(q + 1),
    // The client a trusted proxy in front names (mod_remoteip), else the socket peer.
    remoteAddr: client.forwardedFor ?? client.address,
    remoteHost: null,
    serverName: server.name,
    // Tomcat's getLocalPort(); getServerPort() comes from the Host header (httpd and mod_jk do the same).
    serverPort: client.localPort > 0 ? client.localPort : server.port,
    isSsl: client.secure,
    headers: exchange.headers,
    contentLength,
    secret,
    route,
    remotePort: client.port,
    localAddr: client.localAddress,
    // Facts of our own TLS socket only (a TLS terminator in front reports none).
    tls: client.secure ? tlsFacts(exchange as Exchange) : undefined,
  }
}

