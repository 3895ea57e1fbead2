import { describe, expect, it } from 'vitest'
import { ALLOWED_METHODS, checkRequest } from './request-guard.js'

function req(method: string, headers: Array<[string, string]> = [['Host', 'front']]) {
  return { method, rawHeaders: headers.flat() }
}

describe('checkRequest', () => {
  it('lets an ordinary request through', () => {
    expect(checkRequest(req('GET'), '/app/x?y=1')).toBeUndefined()
    expect(checkRequest(req('POST', [['Host', 'a'], ['Content-Length', '4']]), '/')).toBeUndefined()
    expect(checkRequest(req('POST', [['Host', 'a'], ['Transfer-Encoding', 'chunked']]), '/')).toBeUndefined()
    expect(checkRequest(req('GET', []), '/')).toBeUndefined() // HTTP/1.0 without Host
  })

  it('refuses TRACE with 405 and Allow, unless allowed', () => {
    expect(checkRequest(req('TRACE'), '/')).toEqual({ status: 405, reason: 'TRACE is not allowed', headers: { allow: ALLOWED_METHODS } })
    expect(ALLOWED_METHODS).not.toContain('TRACE')
    expect(checkRequest(req('TRACE'), '/', { allowTrace: true })).toBeUndefined()
  })

  it.each(['http://evil.example/x', 'https://a/b', '*', 'evil.example:443', '', 'x/y'])('refuses the non-origin-form target %j', (target) => {
    expect(checkRequest(req('GET'), target)?.status).toBe(400)
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
  ])('refuses %s with 400', (_name, headers) => {
    expect(checkRequest(req('POST', headers), '/')?.status).toBe(400)
  })

  it('refuses CR/LF/NUL in the target', () => {
    expect(checkRequest(req('GET'), '/a\r\nX: y')?.status).toBe(400)
  })

  it('does bounded work on a huge header list', () => {
    const headers: Array<[string, string]> = [['Host', 'a']]
    for (let i = 0; i < 20_000; i++) headers.push(['Cookie', `JSESSIONID=${i}.A`])
    const started = performance.now()
    expect(checkRequest(req('GET', headers), '/')).toBeUndefined()
    expect(performance.now() - started).toBeLessThan(200)
  })
})
