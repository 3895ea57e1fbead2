/**
 * One attempt to forward a request to one member: the {@link Exchange} a transport works with, and
 * the {@link ReverseMapping} its response head is rewritten with, in one object.
 *
 * The balancer creates one per attempt, on every request: it holds plain fields and a prototype
 * method, so an attempt costs one allocation (no closure, no separate mapping object), and the
 * public origin used by reverse rewriting is built only when a `Location` needs it.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Member } from '../members/member.js'
import type { ClientConnection, Exchange, ResponseHeaders } from '../transports/transport.js'
import type { ReverseMapping } from './reverse-rewrite.js'

/** Writes (or declines) the response head of an attempt; the balancer supplies it once. */
export type SendHead = (attempt: ForwardAttempt, status: number, headers: ResponseHeaders, statusMessage: string | undefined) => boolean

/** @internal */
export class ForwardAttempt implements Exchange, ReverseMapping {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly member: Member
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string | string[]>
  readonly client: ClientConnection
  readonly publicHost: string
  readonly body: Buffer | undefined
  /** Members tried so far for this request, this one included (the list grows with retries). */
  readonly tried: readonly Member[]
  /** The route of the request's balancer cookie (`''`: none), or undefined when that cookie is off. */
  readonly cookieRoute: string | undefined
  readonly memberOrigins: readonly string[]
  readonly upstreamPrefix: string
  readonly mountPath: string
  readonly #sendHead: SendHead
  #publicOrigin: string | undefined

  // Positional, not an options object: this runs once per request, and a literal would be one
  // more allocation.
  constructor(
    req: IncomingMessage, res: ServerResponse, member: Member, path: string, headers: Record<string, string | string[]>,
    client: ClientConnection, publicHost: string, body: Buffer | undefined, tried: readonly Member[], cookieRoute: string | undefined,
    memberOrigins: readonly string[], upstreamPrefix: string, mountPath: string, sendHead: SendHead,
  ) {
    this.req = req
    this.res = res
    this.member = member
    this.method = req.method ?? 'GET'
    this.path = path
    this.headers = headers
    this.client = client
    this.publicHost = publicHost
    this.body = body
    this.tried = tried
    this.cookieRoute = cookieRoute
    this.memberOrigins = memberOrigins
    this.upstreamPrefix = upstreamPrefix
    this.mountPath = mountPath
    this.#sendHead = sendHead
  }

  /** The public origin the client used (`https://shop.example`), built on first use. */
  get publicOrigin(): string {
    return (this.#publicOrigin ??= `${this.client.secure ? 'https' : 'http'}://${this.publicHost}`)
  }

  sendResponseHead(status: number, headers: ResponseHeaders, statusMessage?: string): boolean {
    return this.#sendHead(this, status, headers, statusMessage)
  }
}
