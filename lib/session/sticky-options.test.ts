import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import { resolveStickyOptions, STICKY_DEFAULTS } from './sticky-options.js'
import type { StickyOptions } from './sticky-options.js'

describe('resolveStickyOptions', () => {
  it('fills in the mod_jk defaults', () => {
    expect(resolveStickyOptions()).toBe(STICKY_DEFAULTS)
    expect(resolveStickyOptions({})).toEqual({
      cookies: ['JSESSIONID'],
      pathParam: 'jsessionid',
      queryParam: false,
      separator: '.',
      routeOf: undefined,
      force: false,
      cookieCaseSensitive: true,
      balancerCookie: false,
    })
  })

  it('reads the balancer cookie after the session cookies', () => {
    const r = resolveStickyOptions({ cookie: 'JSESSIONID', balancerCookie: { name: 'LB' } })
    expect(r.cookies).toEqual(['JSESSIONID', 'LB'])
    expect(r.balancerCookie).toMatchObject({ name: 'LB', path: '/' })
    expect(resolveStickyOptions({ cookie: ['ROUTEID'], balancerCookie: true }).cookies).toEqual(['ROUTEID'])
  })

  it('accepts lists, mod_jk spellings and false', () => {
    const r = resolveStickyOptions({ cookie: ['JSESSIONID', 'ROUTEID', 'JSESSIONID'], pathParam: ';jsessionid', queryParam: 'sid', separator: false, force: true })
    expect(r.cookies).toEqual(['JSESSIONID', 'ROUTEID'])
    expect(r.pathParam).toBe('jsessionid')
    expect(r.queryParam).toBe('sid')
    expect(r.separator).toBe(false)
    expect(r.force).toBe(true)
    expect(resolveStickyOptions({ pathParam: false }).pathParam).toBe(false)
  })

  it.each<[StickyOptions, RegExp]>([
    [{ separator: '..' }, /^sticky\.separator must be a single character/],
    [{ separator: '' }, /^sticky\.separator/],
    [{ separator: ';' }, /^sticky\.separator/],
    [{ separator: true as unknown as string }, /^sticky\.separator/],
    [{ cookie: '' }, /^sticky\.cookie/],
    [{ cookie: 'JSESSION ID' }, /^sticky\.cookie/],
    [{ cookie: [] }, /^sticky\.cookie/],
    [{ cookie: 42 as unknown as string }, /^sticky\.cookie/],
    [{ pathParam: 'a=b' }, /^sticky\.pathParam/],
    [{ pathParam: '' }, /^sticky\.pathParam/],
    [{ queryParam: 'a&b' }, /^sticky\.queryParam/],
    [{ queryParam: true as unknown as string }, /^sticky\.queryParam/],
    [{ routeOf: 'x' as unknown as () => string }, /^sticky\.routeOf/],
    [{ force: 1 as unknown as boolean }, /^sticky\.force/],
    [{ cookieCaseSensitive: 'no' as unknown as boolean }, /^sticky\.cookieCaseSensitive/],
    [{ stickysession: 'JSESSIONID' } as unknown as StickyOptions, /^sticky\.stickysession is not a known option \(known: cookie, /],
  ])('rejects %j', (options, message) => {
    expect(() => resolveStickyOptions(options)).toThrow(InvalidOptionError)
    expect(() => resolveStickyOptions(options)).toThrow(message)
  })
})
