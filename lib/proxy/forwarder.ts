/**
 * The forward loop of one request: what every attempt shares (preflight, client facts, session
 * routes, a body read for retries), then attempts, each on the member the selector chooses and
 * with that member's transport, until one answers or no retry is safe. Counts each attempt on its
 * member, reports it (lib/observe.ts) and judges failures (passive health, failover policy).
 *
 * The per-request shapes (`Forwarding`, `ForwardAttempt`) are allocation-tuned: one of each per
 * request and attempt, no closures; the work between awaits is in plain methods (an async frame
 * keeps every register alive across each await).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AccessTrail } from '../access-log/access-trail.js'
import { HookError, LbError, NoMemberError, toGatewayError } from '../errors.js'
import type { BodyConsumedError } from '../errors.js'
import { clientTexts } from '../client-text.js'
import { isRepeatable, judgeFailure, shouldBufferBody } from '../failover-policy.js'
import type { MemberRegistry } from '../members/member-registry.js'
import type { PassiveHealth } from '../members/passive-health.js'
import { believedClient, publicHostOf } from '../net/client-connection.js'
import type { Observer } from '../observe.js'
import type { ResolvedBalancerOptions } from '../options.js'
import { closeAfter, failResponse } from '../respond.js'
import type { MemberSelector } from '../routing/member-selector.js'
import type { Scheduler } from '../schedulers/scheduler.js'
import { balancerCookieHeader } from '../session/balancer-cookie.js'
import { firstCookieValue } from '../session/cookie-values.js'
import { sessionRouteNames, splitSessionId } from '../session/session-route.js'
import { ClientTimeoutError } from '../transports/client-timeout.js'
import type { ForwardResult, ResponseHeaders } from '../transports/transport.js'
import type { Member } from '../members/member.js'
import type { MountContext, NextFunction } from '../types.js'
import { BodyBudget } from './body-budget.js'
import { bodyWasRead, consumedBody } from './consumed-body.js'
import type { ParsedBody } from './consumed-body.js'
import { ForwardAttempt, Forwarding, InFlightList } from './forward-attempt.js'
import type { SendHead } from './forward-attempt.js'
import { runRequestHook, runResponseHook } from './hooks.js'
import { preflight } from './preflight.js'
import { readBody } from './read-body.js'
import { buildRequestHeaders } from './request-headers.js'
import type { PathRefusal, RequestTarget } from './request-target.js'
import { writeHead, writeResponseHead } from './response-head.js'
import { rewriteResponseHeaders } from './reverse-rewrite.js'

/** No session route (shared, never mutated). */
const NO_ROUTES: readonly string[] = Object.freeze([])

/** What the host's body parser left: the adapter's (Koa), else Express's and Connect's `req.body` / `req.rawBody`. */
function hostBody(req: IncomingMessage, mount: MountContext): ParsedBody {
  const own = req as { body?: unknown; rawBody?: unknown }
  return { body: mount.body ?? own.body, rawBody: mount.rawBody ?? own.rawBody }
}

/** The parts a {@link Forwarder} works with. */
export interface ForwarderParts {
  readonly options: ResolvedBalancerOptions
  readonly registry: MemberRegistry
  readonly selector: MemberSelector
  readonly scheduler: Scheduler
  readonly health: PassiveHealth
  readonly observe: Observer
  /** Whether the `trustProxy` option was given (even `false`): then it wins over the host framework's setting. */
  readonly trustProxyGiven: boolean
}

/** @internal */
export class Forwarder {
  /** Requests being forwarded: a list linked through their Forwarding (no hashing per request). */
  readonly inFlight = new InFlightList()
  readonly #options: ResolvedBalancerOptions
  readonly #registry: MemberRegistry
  readonly #selector: MemberSelector
  readonly #scheduler: Scheduler
  readonly #health: PassiveHealth
  readonly #observe: Observer
  readonly #trustProxyGiven: boolean
  /** Bytes of request bodies held for retries, across requests (`retryBodyTotal`). */
  readonly #retryBodies: BodyBudget

  constructor(parts: ForwarderParts) {
    this.#options = parts.options
    this.#registry = parts.registry
    this.#selector = parts.selector
    this.#scheduler = parts.scheduler
    this.#health = parts.health
    this.#observe = parts.observe
    this.#trustProxyGiven = parts.trustProxyGiven
    this.#retryBodies = new BodyBudget(parts.options.retryBodyTotal)
  }

  /**
   * Forwards one request (with retries), counted in flight until it ends. The work between the
   * awaits is in plain methods: an async function keeps every register of its frame alive across
   * each await, so this one stays small.
   */
  async forward(
    req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, mount: MountContext, relative: string, target: RequestTarget | PathRefusal, trail?: AccessTrail,
  ): Promise<void> {
    const forwarding = this.#prepare(req, res, next, mount, relative, target, trail)
    if (forwarding === undefined) return // refused, and answered
    this.inFlight.add(forwarding)
    trail?.hold()
    let reserved = 0
    try {
      // A small idempotent body read in full can be sent again after a broken connection.
      // Beyond retryBodyTotal across requests, a body is streamed as usual (not retryable).
      const bodyLength = shouldBufferBody(req, this.#options.retryBodyLimit)
      if (bodyWasRead(req)) {
        // A body parser ran first: the stream is over; what it parsed is sent, or the request fails now.
        const body = consumedBody(req, hostBody(req, mount))
        if (body instanceof LbError) {
          this.#observe.log.warn({ path: relative, code: body.code, reason: (body as BodyConsumedError).reason }, 'request body consumed before the balancer')
          if (trail !== undefined) trail.error = body.code
          failResponse(res, next, body)
          return
        }
        forwarding.body = body
      } else if (bodyLength !== undefined && this.#retryBodies.tryReserve(bodyLength)) {
        reserved = bodyLength
        const body = await readBody(req, bodyLength, this.#options.clientBodyTimeout)
        if (body === undefined) return // the client went away or sent less than it announced
        if (body instanceof ClientTimeoutError) return this.#answerClientStall(res, next, body, trail)
        forwarding.body = body
      }
      for (;;) {
        const attempt = this.#startAttempt(forwarding, next)
        if (attempt === undefined) return // no member could take it, and that was answered
        try {
          this.#attemptSucceeded(attempt, await this.#registry.entry(attempt.member).transport.forward(attempt))
          return
        } catch (err) {
          if (!this.#attemptFailed(attempt, err, next)) return
        } finally {
          attempt.member.endExchange()
        }
      }
    } finally {
      this.inFlight.delete(forwarding)
      if (reserved > 0) this.#retryBodies.release(reserved)
      trail?.release()
    }
  }

  /** What every attempt of a request shares; undefined when the request was refused (and answered). */
  #prepare(
    req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, mount: MountContext, relative: string, target: RequestTarget | PathRefusal, trail: AccessTrail | undefined,
  ): Forwarding | undefined {
    const options = this.#options
    const rawTarget = mount.originalUrl ?? req.url ?? '/'
    const mountPath = mount.mountPath ?? ''
    const upstreamPrefix = options.upstreamPath ?? mountPath
    const path = preflight(req, rawTarget, target, upstreamPrefix, options)
    if (typeof path !== 'string') {
      if (trail !== undefined) trail.error = path.code
      this.#refuse(req, res, next, relative, path)
      return undefined
    }
    const client = believedClient(req, this.#trustProxyGiven ? options.trustProxy : mount.trustProxy)
    const sticky = options.sticky
    const routes = sticky === false ? NO_ROUTES : sessionRouteNames({ url: rawTarget, cookieHeader: req.headers.cookie, req }, sticky)
    const forwarding = new Forwarding(req, res, relative, path, client, publicHostOf(req, client), routes, this.#balancerCookieRoute(req), this.#registry.selfOrigins, upstreamPrefix, mountPath)
    if (trail !== undefined) {
      trail.sessionRoute = routes[0]
      forwarding.access = trail
    }
    return forwarding
  }

  /**
   * Answers a request refused before any member was chosen (see `preflight`), as every other
   * error; one whose headers say `Connection: close` (a 400 or 431: its framing is in doubt, or
   * its body is left unread) closes the connection whatever error handler writes the answer.
   */
  #refuse(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, relative: string, error: LbError): void {
    if (error instanceof HookError) this.#observe.hookFailed(error, undefined, relative)
    else this.#observe.log.debug({ path: relative, method: req.method, code: error.code, status: error.statusCode, reason: error.message }, 'request refused')
    if (error.headers?.connection === 'close') closeAfter(res)
    failResponse(res, next, error)
  }

  /** Chooses the member of the next attempt and starts counting it; undefined when none can take it (answered). */
  #startAttempt(forwarding: Forwarding, next: NextFunction | undefined): ForwardAttempt | undefined {
    const { req, tried, routes, relative } = forwarding
    let choice = this.#selector.choose(this.#registry.members, req, routes, tried, Date.now())
    if (choice instanceof NoMemberError && forwarding.lastError) choice = new NoMemberError(undefined, forwarding.lastError)
    if (choice instanceof LbError) {
      this.#observe.log.warn({ path: relative, code: choice.code, routes: clientTexts(routes), tried: tried.map((m) => m.id) }, 'no member can take the request')
      if (forwarding.access !== undefined) forwarding.access.error = choice.code
      failResponse(forwarding.res, next, choice)
      return undefined
    }
    const { member, reason } = choice
    if (reason !== 'sticky' && reason !== 'new') this.#observe.log.debug({ path: relative, routes: clientTexts(routes), member: member.id, reason }, 'session rerouted')
    tried.push(member)
    const headers = buildRequestHeaders(req, forwarding.client, member.url.host, forwarding.publicHost, this.#registry.entry(member).headerPolicy)
    const onRequest = this.#options.onRequest
    let memberPath: string | undefined
    if (onRequest !== undefined) {
      const path = runRequestHook(onRequest, req, member, tried.length, false, forwarding.path, headers, forwarding.upstreamPrefix)
      if (path instanceof HookError) {
        this.#observe.hookFailed(path, member, relative)
        if (forwarding.access !== undefined) forwarding.access.error = path.code
        failResponse(forwarding.res, next, path)
        return undefined
      }
      if (path !== forwarding.path) memberPath = path
    }
    member.countPick(reason)
    member.beginExchange()
    const attempt = new ForwardAttempt(forwarding, member, headers, reason, performance.now(), this.#sendHead)
    if (memberPath !== undefined) attempt.memberPath = memberPath
    this.#observe.attemptStart(req, member, reason, tried.length)
    return attempt
  }

  /** Counts a finished exchange. */
  #attemptSucceeded(attempt: ForwardAttempt, result: ForwardResult): void {
    const { member, reason } = attempt
    const duration = performance.now() - attempt.started
    member.countExchange({ bytesIn: result.bytesIn, bytesOut: result.bytesOut, durationMs: duration })
    this.#scheduler.record?.(member, { bytesIn: result.bytesIn, bytesOut: result.bytesOut, durationMs: duration, now: Date.now() })
    if (this.#options.failOnStatus.has(result.status)) {
      member.countFailure({ code: 'LB_ERR_FAIL_ON_STATUS', message: `the member answered ${result.status}` })
      this.#health.failed(member, { code: 'LB_ERR_FAIL_ON_STATUS', message: `the member answered ${result.status}` })
    } else {
      this.#health.succeeded(member)
    }
    this.#observe.exchange(attempt.req, member, reason, result.status, duration, result.bytesIn, result.bytesOut)
    attempt.forwarding.access?.attempt(member, reason, result.status, duration)
  }

  /** Counts a failed exchange; returns whether to try another member (otherwise the failure was answered). */
  #attemptFailed(attempt: ForwardAttempt, err: unknown, next: NextFunction | undefined): boolean {
    const options = this.#options
    const { member, reason, forwarding } = attempt
    const { req, res, relative, tried, access } = forwarding
    if (attempt.hookError !== undefined) {
      // onResponse failed: the member answered; nothing of it reached the client.
      this.#observe.hookFailed(attempt.hookError, member, relative)
      if (access !== undefined) {
        access.attempt(member, reason, 0, performance.now() - attempt.started, attempt.hookError.code)
        access.error = attempt.hookError.code
      }
      failResponse(res, next, attempt.hookError)
      return false
    }
    const error = toGatewayError(err)
    if (access !== undefined) {
      access.attempt(member, reason, res.headersSent ? res.statusCode : 0, performance.now() - attempt.started, error.code)
      access.error = error.code
    }
    const verdict = judgeFailure(error, req, options.retryIdempotent, forwarding.body !== undefined)
    if (verdict.fault === 'client') {
      // Gone or stalled: not the member's fault. A stalled client that has no answer yet gets 408
      // and its connection closed (its unread body cannot be skipped).
      member.countClientAbort()
      this.#observe.log.debug({ member: member.id, code: error.code, path: relative }, 'client aborted')
      if (error.code === 'LB_ERR_CLIENT_TIMEOUT') this.#answerClientStall(res, next, error, undefined)
      return false
    }
    if (verdict.fault === 'request') {
      this.#observe.log.debug({ member: member.id, code: error.code, path: relative }, 'request refused')
      failResponse(res, next, error)
      return false
    }
    member.countFailure(error)
    // A failure costs its duration too: a member that fails fast must not look cheap to peakewma.
    const duration = performance.now() - attempt.started
    this.#scheduler.record?.(member, { bytesIn: 0, bytesOut: 0, durationMs: duration, now: Date.now() })
    if (verdict.memberCode !== undefined) this.#health.failed(member, { code: verdict.memberCode, message: error.message })
    const willRetry = verdict.repeatable && !res.headersSent && tried.length <= options.maxAttempts
    forwarding.lastError = error
    this.#observe.attemptError(req, member, reason, error, res.headersSent ? res.statusCode : 0, duration, relative, willRetry)
    if (willRetry) {
      if (access !== undefined) access.error = undefined
      return true
    }
    if (res.headersSent) {
      if (!res.destroyed) res.destroy()
      return false
    }
    // Every member failed: say so with one code, whichever member failed last.
    const exhausted = error.code === 'LB_ERR_UPSTREAM_CONNECT' && !this.#selector.hasCandidate(this.#registry.members, tried, Date.now())
    if (exhausted && access !== undefined) access.error = 'LB_ERR_NO_MEMBER'
    failResponse(res, next, exhausted ? new NoMemberError(undefined, error) : error)
    return false
  }

  /**
   * Answers a client that stalled (`LB_ERR_CLIENT_TIMEOUT`): 408 when nothing was sent yet, and
   * its connection closed after it (its unread body cannot be skipped), whatever error handler
   * writes the answer (Koa's clears the headers; Node still honours `shouldKeepAlive`).
   */
  #answerClientStall(res: ServerResponse, next: NextFunction | undefined, error: LbError, trail: AccessTrail | undefined): void {
    if (trail !== undefined) trail.error = error.code
    closeAfter(res)
    failResponse(res, next, error)
  }

  /** Writes the response head of an attempt (its `sendResponseHead`); one function for every attempt. */
  readonly #sendHead: SendHead = (attempt, status, headers, statusMessage) => {
    const options = this.#options
    const { req, tried, cookieRoute, client } = attempt.forwarding
    // A failOnStatus answer to a repeatable request is declined when another member can try.
    const declined = options.failOnStatus.size > 0 && options.failOnStatus.has(status) && isRepeatable(req)
    if (declined && tried.length <= options.maxAttempts && this.#selector.hasCandidate(this.#registry.members, tried, Date.now())) return false
    const member = attempt.member
    if (cookieRoute !== undefined && cookieRoute !== member.route) this.#pinWithCookie(headers, member, client.secure)
    const onResponse = options.onResponse
    if (onResponse === undefined) {
      writeResponseHead(attempt.forwarding.res, status, headers, statusMessage, attempt)
      return true
    }
    // The hook sees the head as the client will: Location and cookie paths rewritten.
    rewriteResponseHeaders(headers, attempt)
    const error = runResponseHook(onResponse, req, member, status, headers)
    if (error !== undefined) {
      attempt.hookError = error
      return false // declined: the transport discards the member's body and fails the attempt
    }
    writeHead(attempt.forwarding.res, status, headers, statusMessage)
    return true
  }

  /** The route in the request's balancer cookie (`''` when it has none); undefined when that cookie is off. */
  #balancerCookieRoute(req: IncomingMessage): string | undefined {
    const sticky = this.#options.sticky
    if (sticky === false || sticky.balancerCookie === false) return undefined
    const header = req.headers.cookie
    const value = header === undefined ? undefined : firstCookieValue(header, sticky.balancerCookie.name, sticky.cookieCaseSensitive)
    return (value === undefined ? undefined : splitSessionId(value, sticky.separator)?.route) ?? ''
  }

  /** Adds the balancer cookie that pins the client to `member` (new client, or after a failover). */
  #pinWithCookie(headers: ResponseHeaders, member: Member, secure: boolean): void {
    const sticky = this.#options.sticky
    if (sticky === false || sticky.balancerCookie === false || member.route === undefined) return
    const cookie = balancerCookieHeader(sticky.balancerCookie, member.route, sticky.separator, secure)
    const prior = headers['set-cookie']
    headers['set-cookie'] = prior === undefined ? [cookie] : Array.isArray(prior) ? [...prior, cookie] : [prior, cookie]
  }
}
