/**
 * The conformance suite every transport runs (as the schedulers run theirs): each transport's
 * `*.test.ts` calls {@link runTransportSuite} with a factory and a member of its protocol, and
 * vitest never runs this file on its own (it is not named `*.test.ts`).
 *
 * The cases are the contract written on {@link Transport} and {@link Exchange}:
 * - connect refused: `UpstreamConnectError`, and the client's body is still whole for another member;
 * - every connection busy for `connectTimeout`: `UpstreamBusyError`;
 * - a member silent for `timeout`: `UpstreamTimeoutError`;
 * - failure before the head: the promise rejects and nothing was written to the client (the
 *   balancer may answer, or try elsewhere); after the head: the client response is destroyed and
 *   the promise still rejects;
 * - a client that goes away: the member's connection is closed and no socket is left open;
 * - `sendResponseHead` returning false: `UpstreamStatusError`, and the connection is used again;
 * - no body awaited for a HEAD, a 204 or a 304;
 * - the request body streamed (the member has its first bytes before the client sent its last)
 *   and counted; the response body counted;
 * - keep-alive: one connection for sequential exchanges;
 * - framing faults of the member (`Content-Length` with `Transfer-Encoding`, a head that is not
 *   HTTP; for AJP, a body chunk longer than its packet and an unknown packet): `UpstreamProtocolError`.
 *
 * A member is scripted by a {@link MemberBehaviour}; each protocol's test file provides a member
 * that plays them (a raw-socket HTTP server, a fake AJP container).
 *
 * @module
 * @internal
 */
import { afterEach, describe, expect, it as vitestIt } from 'vitest'
import { Member } from '../members/member.js'
import { call, startFront, until } from './conformance-front.js'
import type { Transport } from './transport.js'

export { call, startFront, until } from './conformance-front.js'
export type { CallOptions, Front, Outcome, Reply } from './conformance-front.js'

/** How a scripted member answers each request from now on. */
export type MemberBehaviour =
  /** A whole answer. `body` is sent as it is, `headers` as given (the member adds none). */
  | { readonly kind: 'answer'; readonly status: number; readonly headers: ReadonlyArray<readonly [string, string]>; readonly body: string }
  /** Reads the request and never answers. */
  | { readonly kind: 'silent' }
  /** Reads the request, then closes the connection without a byte of answer. */
  | { readonly kind: 'close-before-head' }
  /** A head announcing 100 body bytes, 7 of them, then the connection is reset. */
  | { readonly kind: 'fail-after-head' }
  /** A head, then a body chunk every 20 ms for as long as the connection lives. */
  | { readonly kind: 'drip' }
  /** An answer whose framing is contradictory (HTTP: `Content-Length` and `Transfer-Encoding`; AJP: a body chunk longer than its packet). */
  | { readonly kind: 'conflicting-framing' }
  /** An answer that is not of the protocol (HTTP: a status line that is not HTTP; AJP: an unknown packet type). */
  | { readonly kind: 'invalid-head' }

/** A scripted member of the transport's protocol, on 127.0.0.1. */
export interface ConformanceMember {
  /** The member's URL (`http://…`, `ajp://…`). */
  readonly url: string
  /** Connections accepted so far. */
  readonly accepted: number
  /** Connections closed so far (by either side). */
  readonly closed: number
  /** Request body bytes received so far, over all requests. */
  readonly bodyBytes: number
  /** The request bodies received, one per finished request, in order. */
  readonly bodies: readonly Buffer[]
  /** How the member answers from now on. */
  behave(behaviour: MemberBehaviour): void
  close(): Promise<void>
}

/** What the suite asks of a transport: the balancer's settings that the cases turn. */
export interface ConformanceOptions {
  readonly connectTimeout: number
  readonly timeout: number
  readonly maxSockets: number
}

/** Differences a transport has by design, written down where they are. */
export interface TransportQuirks {
  /** The transport closes its connection after a HEAD exchange (undici). */
  readonly headClosesConnection?: boolean
  /** The transport closes its connection after a 204 or 304 that carries a Content-Length (undici). */
  readonly lengthOnBodilessClosesConnection?: boolean
}

/** The titles of the suite's cases (the `%s` of a table case filled in), for {@link TransportSuite.knownFailures}. */
export type CaseTitle = string

export interface TransportSuite {
  /** The transport's name in test titles. */
  readonly name: string
  /** Starts a member of the transport's protocol (closed by the suite). */
  startMember(): Promise<ConformanceMember>
  /** A URL of the transport's protocol on which nothing listens. */
  deadUrl(): Promise<string>
  /** Makes the transport of `member` (closed by the suite). */
  create(member: Member, options: ConformanceOptions): Transport
  readonly quirks?: TransportQuirks
  /**
   * Cases the transport is known to fail, by title, each with why: they run as `it.fails`, so the
   * run goes red once one passes (and the entry must go).
   */
  readonly knownFailures?: Readonly<Record<CaseTitle, string>>
}

const OPTIONS: ConformanceOptions = { connectTimeout: 2_000, timeout: 5_000, maxSockets: 8 }
const OK_BODY = 'hello from the member'
const ok = (body = OK_BODY): MemberBehaviour => ({ kind: 'answer', status: 200, headers: [['Content-Type', 'text/plain'], ['Content-Length', String(Buffer.byteLength(body))]], body })

/** A member: `http://127.0.0.1:1`-style URL of the suite's protocol. */
function memberAt(url: string): Member {
  return new Member({ url: new URL(url), route: 'conformance', weight: 1, admin: 'active' })
}

/**
 * Runs the conformance cases against one transport.
 *
 * @example
 * ```ts
 * runTransportSuite({ name: 'node', startMember: startRawHttpMember, deadUrl, create: (member, o) => createNodeHttpTransport(member, { ...o, maxFreeSockets: 8, idleTimeout: 15_000 }) })
 * ```
 */
export function runTransportSuite(suite: TransportSuite): void {
  describe(`transport conformance: ${suite.name}`, () => {
    const known = suite.knownFailures ?? {}
    /** `it`, or `it.fails` for a case the transport is known to fail. */
    const it = Object.assign(
      (title: string, fn: () => Promise<void>) => (title in known ? vitestIt.fails : vitestIt)(title, fn),
      {
        each: <T>(table: readonly T[]) => (title: string, fn: (...args: T extends readonly unknown[] ? T : [T]) => Promise<void>) => {
          for (const row of table) {
            const args = (Array.isArray(row) ? row : [row]) as unknown[]
            let i = 0
            const name = title.replace(/%[si]/g, () => String(args[i++]))
            ;(name in known ? vitestIt.fails : vitestIt)(name, () => (fn as (...a: unknown[]) => Promise<void>)(...args))
          }
        },
      },
    )
    const cleanups: Array<() => Promise<void>> = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    async function setup(options: Partial<ConformanceOptions> = {}, url?: string) {
      const member = url === undefined ? await suite.startMember() : undefined
      if (member) cleanups.push(() => member.close())
      const target = memberAt(url ?? (member as ConformanceMember).url)
      const transport = suite.create(target, { ...OPTIONS, ...options })
      cleanups.push(() => transport.close())
      const front = await startFront(transport, target, { decline: new Set() })
      cleanups.push(() => front.close())
      return { member: member as ConformanceMember, transport, front }
    }

    it('a refused connection: UpstreamConnectError, with the client body still whole for another member', async () => {
      const { front } = await setup({}, await suite.deadUrl())
      const body = 'a=1&b=2&c=3'
      const reply = await call(front.port, { method: 'POST', path: '/form', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) }, body })
      const outcome = await front.nextOutcome()
      expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_CONNECT')
      expect(outcome.headersSent).toBe(false)
      expect(outcome.bodyLeft?.toString()).toBe(body)
      expect(reply.body.toString()).toBe(body)
    })

    it('every connection busy for connectTimeout: UpstreamBusyError, nothing sent', async () => {
      const { member, front } = await setup({ maxSockets: 1, connectTimeout: 300, timeout: 30_000 })
      member.behave({ kind: 'silent' })
      const first = call(front.port, { path: '/held' })
      await until(() => member.accepted === 1, 'the first request reaches the member')
      const body = 'x'.repeat(10)
      const reply = await call(front.port, { method: 'POST', path: '/waits', headers: { 'content-length': '10' }, body })
      const outcome = await front.nextOutcome()
      expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_BUSY')
      expect(outcome.bodyLeft?.toString()).toBe(body)
      expect(reply.status).toBe(503)
      expect(member.accepted).toBe(1)
      await front.close() // ends the held exchange
      await first
    })

    it('a member silent for timeout: UpstreamTimeoutError, nothing written to the client', async () => {
      const { member, front } = await setup({ timeout: 300 })
      member.behave({ kind: 'silent' })
      const reply = await call(front.port, { path: '/slow' })
      const outcome = await front.nextOutcome()
      expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_TIMEOUT')
      expect(outcome.headersSent).toBe(false)
      expect(reply.status).toBe(504)
    })

    // Regression: undici's own timers tick about once a second, so a 300 ms `timeout` could end
    // an exchange after a few ms of silence (or after a second).
    it('timeout is kept in milliseconds: never before the member was silent that long', async () => {
      const { member, front } = await setup({ timeout: 300 })
      member.behave({ kind: 'silent' })
      for (let i = 0; i < 3; i++) {
        const started = performance.now()
        const reply = await call(front.port, { path: `/slow${i}` })
        const elapsed = performance.now() - started
        expect((await front.nextOutcome()).error?.code).toBe('LB_ERR_UPSTREAM_TIMEOUT')
        expect(reply.status).toBe(504)
        expect(elapsed, `answer ${i}`).toBeGreaterThanOrEqual(295)
      }
    })

    it('a failure before the head: the promise rejects and nothing reached the client', async () => {
      const { member, front } = await setup()
      member.behave({ kind: 'close-before-head' })
      const reply = await call(front.port, { path: '/dies' })
      const outcome = await front.nextOutcome()
      expect(outcome.error).toBeDefined()
      expect(outcome.error?.statusCode).toBe(502)
      expect(outcome.headersSent).toBe(false)
      expect(reply.status).toBe(502)
      expect(reply.headers['x-error-code']).toBe(outcome.error?.code)
    })

    it('a failure after the head: the client response is destroyed and the promise rejects', async () => {
      const { member, front } = await setup()
      member.behave({ kind: 'fail-after-head' })
      const reply = await call(front.port, { path: '/breaks' })
      const outcome = await front.nextOutcome()
      expect(outcome.error).toBeDefined()
      expect(outcome.headersSent).toBe(true)
      expect(reply.status).toBe(200)
      expect(reply.aborted).toBe(true)
      expect(reply.body.length).toBeLessThan(100)
    })

    it('a client that goes away: the member connection is closed and no socket is left busy', async () => {
      const { member, front, transport } = await setup()
      expect(transport.sockets()).toEqual({ open: 0, idle: 0 })
      member.behave({ kind: 'drip' })
      const reply = await call(front.port, { path: '/endless', abortOnHead: true })
      expect(reply.status).toBe(200)
      const outcome = await front.nextOutcome()
      expect(outcome.error?.code ?? 'resolved').not.toBe('LB_ERR_UPSTREAM_TIMEOUT')
      // the exchange's connection, mid-answer, can never be used again
      await until(() => member.closed >= 1, 'the member connection is closed')
      // a pool may open a fresh idle connection meanwhile (undici does): idle is not leaked
      await until(() => transport.sockets().open === transport.sockets().idle, 'no upstream socket left busy')
    })

    it('a declined head (sendResponseHead false): UpstreamStatusError, and the connection is used again', async () => {
      const { member, front } = await setup()
      front.decline.add(503)
      member.behave({ kind: 'answer', status: 503, headers: [['Content-Type', 'text/plain'], ['Content-Length', '24']], body: 'try another member, 503!' })
      const declined = await call(front.port, { path: '/busy' })
      const outcome = await front.nextOutcome()
      expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_STATUS')
      expect(outcome.error?.statusCode).toBe(503)
      expect(outcome.headersSent).toBe(false)
      expect(declined.body.toString()).toBe('')
      member.behave(ok())
      const next = await call(front.port, { path: '/next' })
      expect(next.body.toString()).toBe(OK_BODY)
      expect((await front.nextOutcome()).result?.status).toBe(200)
      expect(member.accepted).toBe(1)
    })

    it.each([
      ['HEAD', 200, [['Content-Type', 'text/plain'], ['Content-Length', '5']]],
      ['GET', 204, []],
      ['GET', 304, [['ETag', '"v1"'], ['Content-Length', '5']]],
    ] as Array<[method: string, status: number, headers: ReadonlyArray<readonly [string, string]>]>)('no body awaited after %s answered %i, and the connection is used again', async (method, status, headers) => {
      const { member, front } = await setup({ timeout: 2_000 })
      member.behave({ kind: 'answer', status, headers, body: '' })
      const reply = await call(front.port, { method, path: '/nobody' })
      expect(reply.status).toBe(status)
      expect(reply.aborted).toBe(false)
      expect(reply.body.length).toBe(0)
      const outcome = await front.nextOutcome()
      expect(outcome.result).toEqual({ status, bytesIn: 0, bytesOut: 0 })
      member.behave(ok())
      const next = await call(front.port, { path: '/next' })
      expect(next.body.toString()).toBe(OK_BODY)
      await front.nextOutcome()
      const closes = method === 'HEAD' ? suite.quirks?.headClosesConnection : headers.some(([n]) => n === 'Content-Length') && suite.quirks?.lengthOnBodilessClosesConnection
      const reused = closes !== true
      expect(member.accepted).toBe(reused ? 1 : 2)
    })

    it.each(['chunked', 'content-length'] as const)('streams a %s request body and counts its bytes both ways', async (framing) => {
      const { member, front } = await setup()
      member.behave(ok())
      const chunks = [Buffer.alloc(1000, 0x61), Buffer.alloc(2000, 0x62), Buffer.alloc(3000, 0x63)]
      const total = 6000
      let sent = 0
      const reply = await call(front.port, {
        method: 'PUT',
        path: '/upload',
        headers: framing === 'chunked' ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) },
        chunks,
        // the member has every byte sent so far before the next leaves the client: streamed, not buffered
        beforeChunk: async (i) => {
          if (i > 0) await until(() => member.bodyBytes >= sent, `the member has the first ${sent} body bytes`)
          sent += (chunks[i] as Buffer).length
        },
      })
      expect(reply.body.toString()).toBe(OK_BODY)
      const outcome = await front.nextOutcome()
      expect(outcome.result).toEqual({ status: 200, bytesIn: OK_BODY.length, bytesOut: total })
      expect(member.bodies.at(-1)).toEqual(Buffer.concat(chunks))
    })

    it('keeps one connection alive for sequential exchanges', async () => {
      const { member, front, transport } = await setup()
      member.behave(ok())
      for (let i = 0; i < 3; i++) {
        const reply = await call(front.port, { path: `/again/${i}` })
        expect(reply.body.toString()).toBe(OK_BODY)
        expect((await front.nextOutcome()).result).toEqual({ status: 200, bytesIn: OK_BODY.length, bytesOut: 0 })
      }
      expect(member.accepted).toBe(1)
      await until(() => transport.sockets().idle === 1, 'the connection is idle in the pool')
      expect(transport.sockets()).toEqual({ open: 1, idle: 1 })
    })

    it.each(['conflicting-framing', 'invalid-head'] as const)('a member answer with %s: UpstreamProtocolError, nothing written to the client', async (kind) => {
      const { member, front } = await setup()
      member.behave({ kind })
      const reply = await call(front.port, { path: '/bad' })
      const outcome = await front.nextOutcome()
      expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_PROTOCOL')
      expect(outcome.headersSent).toBe(false)
      expect(reply.status).toBe(502)
      expect(reply.body.toString()).not.toContain('hello')
    })
  })
}
