/**
 * The state of one forwarded request: what every attempt shares ({@link Forwarding}, one per
 * request) and one attempt with one member ({@link ForwardAttempt}: the {@link Exchange} a transport
 * works with, and the {@link ReverseMapping} its response head is rewritten with).
 *
 * They run on every request, so they are built for it: plain fields and prototype members, no
 * closure per request, and the public origin used by reverse rewriting is built only when a
 * `Location` needs it.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AccessTrail } from '../access-log/access-trail.js'
import type { HookError, LbError } from '../errors.js'
import type { Member } from '../members/member.js'
import type { StickyReason } from '../session/sticky-resolver.js'
import type { ClientConnection, Exchange, ResponseHeaders } from '../transports/transport.js'
import type { ReverseMapping } from './reverse-rewrite.js'

/** Writes (or declines) the response head of an attempt; the balancer supplies one for all. */
export type SendHead = (attempt: ForwardAttempt, status: number, headers: ResponseHeaders, statusMessage: string | undefined) => boolean

/**
 * What the attempts of one request share.
 * @internal
 */
export class Forwarding {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** The request path relative to the mount path, for logs and errors. */
  readonly relative: string
  /** Path and query sent to the members. */
  readonly path: string
  readonly client: ClientConnection
  readonly publicHost: string
  /** The session routes the request carries, first to try first. */
  readonly routes: readonly string[]
  /** The route of the request's balancer cookie (`''`: none), or undefined when that cookie is off. */
  readonly cookieRoute: string | undefined
  readonly memberOrigins: readonly string[]
  readonly upstreamPrefix: string
  readonly mountPath: string
  /** The body, when it was read in full to be sent again after a broken connection (`retryBodyLimit`). */
  body: Buffer | undefined
  /** Members tried so far, in order (an array: it holds one member unless the request is retried). */
  readonly tried: Member[] = []
  /** Why the last attempt failed. */
  lastError: LbError | undefined
  /** The request's access record in the making, when the balancer's `access` event has a listener. */
  access: AccessTrail | undefined = undefined
  /** Neighbours in the balancer's {@link InFlightList}. */
  prev: Forwarding | undefined
  next: Forwarding | undefined

  // Positional, not an options object: this runs once per request, and a literal would be one
  // more allocation.
  constructor(
    req: IncomingMessage, res: ServerResponse, relative: string, path: string, client: ClientConnection, publicHost: string,
    routes: readonly string[], cookieRoute: string | undefined, memberOrigins: readonly string[], upstreamPrefix: string, mountPath: string,
  ) {
    this.req = req
    this.res = res
    this.relative = relative
    this.path = path
    this.client = client
    this.publicHost = publicHost
    this.routes = routes
    this.cookieRoute = cookieRoute
    this.memberOrigins = memberOrigins
    this.upstreamPrefix = upstreamPrefix
    this.mountPath = mountPath
  }
}

/**
 * The requests being forwarded, as a doubly linked list through their {@link Forwarding}: adding
 * and removing one is a few field writes, where a `Set` hashes the request on every call.
 * @internal
 */
export class InFlightList {
  #head: Forwarding | undefined
  /** Called once the list becomes empty ({@link whenEmpty}). */
  #onEmpty: (() => void) | undefined

  get empty(): boolean {
    return this.#head === undefined
  }

  add(forwarding: Forwarding): void {
    const head = this.#head
    forwarding.prev = undefined
    forwarding.next = head
    if (head !== undefined) head.prev = forwarding
    this.#head = forwarding
  }

  delete(forwarding: Forwarding): void {
    const { prev, next } = forwarding
    if (prev !== undefined) prev.next = next
    else if (this.#head === forwarding) this.#head = next
    else return // not in the list
    if (next !== undefined) next.prev = prev
    forwarding.prev = undefined
    forwarding.next = undefined
    if (this.#head === undefined && this.#onEmpty !== undefined) {
      const onEmpty = this.#onEmpty
      this.#onEmpty = undefined
      onEmpty()
    }
  }

  /** Resolves once no request is in the list. */
  whenEmpty(): Promise<void> {
    if (this.#head === undefined) return Promise.resolve()
    return new Promise((resolve) => {
      const prior = this.#onEmpty
      this.#onEmpty = prior === undefined ? resolve : () => {
        prior()
        resolve()
      }
    })
  }

  forEach(fn: (forwarding: Forwarding) => void): void {
    for (let at = this.#head; at !== undefined; ) {
      const next = at.next
      fn(at)
      at = next
    }
  }
}

/** @internal */
export class ForwardAttempt implements Exchange, ReverseMapping {
  readonly forwarding: Forwarding
  readonly member: Member
  readonly headers: Record<string, string | string[]>
  /** Why the request went to this member. */
  readonly reason: StickyReason
  /** `performance.now()` when the attempt started. */
  readonly started: number
  readonly #sendHead: SendHead
  #publicOrigin: string | undefined
  /** The path for this member when an `onRequest` hook changed it; otherwise the request's. */
  memberPath: string | undefined = undefined
  /** Set when `onResponse` failed on this attempt's answer (the head was declined, nothing written). */
  hookError: HookError | undefined = undefined

  constructor(forwarding: Forwarding, member: Member, headers: Record<string, string | string[]>, reason: StickyReason, started: number, sendHead: SendHead) {
    this.forwarding = forwarding
    this.member = member
    this.headers = headers
    this.reason = reason
    this.started = started
    this.#sendHead = sendHead
  }

  get req(): IncomingMessage {
    return this.forwarding.req
  }

  get res(): ServerResponse {
    return this.forwarding.res
  }

  get method(): string {
    return this.forwarding.req.method ?? 'GET'
  }

  get path(): string {
    return this.memberPath ?? this.forwarding.path
  }

  get body(): Buffer | undefined {
    return this.forwarding.body
  }

  get client(): ClientConnection {
    return this.forwarding.client
  }

  get publicHost(): string {
    return this.forwarding.publicHost
  }

  get memberOrigins(): readonly string[] {
    return this.forwarding.memberOrigins
  }

  get upstreamPrefix(): string {
    return this.forwarding.upstreamPrefix
  }

  get mountPath(): string {
    return this.forwarding.mountPath
  }

  /** The public origin the client used (`https://shop.example`), built on first use. */
  get publicOrigin(): string {
    return (this.#publicOrigin ??= `${this.forwarding.client.secure ? 'https' : 'http'}://${this.forwarding.publicHost}`)
  }

  sendResponseHead(status: number, headers: ResponseHeaders, statusMessage?: string): boolean {
    return this.#sendHead(this, status, headers, statusMessage)
  }
}
