/**
 * Property tests of the session-route parser (fast-check). In the suite they run a moderate,
 * seeded number of cases; `npm run fuzz` (FUZZ_RUNS=100000, a fresh seed each time unless
 * FUZZ_SEED is set) runs them long.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_SESSION_ROUTES, parseSessionRoutes, splitSessionId } from './session-route.js'
import type { SessionRoute } from './session-route.js'
import { resolveStickyOptions } from './sticky-options.js'
import type { ResolvedStickyOptions, StickyOptions } from './sticky-options.js'

import { timeGrowth } from '../../test/support/complexity.js'
const LONG_RUNS = Number(process.env.FUZZ_RUNS ?? 0)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG_RUNS > 0 ? undefined : 8_675_309
/** fast-check parameters: `ciRuns` seeded cases in the suite, FUZZ_RUNS on demand. */
function params(ciRuns: number): fc.Parameters<unknown> {
  return { numRuns: LONG_RUNS > 0 ? LONG_RUNS : ciRuns, ...(SEED !== undefined ? { seed: SEED } : {}) }
}
const TIMEOUT = Math.max(20_000, LONG_RUNS * 5)

/** Characters the scanners treat specially, plus some that are merely odd. */
const SPECIAL = [';', ',', '=', '.', '!', ' ', '\t', '"', '?', '&', '#', '/', '%', '\0', '\u00ff', '\ud800', 'J', 'j', 'S', 'E', 'I', 'O', 'N', 'D', 's', 'e', 'i', 'o', 'n', 'd', 'R', 'U', 'T']
const hostileChar = fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }))
/** Strings made mostly of the characters that matter, glued with fragments of real names. */
const hostileText = fc
  .array(fc.oneof({ weight: 5, arbitrary: hostileChar }, { weight: 1, arbitrary: fc.constantFrom('JSESSIONID', 'jsessionid', 'JSESSIONID=', ';jsessionid=', 'ROUTEID', '.n1', 'a.b', '?jsessionid=') }), { maxLength: 120 })
  .map((parts) => parts.join(''))

const stickyOptions: fc.Arbitrary<StickyOptions> = fc.record(
  {
    cookie: fc.constantFrom<StickyOptions['cookie']>('JSESSIONID', ['JSESSIONID', 'ROUTEID'], 'jsessionid'),
    pathParam: fc.constantFrom<StickyOptions['pathParam']>('jsessionid', ';jsessionid', false),
    queryParam: fc.constantFrom<StickyOptions['queryParam']>(false, 'jsessionid'),
    separator: fc.constantFrom<StickyOptions['separator']>('.', '!', false),
    cookieCaseSensitive: fc.boolean(),
  },
  { requiredKeys: [] },
)

/** Route-ish tokens without any of the separators the parser uses. */
const token = fc.stringMatching(/^[A-Za-z0-9_\-~:]{1,12}$/)

function sourceText(route: SessionRoute, url: string, cookies: string | string[] | undefined): string[] {
  if (route.source === 'path' || route.source === 'query') return [url]
  return cookies === undefined ? [] : typeof cookies === 'string' ? [cookies] : cookies
}

describe('parseSessionRoutes (properties)', () => {
  it('never throws, and every route is non-empty, distinct, at most MAX_SESSION_ROUTES and cut at the first separator', () => {
    fc.assert(
      fc.property(hostileText, fc.oneof(hostileText, fc.array(hostileText, { maxLength: 4 }), fc.constant(undefined)), stickyOptions, (url, cookies, options) => {
        const sticky = resolveStickyOptions(options)
        const routes = parseSessionRoutes({ url, cookieHeader: cookies }, sticky)
        expect(routes.length).toBeLessThanOrEqual(MAX_SESSION_ROUTES)
        expect(new Set(routes.map((r) => r.route)).size).toBe(routes.length)
        for (const r of routes) {
          expect(r.route.length).toBeGreaterThan(0)
          const separator = sticky.separator
          if (separator === false) {
            expect(r.sessionId).toBe('')
            expect(sourceText(r, url, cookies).some((text) => text.includes(r.route))).toBe(true)
          } else {
            const value = `${r.sessionId}${separator}${r.route}`
            // the route is the text after the FIRST separator of a value found in the input
            expect(r.sessionId.includes(separator)).toBe(false)
            expect(splitSessionId(value, separator)).toEqual({ sessionId: r.sessionId, route: r.route })
            expect(sourceText(r, url, cookies).some((text) => text.includes(value))).toBe(true)
          }
        }
      }),
      params(2_000),
    )
  }, TIMEOUT)

  it('finds every JSESSIONID cookie in header order, all of the first name before the second (mod_jk)', () => {
    const pair = fc.record({ name: fc.constantFrom('JSESSIONID', 'ROUTEID', 'other'), id: token, route: token, glue: fc.constantFrom('; ', ';', ', ', ',', ';\t') })
    fc.assert(
      fc.property(fc.array(pair, { minLength: 1, maxLength: 10 }), (pairs) => {
        const sticky = resolveStickyOptions({ cookie: ['JSESSIONID', 'ROUTEID'] })
        const header = pairs.map((p, i) => `${i > 0 ? p.glue : ''}${p.name}=${p.id}.${p.route}`).join('')
        const expected: string[] = []
        for (const name of ['JSESSIONID', 'ROUTEID']) {
          for (const p of pairs) if (p.name === name && !expected.includes(p.route) && expected.length < MAX_SESSION_ROUTES) expected.push(p.route)
        }
        expect(parseSessionRoutes({ url: '/', cookieHeader: header }, sticky).map((r) => r.route)).toEqual(expected)
      }),
      params(1_000),
    )
  }, TIMEOUT)

  it('puts the ;jsessionid= path parameter before the query parameter, and both before the cookie', () => {
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 0, maxLength: 3 }),
        fc.record({ id: token, route: token }),
        fc.record({ id: token, route: token }),
        fc.record({ id: token, route: token }),
        (segments, path, query, cookie) => {
          fc.pre(new Set([path.route, query.route, cookie.route]).size === 3)
          const sticky = resolveStickyOptions({ queryParam: 'jsessionid' })
          const url = `/${segments.join('/')};jsessionid=${path.id}.${path.route}?a=1&jsessionid=${query.id}.${query.route}`
          const routes = parseSessionRoutes({ url, cookieHeader: `JSESSIONID=${cookie.id}.${cookie.route}` }, sticky)
          expect(routes.map((r) => [r.source, r.sessionId, r.route])).toEqual([
            ['path', path.id, path.route],
            ['query', query.id, query.route],
            ['cookie', cookie.id, cookie.route],
          ])
        },
      ),
      params(1_000),
    )
  }, TIMEOUT)

  it('never looks for the path parameter in the query, nor for the query parameter in the path', () => {
    fc.assert(
      fc.property(token, token, (id, route) => {
        const sticky = resolveStickyOptions({ queryParam: 'sid' })
        expect(parseSessionRoutes({ url: `/a?x=;jsessionid=${id}.${route}`, cookieHeader: undefined }, sticky)).toEqual([])
        expect(parseSessionRoutes({ url: `/a/sid=${id}.${route}/b`, cookieHeader: undefined }, sticky)).toEqual([])
      }),
      params(300),
    )
  }, TIMEOUT)

  it('does linear work on 1 MiB of adversarial input (separators, half names, empty values)', () => {
    const MiB = 1024 * 1024
    const separators = [';', ',', ' ', '=', '.', '"', ';jsessionid=', ';jsessionid', 'JSESSIONID', 'JSESSIONID ', ' JSESSIONI', 'JSESSIONID=;', 'JSESSIONID=.', '&', '?jsessionid=', '/;jsessionid=a.']
    const unit = fc.oneof(fc.constantFrom(...separators), fc.array(hostileChar, { minLength: 1, maxLength: 8 }).map((c) => c.join('')))
    const sticky: ResolvedStickyOptions = resolveStickyOptions({ cookie: ['JSESSIONID', 'ROUTEID'], queryParam: 'jsessionid' })
    const inputOf = (u: string, size: number) => u.repeat(Math.ceil(size / u.length)).slice(0, size)
    // the inputs are built (and flattened) once, outside any measured call
    const parserOf = (text: string) => {
      const a = { url: `/${text}`, cookieHeader: text }
      const b = { url: `/a?${text}`, cookieHeader: [text, text] }
      a.url.charCodeAt(a.url.length - 1)
      b.url.charCodeAt(b.url.length - 1)
      return () => {
        parseSessionRoutes(a, sticky)
        parseSessionRoutes(b, sticky)
      }
    }
    // 1 MiB of any such input parses (a quadratic scan of it would take minutes; linear takes
    // milliseconds, so the bound is only a generous stop)
    fc.assert(
      fc.property(unit, (u) => {
        const parse = parserOf(inputOf(u, MiB))
        const started = performance.now()
        parse()
        expect(performance.now() - started).toBeLessThan(10_000)
      }),
      { ...params(25), numRuns: LONG_RUNS > 0 ? Math.min(LONG_RUNS, 500) : 25 },
    )
    // and 16× the input (64 KiB → 1 MiB) costs about 16× the time (64 allows for noise and GC; a
    // quadratic scan costs 256×), measured as a ratio, not against a budget
    for (const u of [';', ',', ';jsessionid=', 'JSESSIONID=;', 'JSESSIONID=.', '?jsessionid=']) {
      const growth = timeGrowth((size) => parserOf(inputOf(u, size)), 64 * 1024, 16, 5)
      expect(growth, `input unit ${JSON.stringify(u)}`).toBeLessThan(64)
    }
  }, TIMEOUT * 2)
})

describe('splitSessionId (properties)', () => {
  it('cuts at the first separator; the session id never holds one', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('.', '!', '~'), (value, separator) => {
        const split = splitSessionId(value, separator)
        const at = value.indexOf(separator)
        if (at < 0 || at === value.length - 1) expect(split).toBeUndefined()
        else expect(split).toEqual({ sessionId: value.slice(0, at), route: value.slice(at + 1) })
      }),
      params(2_000),
    )
  }, TIMEOUT)
})
