import { describe, expect, it } from 'vitest'
import type { AccessRecord } from './access-record.js'
import type { AuditRecord } from './audit-record.js'
import { clfTime, formatAuditText, formatCombined, formatCommon, seconds } from './text-format.js'

const T = Date.UTC(2026, 11, 8, 0, 35, 12, 345)

/** A request forwarded to TomcatA by its session route. */
const STICKY: AccessRecord = {
  time: T,
  client: '127.0.0.1',
  method: 'GET',
  url: '/testapp/echo.jsp?x=1',
  protocol: 'HTTP/1.1',
  status: 200,
  bytes: 512,
  referer: 'http://lb.example/testapp/',
  userAgent: 'curl/8.5.0',
  durationMs: 4.2,
  upstreams: [{ member: 'TomcatA', address: '127.0.0.1:8081', status: 200, durationMs: 3.1, reason: 'sticky', error: undefined }],
  route: 'TomcatA',
  reason: 'sticky',
  sessionRoute: 'TomcatA',
  error: undefined,
  aborted: false,
}

const record = (changes: Partial<AccessRecord>): AccessRecord => ({ ...STICKY, ...changes })

describe('clfTime (httpd %t)', () => {
  it.each([
    ['UTC', 0, '[08/Dec/2026:00:35:12 +0000]'],
    ['east of UTC', -60, '[08/Dec/2026:01:35:12 +0100]'],
    ['west of UTC, across midnight', 300, '[07/Dec/2026:19:35:12 -0500]'],
    ['half-hour zone', -330, '[08/Dec/2026:06:05:12 +0530]'],
  ])('%s', (_name, offset, expected) => {
    expect(clfTime(T, offset)).toBe(expected)
  })

  it('defaults to the process time zone', () => {
    expect(clfTime(T)).toBe(clfTime(T, new Date(T).getTimezoneOffset()))
  })
})

describe('seconds (nginx $request_time)', () => {
  it.each([[0, '0.000'], [4.2, '0.004'], [1234.5678, '1.235'], [-1, '0.000']])('%d ms → %s', (ms, expected) => {
    expect(seconds(ms)).toBe(expected)
  })
})

describe('formatCommon and formatCombined', () => {
  it.each<[string, AccessRecord, string, string]>([
    [
      'a sticky request',
      STICKY,
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 200 512 0.004 127.0.0.1:8081 200 0.003 TomcatA sticky -',
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 200 512 "http://lb.example/testapp/" "curl/8.5.0" 0.004 127.0.0.1:8081 200 0.003 TomcatA sticky -',
    ],
    [
      'a retry: both attempts, in order',
      record({
        upstreams: [
          { member: 'TomcatA', address: '127.0.0.1:8081', status: 0, durationMs: 1, reason: 'new', error: 'LB_ERR_UPSTREAM_CONNECT' },
          { member: 'TomcatB', address: '127.0.0.1:8082', status: 200, durationMs: 2.5, reason: 'new', error: undefined },
        ],
        route: 'TomcatB', reason: 'new', sessionRoute: undefined, referer: undefined, userAgent: undefined,
      }),
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 200 512 0.004 127.0.0.1:8081,127.0.0.1:8082 -,200 0.001,0.003 TomcatB new -',
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 200 512 "-" "-" 0.004 127.0.0.1:8081,127.0.0.1:8082 -,200 0.001,0.003 TomcatB new -',
    ],
    [
      'the balancer answered itself: no upstream, size "-" for no body',
      record({ status: 503, bytes: 0, upstreams: [], route: undefined, reason: undefined, error: 'LB_ERR_NO_MEMBER' }),
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 503 - 0.004 - - - - - LB_ERR_NO_MEMBER',
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 503 - "http://lb.example/testapp/" "curl/8.5.0" 0.004 - - - - - LB_ERR_NO_MEMBER',
    ],
    [
      'the client went away before any answer: 499, as nginx',
      record({ status: 0, bytes: 0, aborted: true, error: 'LB_ERR_CLIENT_ABORTED', upstreams: [{ member: 'TomcatA', address: '127.0.0.1:8081', status: 0, durationMs: 1500, reason: 'sticky', error: 'LB_ERR_CLIENT_ABORTED' }] }),
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 499 - 0.004 127.0.0.1:8081 - 1.500 TomcatA sticky LB_ERR_CLIENT_ABORTED',
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 499 - "http://lb.example/testapp/" "curl/8.5.0" 0.004 127.0.0.1:8081 - 1.500 TomcatA sticky LB_ERR_CLIENT_ABORTED',
    ],
    [
      'an IPv6 client and member, a rescheduled session',
      record({ client: '::1', upstreams: [{ member: 'TomcatB', address: '[::1]:8082', status: 200, durationMs: 3, reason: 'rescheduled:member-error', error: undefined }], route: 'TomcatB', reason: 'rescheduled:member-error' }),
      '::1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 200 512 0.004 [::1]:8082 200 0.003 TomcatB rescheduled:member-error -',
      '::1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/echo.jsp?x=1 HTTP/1.1" 200 512 "http://lb.example/testapp/" "curl/8.5.0" 0.004 [::1]:8082 200 0.003 TomcatB rescheduled:member-error -',
    ],
  ])('%s', (_name, input, common, combined) => {
    expect(formatCommon(input, 0)).toBe(common)
    expect(formatCombined(input, 0)).toBe(combined)
  })
})

describe('log injection: client text cannot split, fake or break a line', () => {
  const hostile = record({
    method: 'GET',
    url: '/x\r\n127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /admin HTTP/1.1" 200 1',
    referer: 'a"b\\c',
    userAgent: 'evil\x1b[2J\nagent \xff\u00c3\u00a9',
  })

  it.each([
    ['common', formatCommon(hostile, 0)],
    ['combined', formatCombined(hostile, 0)],
  ])('%s: one line, every quoted field closed where it should be', (_name, line) => {
    expect(line).not.toMatch(/[\r\n\x00-\x1f\x7f-\uffff]/)
    expect(line).toContain('"GET /x\\r\\n127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] \\"GET /admin HTTP/1.1\\" 200 1 HTTP/1.1" 200 512')
  })

  it('combined: the referer and user agent escaped as httpd does', () => {
    expect(formatCombined(hostile, 0)).toContain(' "a\\"b\\\\c" "evil\\x1b[2J\\nagent \\xff\\xc3\\xa9" ')
  })

  it('combined: a parser of the Combined format still finds every field', () => {
    const combined = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\S+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/
    const m = combined.exec(formatCombined(hostile, 0))
    expect(m?.[6]).toBe('200')
    expect(m?.[11]).toBe('127.0.0.1:8081')
    expect(m?.[14]).toBe('TomcatA')
    expect(m?.[15]).toBe('sticky')
  })
})

describe('formatAuditText', () => {
  const change: AuditRecord = {
    time: T, outcome: 'change', client: '127.0.0.1', forwardedFor: undefined, listener: '127.0.0.1:9090', host: '127.0.0.1:9090',
    method: 'POST', url: '/balancer-manager/api/members/TomcatA', via: 'json', action: 'member TomcatA: state draining', status: undefined, reason: undefined,
  }
  it.each<[string, AuditRecord, string]>([
    [
      'a change',
      change,
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] audit change listener=127.0.0.1:9090 host="127.0.0.1:9090" xff="-" via=json status=- request="POST /balancer-manager/api/members/TomcatA" what="member TomcatA: state draining"',
    ],
    [
      'a refusal, with a hostile Host and X-Forwarded-For',
      { ...change, outcome: 'refused', via: undefined, action: undefined, status: 421, reason: 'the Host header names no allowed host', host: 'evil"\r\nx', forwardedFor: '10.0.0.1, 10.0.0.2' },
      '127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] audit refused listener=127.0.0.1:9090 host="evil\\"\\r\\nx" xff="10.0.0.1, 10.0.0.2" via=- status=421 request="POST /balancer-manager/api/members/TomcatA" what="the Host header names no allowed host"',
    ],
  ])('%s', (_name, input, expected) => {
    expect(formatAuditText(input, 0)).toBe(expected)
  })
})
