import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { parseSessionRoute, parseSessionRoutes, splitSessionId, MAX_SESSION_ROUTES } from './session-route.js'
import type { StickyOptions } from './sticky-options.js'
import { resolveStickyOptions } from './sticky-options.js'

type Case = [name: string, url: string, cookie: string | string[] | undefined, expected: string[], options?: StickyOptions]

/** Expected entries are `source:sessionId.route`, in order. */
const CASES: Case[] = [
  // the first-separator rule
  ['plain Tomcat id', '/', 'JSESSIONID=8F3A06C2.TomcatA', ['cookie:8F3A06C2.TomcatA']],
  ['route after the FIRST dot (mod_jk and mod_proxy)', '/', 'JSESSIONID=ABC.node1.dc1', ['cookie:ABC.node1.dc1']],
  ['no separator: no route', '/', 'JSESSIONID=ABCDEF', []],
  ['separator at the end: empty route', '/', 'JSESSIONID=ABC.', []],
  ['route only (mod_jk set_session_cookie / ROUTEID=.n1 form)', '/', 'JSESSIONID=.n1', ['cookie:.n1']],
  ['only a dot', '/', 'JSESSIONID=.', []],
  ['custom separator !', '/', 'JSESSIONID=ABC!n1.x', ['cookie:ABC!n1.x'], { separator: '!' }],
  ['custom separator: dot is then part of the id', '/', 'JSESSIONID=A.B!n1', ['cookie:A.B!n1'], { separator: '!' }],
  ['separator off: whole value is the route', '/', 'ROUTEID=n2', ['cookie:.n2'], { cookie: 'ROUTEID', separator: false }],
  // cookies
  ['other cookies around', '/', 'a=1; JSESSIONID=X.n1; b=2', ['cookie:X.n1']],
  ['no space after ;', '/', 'a=1;JSESSIONID=X.n1', ['cookie:X.n1']],
  ['comma separates too', '/', 'a=1,JSESSIONID=X.n1', ['cookie:X.n1']],
  ['value ends at a comma', '/', 'JSESSIONID=X.n1,b=2', ['cookie:X.n1']],
  ['tab before the name', '/', 'a=1;\tJSESSIONID=X.n1', ['cookie:X.n1']],
  ['whitespace before =', '/', 'JSESSIONID =X.n1', ['cookie:X.n1']],
  ['whitespace around the value is trimmed', '/', 'JSESSIONID= X.n1 ; a=1', ['cookie:X.n1']],
  ['name must follow a boundary: suffix match ignored', '/', 'XJSESSIONID=X.n1', []],
  ['name inside another value after a space counts (mod_jk)', '/', 'a=b JSESSIONID=X.n1', ['cookie:X.n1']],
  ['name as a prefix of a longer name ignored', '/', 'JSESSIONIDX=X.n1', []],
  ['name without =', '/', 'JSESSIONID; a=1', []],
  ['several cookies tried in order (mod_jk)', '/', 'JSESSIONID=a.n1; JSESSIONID=b.n2', ['cookie:a.n1', 'cookie:b.n2']],
  ['duplicate routes kept once', '/', 'JSESSIONID=a.n1; JSESSIONID=b.n1; JSESSIONID=c.n2', ['cookie:a.n1', 'cookie:c.n2']],
  ['several Cookie header lines', '/', ['a=1', 'JSESSIONID=a.n1', 'JSESSIONID=b.n2'], ['cookie:a.n1', 'cookie:b.n2']],
  ['quoted value', '/', 'JSESSIONID="X.n1"', ['cookie:X.n1']],
  ['quoted value followed by more cookies', '/', 'JSESSIONID="X.n1"; a=1', ['cookie:X.n1']],
  ['lone quote is not stripped', '/', 'JSESSIONID="', []],
  ['half-quoted value keeps its quote', '/', 'JSESSIONID="X.n1', ['cookie:"X.n1']],
  ['empty value skipped, next one used', '/', 'JSESSIONID=; JSESSIONID=b.n2', ['cookie:b.n2']],
  ['empty quoted value', '/', 'JSESSIONID=""', []],
  ['case of the cookie name matters by default (mod_proxy, RFC 6265)', '/', 'jsessionid=X.n1', []],
  ['case-insensitive cookie names on request', '/', 'jsessionid=X.n1', ['cookie:X.n1'], { cookieCaseSensitive: false }],
  ['list of cookie names: first name first', '/', 'ROUTEID=.r9; JSESSIONID=X.n1', ['cookie:X.n1', 'cookie:.r9'], { cookie: ['JSESSIONID', 'ROUTEID'] }],
  ['garbage header', '/', ';;;,,,= = ==;JSESSIONID', []],
  ['binary-ish garbage glued to the name', '/', '\u0000\u00ff\ud800JSESSIONID=\u0001.\u0002', []],
  ['binary-ish garbage around the pair', '/', '\u0000\u00ff\ud800; JSESSIONID=\u0001.\u0002;\udfff', ['cookie:\u0001.\u0002']],
  ['empty header', '/', '', []],
  ['no header', '/', undefined, []],
  // path parameter
  ['path parameter', '/shop/cart;jsessionid=X.n1', undefined, ['path:X.n1']],
  ['path parameter value ends at ?', '/shop/cart;jsessionid=X.n1?a=b', undefined, ['path:X.n1']],
  ['path parameter value ends at ; (mod_jk; mod_proxy only with scolonpathdelim)', '/cart;jsessionid=X.n1;v=2', undefined, ['path:X.n1']],
  ['path parameter value ends at /', '/a;jsessionid=X.n1/b', undefined, ['path:X.n1']],
  ['path parameter beats the cookie; cookie follows', '/a;jsessionid=P.n1', 'JSESSIONID=C.n2', ['path:P.n1', 'cookie:C.n2']],
  ['path parameter and cookie with the same route', '/a;jsessionid=P.n1', 'JSESSIONID=C.n1', ['path:P.n1']],
  ['path parameter after other path parameters', '/a;v=1;jsessionid=X.n1', undefined, ['path:X.n1']],
  ['path parameter is searched in the path only (mod_jk)', '/a?x=;jsessionid=X.n1', undefined, []],
  ['path parameter name is case-sensitive', '/a;JSESSIONID=X.n1', undefined, []],
  ['path parameter needs its leading ;', '/a/jsessionid=X.n1', undefined, []],
  ['empty path parameter value', '/a;jsessionid=?b', 'JSESSIONID=C.n2', ['cookie:C.n2']],
  ['empty path parameter then a cookie (mod_jk would give up)', '/a;jsessionid=;x', 'JSESSIONID=C.n2', ['cookie:C.n2']],
  ['path parameter off', '/a;jsessionid=X.n1', undefined, [], { pathParam: false }],
  ['custom path parameter name (mod_jk ;-spelling)', '/a;sid=X.n1', undefined, ['path:X.n1'], { pathParam: ';sid' }],
  ['fragment ends the path', '/a#;jsessionid=X.n1', undefined, []],
  // query parameter
  ['query parameter is off by default', '/a?jsessionid=X.n1', undefined, []],
  ['query parameter on request', '/a?b=1&jsessionid=X.n1&c=2', undefined, ['query:X.n1'], { queryParam: 'jsessionid' }],
  ['query parameter after the path one, before the cookie', '/a;jsessionid=P.n1?jsessionid=Q.n2', 'JSESSIONID=C.n3', ['path:P.n1', 'query:Q.n2', 'cookie:C.n3'], { queryParam: 'jsessionid' }],
  ['query parameter must match the whole name', '/a?xjsessionid=X.n1', undefined, [], { queryParam: 'jsessionid' }],
  ['empty query parameter', '/a?jsessionid=&b=1', undefined, [], { queryParam: 'jsessionid' }],
]

function show(routes: ReturnType<typeof parseSessionRoutes>, separator: string): string[] {
  return routes.map((r) => `${r.source}:${r.sessionId}${separator}${r.route}`)
}

describe('parseSessionRoutes', () => {
  it.each(CASES)('%s', (_name, url, cookie, expected, options) => {
    const resolved = resolveStickyOptions(options)
    const sep = resolved.separator === false ? '.' : resolved.separator
    expect(show(parseSessionRoutes({ url, cookieHeader: cookie }, resolved), sep)).toEqual(expected)
  })

  it('has at least 40 table cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40)
  })

  it('asks the routeOf hook first, and falls back when it answers undefined', () => {
    const options = resolveStickyOptions({ routeOf: (req) => (req.headers['x-route'] as string | undefined) })
    const forced = { headers: { 'x-route': 'n9' } } as unknown as IncomingMessage
    const plain = { headers: {} } as unknown as IncomingMessage
    expect(parseSessionRoutes({ url: '/', cookieHeader: 'JSESSIONID=a.n1', req: forced }, options).map((r) => `${r.source}:${r.route}`)).toEqual([
      'custom:n9',
      'cookie:n1',
    ])
    expect(parseSessionRoutes({ url: '/', cookieHeader: 'JSESSIONID=a.n1', req: plain }, options).map((r) => r.route)).toEqual(['n1'])
  })

  it('returns at most MAX_SESSION_ROUTES distinct routes', () => {
    const header = Array.from({ length: 100 }, (_, i) => `JSESSIONID=x.n${i}`).join('; ')
    const routes = parseSessionRoutes({ url: '/', cookieHeader: header }, resolveStickyOptions())
    expect(routes).toHaveLength(MAX_SESSION_ROUTES)
    expect(routes[0]?.route).toBe('n0')
  })

  it('never throws on odd input types', () => {
    const options = resolveStickyOptions()
    expect(parseSessionRoutes({ url: undefined as unknown as string, cookieHeader: [undefined as unknown as string] }, options)).toEqual([])
  })
})

describe('parseSessionRoute', () => {
  it('gives the first route', () => {
    expect(parseSessionRoute({ url: '/', cookieHeader: 'JSESSIONID=8F3A.TomcatA; other=1' }, resolveStickyOptions())).toEqual({
      sessionId: '8F3A',
      route: 'TomcatA',
      source: 'cookie',
    })
    expect(parseSessionRoute({ url: '/' }, resolveStickyOptions())).toBeUndefined()
  })
})

describe('splitSessionId', () => {
  it('cuts at the first separator', () => {
    expect(splitSessionId('ABC.node1.dc1', '.')).toEqual({ sessionId: 'ABC', route: 'node1.dc1' })
    expect(splitSessionId('ABC', '.')).toBeUndefined()
    expect(splitSessionId('', false)).toBeUndefined()
  })
})

describe('linear time on hostile input', () => {
  const options = resolveStickyOptions({ queryParam: 'jsessionid', cookie: ['JSESSIONID', 'ROUTEID'] })

  function hostile(scale: number): { url: string; cookieHeader: string } {
    // near-misses of every kind: boundary + name prefix, names without '=', long runs of separators
    const pairs: string[] = []
    let size = 0
    let i = 0
    while (size < 16 * 1024 * scale) {
      const p = i % 4 === 0 ? `JSESSIONI${i}=v` : i % 4 === 1 ? 'JSESSIONID ' : i % 4 === 2 ? `k${i}=JSESSIONID` : ' ,;'
      pairs.push(p)
      size += p.length + 2
      i++
    }
    const url = '/' + ';jsessionid'.repeat(Math.floor((8 * 1024 * scale) / 11)) + '?' + 'jsessionid&'.repeat(100 * scale)
    return { url, cookieHeader: pairs.join('; ') }
  }

  function timePerParse(input: { url: string; cookieHeader: string }, runs: number): number {
    parseSessionRoutes(input, options)
    const start = process.hrtime.bigint()
    for (let r = 0; r < runs; r++) parseSessionRoutes(input, options)
    return Number(process.hrtime.bigint() - start) / 1e6 / runs
  }

  it('parses a 16 KiB Cookie header and an 8 KiB path in well under 50 ms', () => {
    const input = hostile(1)
    expect(input.cookieHeader.length).toBeGreaterThanOrEqual(16 * 1024)
    expect(input.cookieHeader.split(';').length).toBeGreaterThan(1000)
    expect(parseSessionRoutes(input, options)).toEqual([])
    expect(timePerParse(input, 20)).toBeLessThan(50)
  })

  it('scales roughly linearly from 1x to 8x input', () => {
    const small = hostile(1)
    const large = hostile(8)
    // best of several rounds, to damp scheduler noise on a shared machine
    let ratio = Infinity
    for (let round = 0; round < 5 && ratio > 12; round++) {
      ratio = Math.min(ratio, timePerParse(large, 10) / timePerParse(small, 80))
    }
    // linear would be 8; quadratic would be 64
    expect(ratio).toBeLessThan(20)
  })
})
