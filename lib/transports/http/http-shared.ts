/**
 * What the HTTP transports share: the member's keep-alive agent, its socket counts, and small
 * facts about messages.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import type { Member } from '../../members/member.js'
import type { RequestFraming } from '../../proxy/request-framing.js'
import { CLIENT_TIMEOUT_DEFAULTS } from '../../proxy/client-timeouts.js'
import type { ClientTimeouts } from '../../proxy/client-timeouts.js'
import { tlsConnectOptions } from '../../net/tls-options.js'
import type { TlsOptions } from '../../net/tls-options.js'

/**
 * Settings of an HTTP transport: the balancer passes its `connectTimeout`, `timeout` and `http`
 * options.
 *
 * @example
 * ```ts
 * const options: HttpTransportOptions = { connectTimeout: 5000, timeout: 60_000, maxSockets: 256, maxFreeSockets: 64, idleTimeout: 15_000 }
 * const transport = createHttpTransport(member, options)
 * ```
 */
export interface HttpTransportOptions {
  /** Milliseconds to wait for the TCP (and TLS) connection, and for a free socket when all are busy. */
  readonly connectTimeout: number
  /** Milliseconds the member may stay silent while answering. */
  readonly timeout: number
  /** Most sockets open to the member at once. */
  readonly maxSockets: number
  /** Most exchanges that may wait for a free socket; more are refused at once (503). Default: 1024. */
  readonly maxQueue?: number
  /** Most idle sockets kept. */
  readonly maxFreeSockets: number
  /** Milliseconds an idle keep-alive socket is kept. */
  readonly idleTimeout: number
  /** Longest wait between two reads of the client's request body. Default: 60000. */
  readonly clientBodyTimeout?: number | undefined
  /** Longest time the client may read none of the response waiting for it. Default: 60000. */
  readonly clientSendTimeout?: number | undefined
  /** TLS settings of an `https://` member (the balancer's `tls` merged with the member's). */
  readonly tls?: Readonly<TlsOptions> | undefined
  /** Send the client's `Host` (the balancer's `preserveHost`). Default: false. */
  readonly preserveHost?: boolean | undefined
  /** Where upgrades go (the member's `upgradeUrl`). Default: the member's own URL. */
  readonly upgradeUrl?: URL | undefined
}

/** The client timeouts of HTTP transport options, defaults applied. */
export function clientTimeoutsOf(options: HttpTransportOptions): ClientTimeouts {
  return Object.freeze({
    clientBodyTimeout: options.clientBodyTimeout ?? CLIENT_TIMEOUT_DEFAULTS.clientBodyTimeout,
    clientSendTimeout: options.clientSendTimeout ?? CLIENT_TIMEOUT_DEFAULTS.clientSendTimeout,
  })
}

/**
 * A keep-alive agent of the member's own (LIFO, so idle sockets beyond need time out). For an
 * `https://` member it carries the TLS settings: an agent's own options win over a request's, so
 * neither http-proxy-3's `secure` default nor a preserved `Host` header changes what is trusted or
 * which name is sent and checked.
 */
export function createAgent(member: Member, options: HttpTransportOptions): http.Agent {
  const agentOptions: http.AgentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets,
    maxFreeSockets: options.maxFreeSockets,
    timeout: options.idleTimeout,
    scheduling: 'lifo',
  }
  return member.protocol === 'https' ? new https.Agent({ ...agentOptions, ...tlsConnectOptions(options.tls, member.url) }) : new http.Agent(agentOptions)
}

/** Open and idle sockets of an agent (open includes idle). */
export function agentSockets(agent: http.Agent): { open: number; idle: number } {
  let open = 0
  let idle = 0
  for (const list of Object.values(agent.sockets)) open += list?.length ?? 0
  for (const list of Object.values(agent.freeSockets)) idle += list?.length ?? 0
  return { open: open + idle, idle }
}

/**
 * The member-bound headers as a flat `[name, value, …]` list: an array value gives one line per
 * element, except `cookie`, joined with `; ` as Node joins it. `http.request` writes such a list
 * as it is, without the `setHeader` call, name lower-casing and header map it makes for every
 * field of an object.
 *
 * The body's framing is never taken from `headers`: any `content-length` or `transfer-encoding`
 * there is left out, and the list ends with the framing of `framing` (see {@link requestFraming}):
 * `content-length` with the client's exact length, `transfer-encoding: chunked` when the client
 * sent chunked (unless `chunkedHeader` is false: undici frames a body of unknown length itself and
 * refuses the header), or neither when the client sent no body.
 */
export function headerList(headers: Readonly<Record<string, string | readonly string[]>>, framing: RequestFraming, chunkedHeader = true): string[] {
  const list: string[] = []
  for (const name in headers) {
    if (name === 'content-length' || name === 'transfer-encoding') continue
    const value = headers[name] as string | readonly string[]
    if (typeof value === 'string') list.push(name, value)
    else if (name === 'cookie' && value.length > 1) list.push(name, value.join('; ')) // as Node sends a cookie list
    else for (const one of value) list.push(name, one)
  }
  if (framing === 'chunked') {
    if (chunkedHeader) list.push('transfer-encoding', 'chunked')
  } else if (framing !== 'none') {
    list.push('content-length', String(framing))
  }
  return list
}

/**
 * Whether a failure of the member's connection that comes after the response head went to the
 * client is left to the response body to judge, instead of aborting the client response at once.
 *
 * A member may answer before it has read the whole request (Node's 431 for an oversized head, an
 * early 413) and close: the request bytes it never read make its kernel reset the connection
 * (RFC 9112 §9.6). Node 20's libuv (1.46) took a short read that came with POLLHUP for the end of
 * the stream and never saw the reset; Node 24's (1.52) reads once more and reports ECONNRESET, on
 * the request, after the whole response arrived. So a reset goes to the body relay, which judges
 * by the response's framing as Node's parser does: a body that arrived to its Content-Length or
 * last chunk ends normally, a short one still aborts the client response (the relay sees the
 * response's `aborted` error). A body delimited by the close ends at the reset as it would at a FIN (RFC 9112 §6.3:
 * the octets received before the close). Timeouts and every other failure abort at once.
 */
export function leftToResponse(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  return code === 'ECONNRESET' || code === 'EPIPE'
}
