/**
 * Hostile HTTP/1.1 input through the Express, Koa and bare hosts, to an HTTP and an AJP member.
 *
 * Each case writes raw bytes on a fresh connection and checks three things: the answer, what the
 * member saw (never a request we did not frame ourselves: no `/smuggled`), and that the process
 * still serves afterwards. Node's parser answers many smuggling shapes with 400 before the
 * balancer sees them; that is a safe outcome and is asserted as such.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import type { BalancerOptions } from '../../lib/options.js'
import { METHOD_CODES } from '../../lib/transports/ajp/constants.js'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import {
  HOST_KINDS,
  MEMBER_SETUPS,
  aliveStatus,
  onTransportOf,
  forwardHeader,
  rawExchange,
  startAjpMember,
  startHost,
  startHttpMember,
  type EchoBody,
  type Host,
  type RecordingMember,
} from './support/hosts.js'

beforeEach(guardProcess)

const H = 'Host: front\r\n'
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: front\r\n\r\n'

type MemberKind = 'http' | 'ajp'

interface Case {
  name: string
  raw: string
  /** Expected status of the first response; per member kind when they differ. */
  status: number | Record<MemberKind, number>
  /** How many requests the member sees (default: 0 when status ≥ 400, else 1). */
  seen?: number
  /** The client sends part of the body and goes away: the member must never get it as complete. */
  cutShort?: boolean
  /** Extra checks on the first response and the member's view. */
  check?: (ctx: { body: string; headers: Record<string, string>; member: RecordingMember; memberKind: MemberKind }) => void
}

const CASES: Case[] = [
  // --- request smuggling ------------------------------------------------------------------
  { name: 'Content-Length + Transfer-Encoding', raw: `POST /s HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'two different Content-Lengths', raw: `POST /s HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 40\r\n\r\nabcd${SMUGGLED}`, status: 400 },
  { name: 'two equal Content-Lengths', raw: `POST /s HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd`, status: 400 },
  { name: 'a Content-Length list', raw: `POST /s HTTP/1.1\r\n${H}Content-Length: 4, 4\r\n\r\nabcd`, status: 400 },
  { name: 'a signed Content-Length', raw: `POST /s HTTP/1.1\r\n${H}Content-Length: +4\r\n\r\nabcd`, status: 400 },
  { name: 'obs-fold', raw: `GET /s HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`, status: 400 },
  { name: 'obs-fold continuing Transfer-Encoding', raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'Transfer-Encoding: chunked, identity', raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'Transfer-Encoding twice', raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: 400 },
  { name: 'Transfer-Encoding: xchunked', raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'a space before the colon of Transfer-Encoding', raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'bare LF line endings', raw: `GET /s HTTP/1.1\nHost: front\n\n${SMUGGLED}`, status: 400 },
  { name: 'a bare LF inside the head', raw: `GET /s HTTP/1.1\r\n${H}X-A: b\nContent-Length: 30\r\n\r\n${SMUGGLED}`, status: 400 },
  { name: 'a bare CR inside the head', raw: `GET /s HTTP/1.1\r\n${H}X-A: b\rContent-Length: 30\r\n\r\n${SMUGGLED}`, status: 400 },
  {
    name: 'a chunk extension ended by a bare LF',
    raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;x\nabc\r\n0\r\n\r\n${SMUGGLED}`,
    status: 400,
    seen: -1, // the head may reach the member before the body fails to parse; never /smuggled
  },
  {
    name: 'an oversized chunk size',
    raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\nabc\r\n0\r\n\r\n`,
    status: 400,
    seen: -1,
  },
  {
    name: 'a GET whose Content-Length body holds a request (read as body, as the member does)',
    raw: `GET /s HTTP/1.1\r\n${H}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    status: 200,
    check: ({ body }) => expect(JSON.parse(body)).toMatchObject({ url: '/s', bodyLength: SMUGGLED.length }),
  },
  {
    name: 'Transfer-Encoding: identity, chunked (read as chunked, re-framed for the member)',
    raw: `POST /s HTTP/1.1\r\n${H}Transfer-Encoding: identity, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    status: 200,
    check: ({ body }) => expect(JSON.parse(body)).toMatchObject({ method: 'POST', bodyLength: 5 }),
  },
  { name: 'two Host headers', raw: `GET /s HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n`, status: 400 },

  // --- header injection and sizes ---------------------------------------------------------
  { name: 'a CR in a header value', raw: `GET /s HTTP/1.1\r\n${H}X-A: a\rX-Injected: 1\r\n\r\n`, status: 400 },
  { name: 'a NUL in a header value', raw: `GET /s HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`, status: 400 },
  { name: 'a NUL in a header name', raw: `GET /s HTTP/1.1\r\n${H}X-\0A: b\r\n\r\n`, status: 400 },
  { name: 'a control character in a header value', raw: `GET /s HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`, status: 400 },
  { name: 'an encoded CRLF in the path reaches the member still encoded', raw: `GET /s%0d%0aX-Injected:%201 HTTP/1.1\r\n${H}\r\n`, status: 200,
    check: ({ body, member }) => {
      expect(JSON.parse(body).url).toBe('/s%0d%0aX-Injected:%201')
      expect(member.seen.at(-1)?.headers['x-injected']).toBeUndefined()
    } },
  { name: 'a 20 KiB header (→ 431)', raw: `GET /s HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, status: 431 },
  { name: 'a 20 KiB URL (→ 431)', raw: `GET /${'a'.repeat(20 * 1024)} HTTP/1.1\r\n${H}\r\n`, status: 431 },
  { name: 'a 6 KiB URL is forwarded whole', raw: `GET /${'u'.repeat(6 * 1024)}?q=1 HTTP/1.1\r\n${H}\r\n`, status: 200,
    check: ({ body }) => expect((JSON.parse(body) as EchoBody).url).toBe(`/${'u'.repeat(6 * 1024)}?q=1`) },
  { name: 'a 64 KiB header (→ 431)', raw: `GET /s HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`, status: 431 },
  { name: 'a 16 KiB cookie (→ 431: with the request line it exceeds the 16 KiB head)', raw: `GET /s HTTP/1.1\r\n${H}Cookie: JSESSIONID=${'c'.repeat(16 * 1024)}.A\r\n\r\n`, status: 431 },
  { name: '10,000 tiny headers (→ 431: over the 16 KiB head)', raw: `GET /s HTTP/1.1\r\n${H}${manyHeaders(10_000)}\r\n`, status: 431 },
  { name: '90 header lines are forwarded, every one', raw: `GET /s HTTP/1.1\r\n${H}${manyHeaders(89)}\r\n`, status: 200,
    check: ({ member }) => {
      const headers = member.seen.at(-1)?.headers ?? {}
      expect(Object.keys(headers).filter((n) => n.startsWith('x-h'))).toHaveLength(89)
    } },
  { name: '91 header lines (→ 431, maxHeaderCount 90)', raw: `GET /s HTTP/1.1\r\n${H}${manyHeaders(90)}\r\n`, status: 431,
    check: ({ headers }) => expect(headers.connection).toBe('close') },
  {
    name: 'a 12 KiB header fits HTTP but not one AJP packet (→ 431 on AJP)',
    raw: `GET /s HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(12 * 1024)}\r\n\r\n`,
    status: { http: 200, ajp: 431 },
  },

  // --- request targets --------------------------------------------------------------------
  { name: 'an absolute-form target', raw: `GET http://evil.example/s HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an absolute-form target naming the front', raw: `GET http://front/s HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'an asterisk-form target', raw: `OPTIONS * HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'a space in the target', raw: `GET /a b HTTP/1.1\r\n${H}\r\n`, status: 400 },
  {
    name: 'TRACE is not reflected (405 with Allow)',
    raw: `TRACE /s HTTP/1.1\r\n${H}Cookie: JSESSIONID=secret.A\r\nAuthorization: Basic c2VjcmV0\r\n\r\n`,
    status: 405,
    check: ({ body, headers }) => {
      expect(headers.allow).toBeDefined()
      expect(headers.allow).not.toContain('TRACE')
      expect(body).not.toContain('secret')
      expect(body).not.toContain('c2VjcmV0')
    },
  },
  { name: 'TRACK (unknown method)', raw: `TRACK /s HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'FOO (a method Node does not know)', raw: `FOO /s HTTP/1.1\r\n${H}\r\n`, status: 400 },
  {
    name: 'PURGE (no AJP method code: sent as stored method)',
    raw: `PURGE /s HTTP/1.1\r\n${H}\r\n`,
    status: 200,
    check: ({ body, member, memberKind }) => {
      expect(JSON.parse(body).method).toBe('PURGE')
      if (memberKind === 'ajp') {
        const forward = member.forwards.at(-1)
        expect(forward?.method).toBe(0xff)
        expect(forward?.attributes.filter(([c]) => c === 0x0d)).toEqual([[0x0d, 'PURGE']])
      }
    },
  },
  { name: 'raw bytes above 0x7F (invalid UTF-8) in the path', raw: `GET /a\xff\xfe\xc0\xaf HTTP/1.1\r\n${H}\r\n`, status: 400 },
  { name: 'percent-encoded invalid UTF-8 reaches the member still encoded', raw: `GET /a%ff%fe%c0%af HTTP/1.1\r\n${H}\r\n`, status: 200,
    check: ({ body }) => expect(JSON.parse(body).url).toBe('/a%ff%fe%c0%af') },

  // --- path traversal against an excluded context (exclude: ['/manager']) ------------------
  ...['/x/../manager/html', '/x/%2e%2e/manager/html', '/manager;jsessionid=1/html', '/%6danager/html', '/x/..;/manager/html', '//manager/html', '/./manager/html', '/x/%2E%2E/manager',
    '/x/.%2e/manager', '/x/..;p=1/manager', '/.;x/manager', '/;x/manager', '/x/%2e%2e;p/%6d%61nager/']
    .map((path): Case => ({ name: `traversal to an excluded path: ${path}`, raw: `GET ${path} HTTP/1.1\r\n${H}\r\n`, status: 404 })),
  // Refused before exclusions are looked at: `..` above the root (Tomcat answers such a path 400
  // too), and encoded separators, which Tomcat's defaults refuse and a lenient member would split.
  ...['/%2e%2e/manager/html', '/..;/manager/html', '/x/../../manager', '/x/..%2fmanager/html', '/x/%2e%2e%2fmanager', '/%2fmanager/html', '/manager%2fhtml', '/x/..%5cmanager',
    '/x/..\\manager', '/a%2fmanager%2fhtml', '/a%zz']
    .map((path): Case => ({ name: `a path Tomcat would refuse is refused: ${path}`, raw: `GET ${path} HTTP/1.1\r\n${H}\r\n`, status: 400 })),
  {
    name: 'traversal elsewhere reaches the member normalised as Tomcat maps it, with the query as sent',
    raw: `GET /app/../other/%2e%2e/x;a=b?y=/../z HTTP/1.1\r\n${H}\r\n`,
    status: 200,
    check: ({ body }) => expect(JSON.parse(body).url).toBe('/x;a=b?y=/../z'),
  },

  // --- cookies ----------------------------------------------------------------------------
  {
    name: 'malformed cookies',
    raw: `GET /s HTTP/1.1\r\n${H}Cookie: JSESSIONID=; =x; ;;; JSESSIONID="abc.A; JSESSIONID=%ZZ.B; a=b=c; JSESSIONID=..; JSESSIONID=.\r\nCookie: \r\n\r\n`,
    status: 200,
  },
  {
    name: '700 JSESSIONID pairs (13 KiB): bounded, forwarded to HTTP, too big for one AJP packet',
    raw: `GET /s HTTP/1.1\r\n${H}Cookie: ${Array.from({ length: 700 }, (_, i) => `JSESSIONID=${i}.Z`).join('; ')}\r\n\r\n`,
    status: { http: 200, ajp: 431 },
  },
  {
    name: 'a session route naming no member is served anyway',
    raw: `GET /s;jsessionid=abc.nobody HTTP/1.1\r\n${H}Cookie: JSESSIONID=abc.nobody\r\n\r\n`,
    status: 200,
  },

  // --- framing that is fine -----------------------------------------------------------------
  { name: 'HTTP/1.0 without Host', raw: 'GET /s HTTP/1.0\r\n\r\n', status: 200 },
  {
    name: 'a body cut short by the client',
    raw: `POST /s HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nabc`,
    status: 0, // no answer: the client went away (we half-close nothing; the exchange times out client-side)
    seen: -1,
    cutShort: true,
  },
]

/** `n` tiny header lines `X-H<i>: v`, each ending in CRLF. */
function manyHeaders(n: number): string {
  let out = ''
  for (let i = 0; i < n; i++) out += `X-H${i}: v\r\n`
  return out
}

function expected(c: Case, memberKind: MemberKind): number {
  return typeof c.status === 'number' ? c.status : c.status[memberKind]
}

describe.each(HOST_KINDS)('hostile input through the %s host', (hostKind) => {
  describe.each(MEMBER_SETUPS)('to an $label member', (setup) => {
    const memberKind = setup.kind
    let member: RecordingMember
    let host: Host

    beforeAll(async () => {
      member = memberKind === 'http' ? await startHttpMember('A') : await startAjpMember('A')
      host = await startHost(hostKind, onTransportOf(setup, {
        members: [{ url: member.url, route: 'A' }],
        exclude: ['/manager'],
        timeout: 2_000,
        health: false,
      }))
    })
    afterAll(async () => {
      await host.close()
      await member.close()
    })

    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const before = member.seen.length
      const status = expected(c, memberKind)
      const reply = await rawExchange(host.port, c.raw, { responses: 1, timeoutMs: status === 0 ? 300 : 2_000 })
      const first = reply.responses[0]
      expect(first?.status ?? 0).toBe(status)
      const seen = member.seen.slice(before)
      expect(seen.map((s) => s.url)).not.toContain('/smuggled')
      if (c.seen === undefined) expect(seen).toHaveLength(status >= 400 || status === 0 ? 0 : 1)
      else if (c.seen >= 0) expect(seen).toHaveLength(c.seen)
      else expect(seen.length).toBeLessThanOrEqual(1)
      if (c.cutShort) {
        // once the balancer is done with the exchange, what the member got is final: never a
        // complete request (security.md: a body cut short is never forwarded as complete)
        expect(await eventually(() => host.balancer.members[0]?.counters.inFlight === 0, 5_000)).toBe(true)
        for (const s of member.seen.slice(before)) expect([s.complete ?? false, s.bodyLength < 100]).toEqual([false, true])
      }
      if (first && c.check) c.check({ body: first.body, headers: first.headers, member, memberKind })
      // the process still serves, and the connection of the hostile request did not poison anything
      expect(await aliveStatus(host.port)).toBe(200)
    })

    it('answers pipelined requests in order, one member request each', async () => {
      const before = member.seen.length
      const raw = `GET /p1 HTTP/1.1\r\n${H}\r\nPOST /p2 HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /p3 HTTP/1.1\r\n${H}\r\nGET /p4 HTTP/1.1\r\n${H}Connection: close\r\n\r\n`
      const reply = await rawExchange(host.port, raw, { responses: 4, timeoutMs: 3_000 })
      expect(reply.responses.map((r) => [r.status, (JSON.parse(r.body) as EchoBody).url])).toEqual([
        [200, '/p1'], [200, '/p2'], [200, '/p3'], [200, '/p4'],
      ])
      expect(member.seen.slice(before).map((s) => [s.method, s.url, s.bodyLength])).toEqual([
        ['GET', '/p1', 0], ['POST', '/p2', 3], ['GET', '/p3', 0], ['GET', '/p4', 0],
      ])
    })

    it('stops a pipeline at a malformed request: earlier ones answered, later ones never forwarded', async () => {
      const before = member.seen.length
      const raw = `GET /q1 HTTP/1.1\r\n${H}\r\nPOST /q2 HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /q3 HTTP/1.1\r\n${H}\r\n`
      const reply = await rawExchange(host.port, raw, { timeoutMs: 1_500 })
      // Node answers the malformed request with 400 and closes at once: the answer to /q1 may be
      // cut off by that close (it was already forwarded), but nothing after the bad request is.
      expect(reply.closed).toBe(true)
      expect([[200, 400], [400]]).toContainEqual(reply.responses.map((r) => r.status))
      expect(member.seen.slice(before).map((s) => s.url)).toEqual(['/q1'])
    })
  })
})

/**
 * Whether this Node's server refuses a request over `server.maxHeadersCount` itself, with a bare
 * 431 before any handler runs (22.23.2, 24.18.1, 26.5.1 and later: CVE-2026-58044); older ones
 * keep the first headers and drop the rest without a word.
 */
async function nodeRefusesExtraHeaders(): Promise<boolean> {
  const server = http.createServer((_req, res) => res.end())
  server.maxHeadersCount = 1
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const reply = await rawExchange((server.address() as AddressInfo).port, `GET / HTTP/1.1\r\n${H}X-A: b\r\nConnection: close\r\n\r\n`, { responses: 1 })
    return reply.responses[0]?.status === 431
  } finally {
    server.close()
  }
}

describe.each(HOST_KINDS)('header counts through the %s host', (hostKind) => {
  // Node's server keeps only maxHeadersCount headers (1000 unless set): older versions drop the
  // rest without a word, newer ones answer 431 themselves. The balancer refuses what it cannot
  // forward whole (431), as httpd (LimitRequestFields), Tomcat (maxHeaderCount) and Envoy
  // (max_headers_count) do.
  const head = (n: number): string => `GET /s HTTP/1.1\r\n${H}${manyHeaders(n)}\r\n`
  const big = { maxHeaderSize: 1024 * 1024 }
  let nodeRefuses = false
  beforeAll(async () => {
    nodeRefuses = await nodeRefusesExtraHeaders()
  })
  /** The 431 body: the balancer's reason, or Node's empty one when it answered before the balancer saw the request. */
  const expectRefusalBody = (body: string, reason: string): void => {
    if (nodeRefuses) expect(body).toBe('')
    else expect(body).toContain(reason)
  }

  describe.each(MEMBER_SETUPS)('to an $label member', (setup) => {
    const memberKind = setup.kind
    let member: RecordingMember
    beforeAll(async () => {
      member = memberKind === 'http' ? await startHttpMember('A') : await startAjpMember('A')
    })
    afterAll(() => member.close())

    async function exchange(options: Partial<BalancerOptions>, raw: string, maxHeadersCount?: number) {
      const host = await startHost(hostKind, onTransportOf(setup, { members: [{ url: member.url, route: 'A' }], health: false, maxFails: 1000, ...options }), big)
      onTestFinished(() => host.close())
      if (maxHeadersCount !== undefined) host.server.maxHeadersCount = maxHeadersCount
      const before = member.seen.length
      const started = performance.now()
      const reply = await rawExchange(host.port, raw, { responses: 1, timeoutMs: 8_000 })
      const ms = performance.now() - started
      return { status: reply.responses[0]?.status ?? 0, body: reply.responses[0]?.body ?? '', seen: member.seen.slice(before), ms, host }
    }

    it('10,000 tiny headers under a 1 MiB maxHeaderSize: 431 at once, nothing forwarded, still serving', async () => {
      const { status, body, seen, ms, host } = await exchange({}, head(10_000))
      expect(status).toBe(431)
      expectRefusalBody(body, 'too many header lines')
      expect(seen).toHaveLength(0)
      // prompt (the work's growth is checked without a clock in request-guard.test.ts); 4 s leaves
      // room for a loaded machine
      expect(ms).toBeLessThan(4_000)
      expect(await aliveStatus(host.port)).toBe(200)
    })

    it('maxHeaderCount raised above what Node keeps: still 431, never a request with headers dropped', async () => {
      const { status, body, seen, host } = await exchange({ maxHeaderCount: 20_000 }, head(10_000))
      expect(status).toBe(431)
      expectRefusalBody(body, 'maxHeadersCount')
      expect(seen).toHaveLength(0)
      expect(await aliveStatus(host.port)).toBe(200)
    })

    it('500 headers with maxHeaderCount 600: forwarded whole', async () => {
      const { status, seen } = await exchange({ maxHeaderCount: 600 }, head(500))
      expect(status).toBe(200)
      expect(Object.keys(seen[0]?.headers ?? {}).filter((n) => n.startsWith('x-h'))).toHaveLength(500)
    })

    it('900 headers with maxHeaderCount 1000: forwarded whole (HTTP) or refused whole (431: over one AJP packet)', async () => {
      const { status, seen } = await exchange({ maxHeaderCount: 1_000 }, head(900))
      if (memberKind === 'http') {
        expect(status).toBe(200)
        expect(Object.keys(seen[0]?.headers ?? {}).filter((n) => n.startsWith('x-h'))).toHaveLength(900)
      } else {
        expect(status).toBe(431)
        expect(seen).toHaveLength(0)
      }
    })

    it('every limit raised (maxHeadersCount 0): 10,000 headers reach the member, whose own limit answers', async () => {
      const { status, host } = await exchange({ maxHeaderCount: 20_000 }, head(10_000), 0)
      // the HTTP member is a Node server with a 16 KiB head; the AJP encoder needs one 8 KiB packet
      expect(status).toBe(431)
      expect(await aliveStatus(host.port)).toBe(200)
    })
  })
})

describe.each(HOST_KINDS)('CONNECT through the %s host', (hostKind) => {
  it('closes the connection without an answer (Node: no connect listener); nothing is forwarded', async () => {
    const member = await startHttpMember('A')
    const host = await startHost(hostKind, { members: [{ url: member.url, route: 'A' }], health: false })
    onTestFinished(async () => {
      await host.close()
      await member.close()
    })
    for (const target of ['front:443', '127.0.0.1:22', '/s']) {
      const reply = await rawExchange(host.port, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`, { timeoutMs: 2_000 })
      expect(reply.closed).toBe(true)
      expect(reply.responses).toEqual([])
    }
    expect(member.seen).toHaveLength(0)
    expect(await aliveStatus(host.port)).toBe(200)
  })
})

describe.each(MEMBER_SETUPS)('a huge Cookie header to an $label member', (setup) => {
  it('10,000 JSESSIONID pairs under a 1 MiB maxHeaderSize: bounded work, a prompt answer', async () => {
    const member = setup.kind === 'http' ? await startHttpMember('A') : await startAjpMember('A')
    const host = await startHost('bare', onTransportOf(setup, { members: [{ url: member.url, route: 'A' }], health: false, maxFails: 1000 }), { maxHeaderSize: 1024 * 1024 })
    try {
      const cookie = Array.from({ length: 10_000 }, (_, i) => `JSESSIONID=${i}.${i % 2 ? 'A' : 'B'}`).join('; ')
      const started = performance.now()
      const reply = await rawExchange(host.port, `GET /s HTTP/1.1\r\n${H}Cookie: ${cookie}\r\n\r\n`, { responses: 1, timeoutMs: 8_000 })
      // prompt (the parser's growth is checked as a ratio in session-route.property.test.ts)
      expect(performance.now() - started).toBeLessThan(4_000)
      // the HTTP member (Node, 16 KiB limit) answers 431 itself; the AJP encoder refuses with 431
      expect(reply.responses[0]?.status).toBe(431)
      expect(await aliveStatus(host.port)).toBe(200)
    } finally {
      await host.close()
      await member.close()
    }
  })
})

describe('client faults do not count against a member', () => {
  // Regression: a request the AJP encoder refuses (431: headers larger than one packet; 400: a
  // CR/LF/NUL; 501: an upgrade) is the client's fault, yet Balancer.#forward (judgeFailure in
  // lib/failover-policy.ts) treats its LbError like a member failure: markError() puts the member
  // in error, so one hostile request per member makes every AJP member unusable (503) for `retry`.
  it.each<[string, string]>([
    ['431 (headers do not fit one AJP packet)', `GET /s HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(12 * 1024)}\r\n\r\n`],
    ['501 (an upgrade over AJP)', `GET /s HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n`],
  ])('a refused %s leaves the AJP member usable', async (_name, raw) => {
    const member = await startAjpMember('A')
    const host = await startHost('bare', { members: [{ url: member.url, route: 'A' }], health: false })
    try {
      const refused = await rawExchange(host.port, raw, { responses: 1 })
      expect(refused.responses[0]?.status).toBeGreaterThanOrEqual(400)
      expect(refused.responses[0]?.status).toBeLessThan(502)
      expect(host.balancer.members[0]?.health).toBe('ok')
      expect(await aliveStatus(host.port)).toBe(200)
    } finally {
      await host.close()
      await member.close()
    }
  })
})

describe('Ghostcat: client input never becomes an AJP attribute', () => {
  let member: RecordingMember
  let host: Host
  beforeAll(async () => {
    member = await startAjpMember('A')
    host = await startHost('bare', { members: [{ url: member.url, route: 'A' }], health: false })
  })
  afterAll(async () => {
    await host.close()
    await member.close()
  })

  it('attribute-like headers and query parameters arrive as headers and query text only', async () => {
    const hostile = [
      'javax.servlet.include.request_uri: /WEB-INF/web.xml',
      'javax.servlet.include.path_info: web.xml',
      'javax.servlet.include.servlet_path: /WEB-INF/',
      'AJP_REMOTE_PORT: 1',
      'AJP_LOCAL_ADDR: 10.9.9.9',
      'AJP_SSL_PROTOCOL: TLSv1.3',
      'secret: guessed',
      'query_string: a=b',
      'req_attribute: x',
      'ssl_cert: -----BEGIN CERTIFICATE-----',
      'remote_user: admin',
      'auth_type: BASIC',
      'route: B',
    ]
    const query = 'javax.servlet.include.request_uri=/WEB-INF/web.xml&AJP_REMOTE_PORT=1'
    const reply = await rawExchange(host.port, `GET /app/x.jsp?${query} HTTP/1.1\r\n${H}${hostile.join('\r\n')}\r\n\r\n`, { responses: 1 })
    expect(reply.responses[0]?.status).toBe(200)
    const forward = member.forwards.at(-1)
    expect(forward).toBeDefined()
    if (!forward) return
    expect(forward.uri).toBe('/app/x.jsp')
    // attributes: query_string (the raw query, verbatim), route (ours), AJP_REMOTE_PORT and AJP_LOCAL_ADDR (from our socket)
    const attrs = forward.attributes.map(([code, value]) => (code === 0x0a ? [code, (value as [string, string])[0]] : [code]))
    expect(attrs).toEqual([[0x05], [0x06], [0x0a, 'AJP_REMOTE_PORT'], [0x0a, 'AJP_LOCAL_ADDR']])
    const attr = (code: number) => forward.attributes.find(([c]) => c === code)?.[1]
    expect(attr(0x05)).toBe(query)
    expect(attr(0x06)).toBe('A')
    const req = forward.attributes.filter(([c]) => c === 0x0a).map(([, v]) => v as [string, string])
    expect(req.find(([k]) => k === 'AJP_REMOTE_PORT')?.[1]).not.toBe('1')
    expect(req.find(([k]) => k === 'AJP_LOCAL_ADDR')?.[1]).toBe('127.0.0.1')
    // every hostile header went as an ordinary (string-named) header
    for (const line of hostile) {
      const name = line.slice(0, line.indexOf(':')).toLowerCase()
      expect(forwardHeader(forward, name), name).toBe(line.slice(line.indexOf(':') + 1).trim())
    }
  })

  it('a stored method name cannot carry attribute bytes', async () => {
    const reply = await rawExchange(host.port, `PROPFIND /app/ HTTP/1.1\r\n${H}\r\n`, { responses: 1 })
    expect(reply.responses[0]?.status).toBe(200)
    const forward = member.forwards.at(-1)
    expect(forward?.method).toBe(8) // PROPFIND has a code: no stored_method attribute
    expect(forward?.attributes.map(([c]) => c)).not.toContain(0x0d)
    // Every method the host's parser accepts without an AJP code travels as stored_method: the
    // attributes are those of a plain GET plus exactly one stored_method holding the method's
    // name, a bare token (nothing in it can start another attribute).
    await rawExchange(host.port, `GET /app/ HTTP/1.1\r\n${H}\r\n`, { responses: 1 })
    const plain = member.forwards.at(-1)?.attributes.map(([c]) => c)
    const stored = http.METHODS.filter((m) => !METHOD_CODES.has(m) && m !== 'CONNECT' && m !== 'TRACE')
    expect(stored).toContain('PURGE')
    let forwarded = 0
    for (const method of stored) {
      const before = member.forwards.length
      const answer = await rawExchange(host.port, `${method} /app/ HTTP/1.1\r\n${H}\r\n`, { responses: 1 })
      if (member.forwards.length === before) {
        // refused by the balancer itself, never forwarded
        expect(answer.responses[0]?.status, method).toBeGreaterThanOrEqual(400)
        continue
      }
      forwarded++
      const f = member.forwards.at(-1)
      expect(f?.method, method).toBe(0xff)
      expect(f?.attributes.filter(([c]) => c === 0x0d), method).toEqual([[0x0d, method]])
      expect(method).toMatch(/^[A-Z][A-Z-]*$/)
      expect(f?.attributes.map(([c]) => c).filter((c) => c !== 0x0d), method).toEqual(plain)
    }
    expect(forwarded).toBeGreaterThan(0)
  })
})
