import { describe, expect, it } from 'vitest'
import { resolveBalancerOptions } from '../options.js'
import { ALLOWED_METHODS, DEFAULT_MAX_HEADER_COUNT, checkRequest } from './request-guard.js'
import { countingArray } from '../../test/support/complexity.js'

function req(method: string, headers: Array<[string, string]> = [['Host', 'front']]) {
  return { method, rawHeaders: headers.flat() }
}

describe('checkRequest', () => {
  it.each(['keep-alive', 'close', 'Upgrade', 'keep-alive, Upgrade', 'TE', 'x-custom', 'Cookie', 'Authorization'])('lets Connection: %s through', (value) => {
    expect(checkRequest(req('GET', [['Host', 'a'], ['Connection', value]]), '/')).toBeUndefined()
  })

  it('lets an ordinary request through', () => {
    expect(checkRequest(req('GET'), '/app/x?y=1')).toBeUndefined()
    expect(checkRequest(req('POST', [['Host', 'a'], ['Content-Length', '4']]), '/')).toBeUndefined()
    expect(checkRequest(req('POST', [['Host', 'a'], ['Transfer-Encoding', 'chunked']]), '/')).toBeUndefined()
    expect(checkRequest(req('GET', []), '/')).toBeUndefined() // HTTP/1.0 without Host
  })

  it('refuses TRACE with 405 and Allow, unless allowed', () => {
    expect(checkRequest(req('TRACE'), '/')).toMatchObject({ code: 'LB_ERR_METHOD_NOT_ALLOWED', statusCode: 405, message: 'TRACE is not allowed', headers: { allow: ALLOWED_METHODS } })
    expect(ALLOWED_METHODS).not.toContain('TRACE')
    expect(checkRequest(req('TRACE'), '/', { allowTrace: true })).toBeUndefined()
  })

  it.each(['http://evil.example/x', 'https://a/b', '*', 'evil.example:443', '', 'x/y'])('refuses the non-origin-form target %j', (target) => {
    expect(checkRequest(req('GET'), target)?.statusCode).toBe(400)
  })

  it.each<[string, Array<[string, string]>]>([
    ['two Host headers', [['Host', 'a'], ['host', 'b']]],
    ['CL + TE', [['Content-Length', '4'], ['Transfer-Encoding', 'chunked']]],
    ['two Content-Lengths', [['Content-Length', '4'], ['Content-Length', '4']]],
    ['a Content-Length list', [['Content-Length', '4, 4']]],
    ['a signed Content-Length', [['Content-Length', '+4']]],
    ['chunked, identity', [['Transfer-Encoding', 'chunked, identity']]],
    ['chunked twice', [['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'chunked']]],
    ['an unknown final coding', [['Transfer-Encoding', 'xchunked']]],
    ['a NUL in a value', [['X-A', 'a\0b']]],
    ['a CR in a value', [['X-A', 'a\rb']]],
    ['an LF in a name', [['X-\nA', 'b']]],
    ['Connection naming Content-Length', [['Content-Length', '4'], ['Connection', 'Content-Length']]],
    ['Connection: close, content-length', [['Content-Length', '4'], ['Connection', 'close, content-length']]],
    ['a second Connection naming Content-Length', [['Connection', 'keep-alive'], ['Content-Length', '4'], ['connection', 'CONTENT-LENGTH']]],
    ['Connection naming Transfer-Encoding', [['Transfer-Encoding', 'chunked'], ['Connection', 'transfer-encoding']]],
    ['Connection naming Host', [['Host', 'a'], ['Connection', 'host']]],
    ['Connection naming X-Forwarded-For', [['X-Forwarded-For', '203.0.113.9'], ['Connection', 'X-Forwarded-For']]],
    ['Connection naming X-Forwarded-Proto', [['CONNECTION', 'x-forwarded-proto']]],
    ['Connection naming Forwarded', [['Connection', 'Forwarded']]],
    ['Connection naming Via', [['Connection', 'keep-alive, Via']]],
    ['Connection naming X-Real-IP', [['Connection', 'X-Real-IP']]],
  ])('refuses %s with 400', (_name, headers) => {
    expect(checkRequest(req('POST', headers), '/')?.statusCode).toBe(400)
  })

  it('refuses more header lines than maxHeaderCount with 431 (90 by default: Tomcat\'s 100 less what we add)', () => {
    const lines = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v'])
    expect(checkRequest(req('GET', lines(90)), '/')).toBeUndefined()
    expect(checkRequest(req('GET', lines(91)), '/')).toMatchObject({ code: 'LB_ERR_HEADERS_TOO_LARGE', statusCode: 431, message: 'too many header lines' })
    expect(checkRequest(req('GET', lines(101)), '/', { maxHeaderCount: 101 })).toBeUndefined()
    expect(checkRequest(req('GET', lines(3)), '/', { maxHeaderCount: 2 })?.statusCode).toBe(431)
  })

  it('takes maxHeaderCount from the balancer options, validated (1..100000, default 90)', () => {
    const members = [{ url: 'http://127.0.0.1:1' }]
    expect(resolveBalancerOptions({ members }).maxHeaderCount).toBe(DEFAULT_MAX_HEADER_COUNT)
    expect(resolveBalancerOptions({ members, maxHeaderCount: 2000 }).maxHeaderCount).toBe(2000)
    for (const bad of [0, -1, 1.5, 100_001, '100', null]) {
      expect(() => resolveBalancerOptions({ members, maxHeaderCount: bad as number })).toThrow(/maxHeaderCount must be an integer from 1 to 100000/)
    }
  })

  it('refuses a request that reached the count Node keeps: Node may have dropped headers after it', () => {
    const lines = (n: number): Array<[string, string]> => Array.from({ length: n }, (_, i) => [`X-H${i}`, 'v'])
    const on = (n: number, maxHeadersCount: number | null | undefined) => ({ ...req('GET', lines(n)), socket: { server: { maxHeadersCount } } })
    // Node's default keeps 1000 (server.maxHeadersCount is null)
    expect(checkRequest(on(999, null), '/', { maxHeaderCount: 5000 })).toBeUndefined()
    expect(checkRequest(on(1000, null), '/', { maxHeaderCount: 5000 })?.statusCode).toBe(431)
    expect(checkRequest(on(1023, undefined), '/', { maxHeaderCount: 5000 })?.statusCode).toBe(431)
    // an explicit maxHeadersCount, and 0 (keep all)
    expect(checkRequest(on(50, 50), '/')?.statusCode).toBe(431)
    expect(checkRequest(on(49, 50), '/')).toBeUndefined()
    expect(checkRequest(on(4000, 0), '/', { maxHeaderCount: 5000 })).toBeUndefined()
    // no socket (a request handed over by another server): Node's default is assumed
    expect(checkRequest(req('GET', lines(1000)), '/', { maxHeaderCount: 5000 })?.statusCode).toBe(431)
  })

  it('refuses CR/LF/NUL in the target', () => {
    expect(checkRequest(req('GET'), '/a\r\nX: y')?.statusCode).toBe(400)
  })

  it('does bounded work on a huge header list', () => {
    // The header list is read element by element: 4× the headers must cost at most about 4× the
    // reads (a quadratic scan costs 16×), counted exactly, not timed.
    const readsFor = (count: number): number => {
      const headers: Array<[string, string]> = [['Host', 'a']]
      for (let i = 0; i < count; i++) headers.push(['Cookie', `JSESSIONID=${i}.A`])
      const { view, reads } = countingArray(headers.flat())
      // a server that keeps every header (maxHeadersCount 0) and a limit above the count
      const unlimited = { method: 'GET', rawHeaders: view, socket: { server: { maxHeadersCount: 0 } } }
      expect(checkRequest(unlimited, '/', { maxHeaderCount: 100_000 })).toBeUndefined()
      return reads()
    }
    const small = readsFor(5_000)
    const large = readsFor(20_000)
    expect(small).toBeGreaterThan(0)
    expect(large / small).toBeLessThan(5)
  })
})
