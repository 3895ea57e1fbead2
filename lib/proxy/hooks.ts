/**
 * The `onRequest` and `onResponse` hooks: change the member-bound request (headers, path) per
 * member, and the response head before it is written.
 *
 * Hooks run synchronously, once per attempt (`onRequest`, again for each member tried) or once per
 * answer (`onResponse`), on every transport (http-proxy-3, `node`, `undici`, AJP) and for upgrade
 * handshakes (`onRequest`). Unused hooks cost one `undefined` check: the context objects are made
 * only when a hook is configured. What a hook leaves is checked before anything is sent
 * (`hook-checks.ts`, `targetWithin`); a hook that throws, returns a promise or leaves something
 * the balancer refuses fails the request with 502 `LB_ERR_HOOK` and a log line, never a crash.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { HookError } from '../errors.js'
import type { Member } from '../members/member.js'
import type { ResponseHeaders } from '../transports/transport.js'
import { REQUEST_RESERVED, RESPONSE_RESERVED, headerProblem, hostProblem, reservedValues } from './hook-checks.js'
import { isPathRefusal, targetWithin } from './request-target.js'

/**
 * What `onRequest` sees and may change: the member chosen for this attempt, and the request it
 * will get.
 *
 * May change: `path` (path and query; it must stay below the mount's upstream prefix, and is
 * normalised and checked as a client's path is), any end-to-end header in `headers` (lower-case
 * names; `setHeader`/`removeHeader` lower-case for you), `authorization` and `cookie` included, the
 * `x-forwarded-*` and `via` headers the balancer wrote, and `host` (changed, not removed).
 * May not change: the framing and connection headers (`content-length`, `transfer-encoding`,
 * `connection`, `keep-alive`, `proxy-connection`, `te`, `trailer`, `upgrade`, `expect`): the
 * balancer writes them from what the client sent. The client's `req` is for reading.
 *
 * @example
 * ```ts
 * createBalancer({
 *   members,
 *   onRequest(ctx: ProxyRequestContext) {
 *     ctx.setHeader('authorization', `Bearer ${tokenFor(ctx.member.id)}`)
 *     ctx.removeHeader('x-debug')
 *     if (ctx.member.protocol === 'ajp') ctx.path = ctx.path.replace(/^\/testapp\/api\//, '/testapp/ajp-api/')
 *   },
 * })
 * ```
 */
export interface ProxyRequestContext {
  /** The client's request (read it; changes to it are not forwarded). */
  readonly req: IncomingMessage
  /** The member this attempt goes to: `id`, `route`, `url`, `protocol` (`http`, `https`, `ajp`). */
  readonly member: Member
  /** The attempt: 1, then 2… when the request is tried on another member. */
  readonly attempt: number
  /** True for an upgrade handshake (WebSocket). */
  readonly upgrade: boolean
  /** Path and query the member gets (`/testapp/echo.jsp?x=1`): the upstream prefix, then the normalised path below the mount. */
  path: string
  /** The headers the member gets, lower-case names; an array sends one line per value. */
  readonly headers: Record<string, string | string[]>
  /** Sets a header (the name is lower-cased). */
  setHeader(name: string, value: string | string[]): void
  /** Removes a header (the name is lower-cased). */
  removeHeader(name: string): void
}

/**
 * What `onResponse` sees and may change: the member's answer, before its head is written to the
 * client (after `Location` and cookie paths were rewritten and the balancer cookie added).
 *
 * May change: any end-to-end header (`set-cookie`, `cache-control`, `server`, …). May not change:
 * the status, the body's framing (`content-length`, `transfer-encoding`) and the connection's
 * headers (`connection`, `keep-alive`, `proxy-connection`, `te`, `trailer`, `upgrade`).
 *
 * @example
 * ```ts
 * createBalancer({
 *   members,
 *   onResponse(ctx: ProxyResponseContext) {
 *     ctx.removeHeader('server')
 *     ctx.setHeader('x-served-by', ctx.member.id)
 *   },
 * })
 * ```
 */
export interface ProxyResponseContext {
  /** The client's request. */
  readonly req: IncomingMessage
  /** The member that answered. */
  readonly member: Member
  /** The member's status (read only). */
  readonly status: number
  /** The response headers, lower-case names; repeated ones (`set-cookie`) as arrays. */
  readonly headers: ResponseHeaders
  /** Sets a header (the name is lower-cased). */
  setHeader(name: string, value: string | string[]): void
  /** Removes a header (the name is lower-cased). */
  removeHeader(name: string): void
}

/**
 * The `onRequest` option: called for every attempt before the request goes to the member.
 *
 * @example
 * ```ts
 * const onRequest: OnRequestHook = (ctx) => ctx.setHeader('x-backend-auth', process.env.BACKEND_TOKEN ?? '')
 * ```
 */
export type OnRequestHook = (ctx: ProxyRequestContext) => void

/**
 * The `onResponse` option: called for every answer before its head is written.
 *
 * @example
 * ```ts
 * const onResponse: OnResponseHook = (ctx) => ctx.removeHeader('x-powered-by')
 * ```
 */
export type OnResponseHook = (ctx: ProxyResponseContext) => void

// The read-only fields are getters over private ones: a hook that assigns one (`ctx.headers = {…}`)
// gets a TypeError (a failed hook, 502), not a change that is silently not sent.
class RequestContext implements ProxyRequestContext {
  readonly #req: IncomingMessage
  readonly #member: Member
  readonly #attempt: number
  readonly #upgrade: boolean
  readonly #headers: Record<string, string | string[]>
  path: string

  constructor(req: IncomingMessage, member: Member, attempt: number, upgrade: boolean, path: string, headers: Record<string, string | string[]>) {
    this.#req = req
    this.#member = member
    this.#attempt = attempt
    this.#upgrade = upgrade
    this.#headers = headers
    this.path = path
  }

  get req(): IncomingMessage {
    return this.#req
  }

  get member(): Member {
    return this.#member
  }

  get attempt(): number {
    return this.#attempt
  }

  get upgrade(): boolean {
    return this.#upgrade
  }

  get headers(): Record<string, string | string[]> {
    return this.#headers
  }

  setHeader(name: string, value: string | string[]): void {
    this.headers[String(name).toLowerCase()] = value
  }

  removeHeader(name: string): void {
    delete this.headers[String(name).toLowerCase()]
  }
}

class ResponseContext implements ProxyResponseContext {
  readonly #req: IncomingMessage
  readonly #member: Member
  readonly #status: number
  readonly #headers: ResponseHeaders

  constructor(req: IncomingMessage, member: Member, status: number, headers: ResponseHeaders) {
    this.#req = req
    this.#member = member
    this.#status = status
    this.#headers = headers
  }

  get req(): IncomingMessage {
    return this.#req
  }

  get member(): Member {
    return this.#member
  }

  get status(): number {
    return this.#status
  }

  get headers(): ResponseHeaders {
    return this.#headers
  }

  setHeader(name: string, value: string | string[]): void {
    this.headers[String(name).toLowerCase()] = value
  }

  removeHeader(name: string): void {
    delete this.headers[String(name).toLowerCase()]
  }
}

/** Calls `hook`; the error to fail with when it threw or returned a promise. */
function call<T>(hook: (ctx: T) => void, ctx: T, name: 'onRequest' | 'onResponse'): HookError | undefined {
  let out: unknown
  try {
    out = hook(ctx)
  } catch (err) {
    return new HookError(name, 'threw', err)
  }
  if (out !== undefined && typeof (out as { then?: unknown } | null)?.then === 'function') {
    ;(out as Promise<unknown>).then(undefined, () => {}) // its rejection must not become an unhandled one
    return new HookError(name, 'returned a promise: hooks must be synchronous')
  }
  return undefined
}

/**
 * Runs `onRequest` for one attempt on the member-bound `headers` (changed in place) and `path`.
 *
 * @param prefix - the mount's upstream prefix: a path the hook sets must stay below it.
 * @returns the path to send (normalised when the hook changed it), or the error to fail with.
 *
 * @example
 * ```ts
 * const path = runRequestHook(options.onRequest, req, member, 1, false, '/testapp/echo.jsp', headers, '/testapp')
 * if (path instanceof HookError) return fail(path)
 * ```
 */
export function runRequestHook(
  hook: OnRequestHook, req: IncomingMessage, member: Member, attempt: number, upgrade: boolean,
  path: string, headers: Record<string, string | string[]>, prefix: string,
): string | HookError {
  const before = reservedValues(headers, REQUEST_RESERVED)
  const ctx = new RequestContext(req, member, attempt, upgrade, path, headers)
  const failed = call(hook, ctx, 'onRequest')
  if (failed) return failed
  const problem = headerProblem(headers, REQUEST_RESERVED, before) ?? hostProblem(headers.host)
  if (problem !== undefined) return new HookError('onRequest', problem)
  const chosen: unknown = ctx.path
  if (chosen === path) return path
  if (typeof chosen !== 'string') return new HookError('onRequest', 'set a path that is not a string')
  const target = targetWithin(prefix, chosen)
  if (isPathRefusal(target)) {
    return new HookError('onRequest', target.code === 'LB_ERR_PATH_OUTSIDE_MOUNT' ? 'set a path that leaves the mount' : `set a path the balancer refuses (${target.reason})`)
  }
  return target.path
}

/**
 * Runs `onResponse` on a response head (`headers` changed in place).
 *
 * @returns the error to fail with, or undefined.
 *
 * @example
 * ```ts
 * const error = runResponseHook(options.onResponse, req, member, 200, headers)
 * if (error) return decline(error)
 * ```
 */
export function runResponseHook(hook: OnResponseHook, req: IncomingMessage, member: Member, status: number, headers: ResponseHeaders): HookError | undefined {
  const before = reservedValues(headers, RESPONSE_RESERVED)
  const failed = call(hook, new ResponseContext(req, member, status, headers), 'onResponse')
  if (failed) return failed
  const problem = headerProblem(headers, RESPONSE_RESERVED, before)
  return problem === undefined ? undefined : new HookError('onResponse', problem)
}
