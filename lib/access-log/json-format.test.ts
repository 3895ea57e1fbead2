import { describe, expect, it } from 'vitest'
import type { AccessRecord } from './access-record.js'
import type { AuditRecord } from './audit-record.js'
import { formatAccessJson, formatAuditJson } from './json-format.js'
import { formatAccessLine, formatAuditLine } from './log-format.js'

const T = Date.UTC(2026, 11, 8, 0, 35, 12, 345)

const RECORD: AccessRecord = {
  time: T,
  client: '127.0.0.1',
  method: 'GET',
  url: '/testapp/echo.jsp',
  protocol: 'HTTP/1.1',
  status: 200,
  bytes: 512,
  referer: undefined,
  userAgent: 'curl/8.5.0',
  durationMs: 4.20001,
  upstreams: [
    { member: 'TomcatA', address: '127.0.0.1:8081', status: 0, durationMs: 1, reason: 'sticky', error: 'LB_ERR_UPSTREAM_CONNECT' },
    { member: 'TomcatB', address: '127.0.0.1:8082', status: 200, durationMs: 2.5, reason: 'rescheduled:member-error', error: undefined },
  ],
  route: 'TomcatB',
  reason: 'rescheduled:member-error',
  sessionRoute: 'TomcatA',
  error: undefined,
  aborted: false,
}

const AUDIT: AuditRecord = {
  time: T, outcome: 'change', client: '127.0.0.1', forwardedFor: undefined, listener: '127.0.0.1:9090', host: '127.0.0.1:9090',
  method: 'POST', url: '/balancer-manager/api/members/TomcatA', via: 'json', action: 'member TomcatA: state draining', status: undefined, reason: undefined,
}

describe('formatAccessJson', () => {
  it('writes every field, in a fixed order, null when unknown', () => {
    expect(formatAccessJson(RECORD)).toBe(
      '{"type":"access","time":"2026-12-08T00:35:12.345Z","client":"127.0.0.1","method":"GET","url":"/testapp/echo.jsp","protocol":"HTTP/1.1",'
      + '"status":200,"bytes":512,"referer":null,"userAgent":"curl/8.5.0","durationMs":4.2,'
      + '"upstreams":[{"member":"TomcatA","address":"127.0.0.1:8081","status":0,"durationMs":1,"reason":"sticky","error":"LB_ERR_UPSTREAM_CONNECT"},'
      + '{"member":"TomcatB","address":"127.0.0.1:8082","status":200,"durationMs":2.5,"reason":"rescheduled:member-error","error":null}],'
      + '"route":"TomcatB","reason":"rescheduled:member-error","sessionRoute":"TomcatA","error":null,"aborted":false}',
    )
  })

  it('log injection: one line of valid JSON, the client bytes escaped as in the text formats', () => {
    const line = formatAccessJson({ ...RECORD, url: '/x"}\r\n{"type":"access"', referer: 'a\\b', userAgent: 'evil\x1b\xff\u00c3\u00a9', sessionRoute: 'A\nB' })
    expect(line).not.toMatch(/[\r\n\x00-\x1f\x7f-\uffff]/)
    const parsed = JSON.parse(line) as Record<string, unknown>
    expect(parsed.url).toBe('/x\\"}\\r\\n{\\"type\\":\\"access\\"')
    expect(parsed.referer).toBe('a\\\\b')
    expect(parsed.userAgent).toBe('evil\\x1b\\xff\\xc3\\xa9')
    expect(parsed.sessionRoute).toBe('A\\nB')
  })
})

describe('formatAuditJson', () => {
  it('writes an object of type audit', () => {
    expect(JSON.parse(formatAuditJson(AUDIT))).toEqual({
      type: 'audit', time: '2026-12-08T00:35:12.345Z', outcome: 'change', client: '127.0.0.1', forwardedFor: null, listener: '127.0.0.1:9090',
      host: '127.0.0.1:9090', method: 'POST', url: '/balancer-manager/api/members/TomcatA', via: 'json', action: 'member TomcatA: state draining', status: null, reason: null,
    })
  })
})

describe('formatAccessLine and formatAuditLine pick the format by name', () => {
  it.each([
    ['common', /^127\.0\.0\.1 - - \[.+\] "GET \/testapp\/echo\.jsp HTTP\/1\.1" 200 512 0\.004 /],
    ['combined', /^127\.0\.0\.1 - - \[.+\] "GET \/testapp\/echo\.jsp HTTP\/1\.1" 200 512 "-" "curl\/8\.5\.0" 0\.004 /],
    ['json', /^\{"type":"access",/],
  ] as const)('%s', (format, pattern) => {
    expect(formatAccessLine(RECORD, format)).toMatch(pattern)
  })

  it.each([
    ['common', / audit change listener=/],
    ['combined', / audit change listener=/],
    ['json', /^\{"type":"audit",/],
  ] as const)('audit, %s', (format, pattern) => {
    expect(formatAuditLine(AUDIT, format)).toMatch(pattern)
  })
})
