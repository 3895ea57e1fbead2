import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import { balancerCookieHeader, opaqueRoute, resolveBalancerCookie } from './balancer-cookie.js'
import type { BalancerCookieOptions } from './balancer-cookie.js'

describe('resolveBalancerCookie', () => {
  it('is off unless asked for; true gives the defaults', () => {
    expect(resolveBalancerCookie(undefined)).toBe(false)
    expect(resolveBalancerCookie(false)).toBe(false)
    expect(resolveBalancerCookie(true)).toEqual({ name: 'ROUTEID', path: '/', httpOnly: true, secure: 'auto', sameSite: 'Lax', maxAgeMs: undefined })
  })

  it.each<[unknown, string]>([
    [{ name: 'bad name' }, 'sticky.balancerCookie.name'],
    [{ name: '' }, 'sticky.balancerCookie.name'],
    [{ path: 'relative' }, 'sticky.balancerCookie.path'],
    [{ path: '/a;b' }, 'sticky.balancerCookie.path'],
    [{ httpOnly: 'yes' }, 'sticky.balancerCookie.httpOnly'],
    [{ secure: 'sometimes' }, 'sticky.balancerCookie.secure'],
    [{ sameSite: 'lax' }, 'sticky.balancerCookie.sameSite'],
    [{ maxAgeMs: -1 }, 'sticky.balancerCookie.maxAgeMs must be an integer from 0 to'],
    [{ maxAgeMs: 1.5 }, 'sticky.balancerCookie.maxAgeMs must be an integer from 0 to'],
    [{ maxAge: 3600 }, 'sticky.balancerCookie.maxAge was renamed maxAgeMs (milliseconds): use maxAgeMs: 3600000'],
    [{ domain: 'x' }, 'sticky.balancerCookie.domain is not a known option (known: name, path, httpOnly, secure, sameSite, maxAgeMs)'],
  ])('rejects %j naming the option', (option, name) => {
    expect(() => resolveBalancerCookie(option as BalancerCookieOptions)).toThrow(InvalidOptionError)
    expect(() => resolveBalancerCookie(option as BalancerCookieOptions)).toThrow(name)
  })
})

describe('balancerCookieHeader', () => {
  const defaults = resolveBalancerCookie(true)
  if (defaults === false) throw new Error('unreachable')

  it('writes the route behind the separator, with the attributes', () => {
    expect(balancerCookieHeader(defaults, 'TomcatA', '.', false)).toBe('ROUTEID=.TomcatA; Path=/; HttpOnly; SameSite=Lax')
    expect(balancerCookieHeader(defaults, 'TomcatA', '.', true)).toBe('ROUTEID=.TomcatA; Path=/; HttpOnly; Secure; SameSite=Lax')
    expect(balancerCookieHeader(defaults, 'n1', '!', false)).toBe('ROUTEID=!n1; Path=/; HttpOnly; SameSite=Lax')
    expect(balancerCookieHeader(defaults, 'n1', false, false)).toBe('ROUTEID=n1; Path=/; HttpOnly; SameSite=Lax')
  })

  it('honours every option; SameSite=None always carries Secure', () => {
    const custom = resolveBalancerCookie({ name: 'LB', path: '/app', httpOnly: false, secure: false, sameSite: 'None', maxAgeMs: 3_600_000 })
    if (custom === false) throw new Error('unreachable')
    expect(balancerCookieHeader(custom, 'B', '.', false)).toBe('LB=.B; Max-Age=3600; Path=/app; Secure; SameSite=None')
  })
})

describe('opaqueRoute', () => {
  it('is stable, differs per URL and shows no address', () => {
    const a = opaqueRoute(new URL('http://10.1.2.3:8080'))
    expect(a).toBe(opaqueRoute(new URL('http://10.1.2.3:8080')))
    expect(a).not.toBe(opaqueRoute(new URL('http://10.1.2.3:8081')))
    expect(a).toMatch(/^m[0-9a-f]{10}$/)
  })
})
