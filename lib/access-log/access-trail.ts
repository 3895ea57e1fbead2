/**
 * Collects the {@link AccessRecord} of one request while it is served, and hands it to a sink
 * when the response closes (finished, or cut because the client went away).
 *
 * Built only when someone listens: the balancer creates one per request only while its `access`
 * event has a listener, so an unobserved balancer pays nothing for it (no object, no listener,
 * no wrapped method). Response body bytes are counted by wrapping this response's `write` and
 * `end` (Node keeps no per-response count).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { LbErrorCode } from '../errors.js'
import type { StickyReason } from '../session/sticky-resolver.js'
import type { MemberView } from '../members/member-view.js'
import type { AccessRecord, UpstreamAttempt } from './access-record.js'

/**
 * Receives the record of a request once its response has closed.
 *
 * @example
 * ```ts
 * const sink: AccessSink = (record) => process.stdout.write(`${formatAccessLine(record, 'json')}\n`)
 * ```
 */
export type AccessSink = (record: AccessRecord) => void

type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean
type End = (chunk?: unknown, encoding?: unknown, callback?: unknown) => ServerResponse

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8')
  if (chunk instanceof Uint8Array) return chunk.byteLength
  return 0
}

/** Statuses whose response has no body whatever is written (and HEAD requests). */
function hasNoBody(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)
}

/** One header's value as sent (the first of repeated ones). */
function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/**
 * The access record of one request in the making.
 *
 * @example
 * ```ts
 * // a host answering a request itself, logged like the balancer's own answers
 * const trail = new AccessTrail(req, res, req.url ?? '/', (record) => log.write(`${formatAccessLine(record, 'combined')}\n`))
 * trail.error = 'LB_ERR_NOT_FOUND'
 * res.writeHead(404).end()
 * ```
 */
export class AccessTrail {
  /** When the request reached the balancer, ms since the epoch. */
  readonly time = Date.now()
  readonly #started = performance.now()
  readonly #req: IncomingMessage
  readonly #res: ServerResponse
  readonly #url: string
  readonly #sink: AccessSink
  readonly #upstreams: UpstreamAttempt[] = []
  #route: string | undefined
  #reason: StickyReason | undefined
  #bytes = 0
  /** Set while the balancer still works on the request (a failed attempt is judged after the client left). */
  #held = false
  /** What the response's close found: status sent (0: none), whether it was cut short. */
  #closed: { status: number; aborted: boolean } | undefined
  /** The session route the request carried. */
  sessionRoute: string | undefined
  /** The balancer's error code, when it answered (or cut) the request with an error. */
  error: LbErrorCode | undefined

  /**
   * @param url - the request target as the client sent it (before a mount path was stripped)
   * @param sink - called once, when the response has closed
   */
  constructor(req: IncomingMessage, res: ServerResponse, url: string, sink: AccessSink) {
    this.#req = req
    this.#res = res
    this.#url = url
    this.#sink = sink
    this.#countBodyBytes(res)
    res.once('close', () => this.#close())
  }

  /**
   * Keeps the record back until {@link release}: the balancer holds it while it forwards, so an
   * attempt that fails because the client left is in the record, though the response closed first.
   */
  hold(): void {
    this.#held = true
  }

  /** Lets the record go; it is handed to the sink now if the response has closed. */
  release(): void {
    if (!this.#held) return
    this.#held = false
    if (this.#closed !== undefined) this.#emit()
  }

  /** Records an attempt on a member (in the order they were made). */
  attempt(member: MemberView, reason: StickyReason, status: number, durationMs: number, error?: LbErrorCode): void {
    this.#upstreams.push({ member: member.id, address: member.url.host, status, durationMs, reason, error })
    this.#route = member.route
    this.#reason = reason
  }

  #countBodyBytes(res: ServerResponse): void {
    const write = res.write as Write
    const end = res.end as End
    const counted = res as unknown as { write: Write; end: End }
    counted.write = (chunk, encoding, callback) => {
      this.#bytes += byteLength(chunk, encoding)
      return write.call(res, chunk, encoding, callback)
    }
    counted.end = (chunk, encoding, callback) => {
      if (typeof chunk !== 'function') this.#bytes += byteLength(chunk, encoding)
      return end.call(res, chunk, encoding, callback)
    }
  }

  #close(): void {
    const res = this.#res
    this.#closed = { status: res.headersSent ? res.statusCode : 0, aborted: !res.writableFinished }
    if (!this.#held) this.#emit()
  }

  #emit(): void {
    const req = this.#req
    const { status, aborted } = this.#closed!
    // Taken now, when both the response and the balancer's work are over: never shorter than an
    // attempt (a transport may settle just after the response closed), as nginx's $request_time.
    const durationMs = performance.now() - this.#started
    const method = req.method ?? 'GET'
    this.#sink({
      time: this.time,
      client: req.socket?.remoteAddress ?? '-',
      method,
      url: this.#url,
      protocol: `HTTP/${req.httpVersion}`,
      status,
      bytes: hasNoBody(method, status) ? 0 : this.#bytes,
      referer: header(req.headers.referer),
      userAgent: header(req.headers['user-agent']),
      durationMs,
      upstreams: this.#upstreams,
      route: this.#route,
      reason: this.#reason,
      sessionRoute: this.sessionRoute,
      error: this.error,
      aborted,
    })
  }
}
