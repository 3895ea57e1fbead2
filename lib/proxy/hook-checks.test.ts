import { describe, expect, it } from 'vitest'
import { REQUEST_RESERVED, RESPONSE_RESERVED, headerProblem, hostProblem, reservedValues } from './hook-checks.js'

type Headers = Record<string, unknown>

/** Runs `change` on a copy of `start` as a hook would, then checks it. */
function afterHook(start: Headers, change: (h: Headers) => void, reserved = REQUEST_RESERVED): string | undefined {
  const headers: Headers = structuredClone(start)
  const before = reservedValues(headers as Record<string, string>, reserved)
  change(headers)
  return headerProblem(headers, reserved, before)
}

const START: Headers = { host: '127.0.0.1:8081', 'content-length': '5', cookie: 'a=1', 'x-forwarded-for': '203.0.113.9', 'set-cookie': ['a=1', 'b=2'] }

describe('headerProblem', () => {
  it.each<[string, (h: Headers) => void]>([
    ['nothing changed', () => {}],
    ['a header added', (h) => void (h.authorization = 'Bearer abc')],
    ['a list added', (h) => void (h['x-list'] = ['a', 'b'])],
    ['a header removed', (h) => void delete h.cookie],
    ['a forwarding header changed', (h) => void (h['x-forwarded-for'] = '198.51.100.1')],
    ['HTAB and obs-text in a value', (h) => void (h['x-a'] = 'a\tb \xe9')],
    ['an empty value', (h) => void (h['x-a'] = '')],
    ['token punctuation in a name', (h) => void (h["x-a!#$%&'*+.^_`|~"] = 'v')],
    ['content-length written back unchanged', (h) => void (h['content-length'] = '5')],
    ['set-cookie rebuilt with the same values', (h) => void (h['set-cookie'] = ['a=1', 'b=2'])],
  ])('accepts %s', (_what, change) => {
    expect(afterHook(START, change, RESPONSE_RESERVED)).toBeUndefined()
    expect(afterHook(START, change)).toBeUndefined()
  })

  it.each<[string, (h: Headers) => void, string]>([
    ['CR LF in a value', (h) => void (h['x-a'] = 'v\r\nx: y'), 'control character'],
    ['LF in a value', (h) => void (h['x-a'] = 'v\nx: y'), 'control character'],
    ['CR in a value', (h) => void (h['x-a'] = 'v\r'), 'control character'],
    ['NUL in a value', (h) => void (h['x-a'] = '\0'), 'control character'],
    ['DEL in a value', (h) => void (h['x-a'] = 'a\x7f'), 'control character'],
    ['a vertical tab', (h) => void (h['x-a'] = 'a\vb'), 'control character'],
    ['a character above 0xFF', (h) => void (h['x-a'] = '\u20ac'), 'control character'],
    ['CR LF in one list value', (h) => void (h['x-a'] = ['ok', 'a\r\nb']), 'control character'],
    ['a number in a list', (h) => void (h['x-a'] = ['ok', 1]), 'not a string'],
    ['a number', (h) => void (h['x-a'] = 1), 'not a string'],
    ['undefined', (h) => void (h['x-a'] = undefined), 'not a string'],
    ['null', (h) => void (h['x-a'] = null), 'not a string'],
    ['an empty list', (h) => void (h['x-a'] = []), 'not a string'],
    ['an object', (h) => void (h['x-a'] = { toString: () => 'v' }), 'not a string'],
    ['an upper-case name', (h) => void (h['X-A'] = 'v'), 'lower-case token'],
    ['a space in a name', (h) => void (h['x a'] = 'v'), 'lower-case token'],
    ['a colon in a name', (h) => void (h['x:a'] = 'v'), 'lower-case token'],
    ['CR LF in a name', (h) => void (h['x\r\na'] = 'v'), 'lower-case token'],
    ['an empty name', (h) => void (h[''] = 'v'), 'lower-case token'],
    ['a non-ASCII name', (h) => void (h['x-é'] = 'v'), 'lower-case token'],
    ['content-length changed', (h) => void (h['content-length'] = '6'), 'changed content-length'],
    ['content-length removed', (h) => void delete h['content-length'], 'changed content-length'],
    ['transfer-encoding added', (h) => void (h['transfer-encoding'] = 'chunked'), 'changed transfer-encoding'],
    ['connection added', (h) => void (h.connection = 'close'), 'changed connection'],
    ['keep-alive added', (h) => void (h['keep-alive'] = 'timeout=1'), 'changed keep-alive'],
    ['proxy-connection added', (h) => void (h['proxy-connection'] = 'close'), 'changed proxy-connection'],
    ['te added', (h) => void (h.te = 'trailers'), 'changed te'],
    ['trailer added', (h) => void (h.trailer = 'x'), 'changed trailer'],
    ['upgrade added', (h) => void (h.upgrade = 'websocket'), 'changed upgrade'],
  ])('refuses %s', (_what, change, reason) => {
    expect(afterHook(START, change)).toContain(reason)
    expect(afterHook(START, change, RESPONSE_RESERVED)).toContain(reason)
  })

  it('refuses expect on requests only (a response may carry it)', () => {
    expect(afterHook(START, (h) => void (h.expect = '100-continue'))).toContain('changed expect')
    expect(afterHook(START, (h) => void (h.expect = '100-continue'), RESPONSE_RESERVED)).toBeUndefined()
  })

  it('sees a reserved list changed in place', () => {
    const start = { 'transfer-encoding': ['chunked'] }
    expect(afterHook(start, (h) => void (h['transfer-encoding'] as string[]).push('gzip'))).toContain('changed transfer-encoding')
  })

  it('never repeats what the hook set in its reason', () => {
    const reason = afterHook(START, (h) => void (h['<script>x'] = '<b>'))
    expect(reason).not.toContain('<')
  })
})

describe('hostProblem', () => {
  it.each(['app.example.com', 'app.example.com:8443', '127.0.0.1', '127.0.0.1:8081', '[::1]', '[::1]:8080', 'xn--caf-dma.example', 'a_b.internal'])('accepts %s', (host) => {
    expect(hostProblem(host)).toBeUndefined()
  })
  it.each<[string, unknown]>([
    ['nothing', undefined], ['an empty host', ''], ['a space', 'a b'], ['a path', 'a.example/x'], ['userinfo', 'u@a.example'],
    ['CR LF', 'a.example\r\nx: y'], ['two values', ['a', 'b']], ['a port of letters', 'a.example:http'], ['an unbracketed IPv6', '::1'],
    ['a comma', 'a.example,b.example'], ['a number', 8080],
  ])('refuses %s', (_what, host) => {
    expect(hostProblem(host)).toBeDefined()
  })
})
