import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { InvalidOptionError } from '../errors.js'
import { clientAddress, clientAddressInto } from './client-address.js'
import { resolveTrustProxy, TRUST_NONE } from './trust-proxy.js'
import { timeGrowth } from '../../test/support/complexity.js'
import type { TrustProxyOption } from './trust-proxy.js'

function req(peer: string | undefined, xff?: string | string[]): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } } as unknown as IncomingMessage
}

describe('resolveTrustProxy', () => {
  it('accepts booleans, lists, comma strings and presets', () => {
    expect(resolveTrustProxy(undefined)).toBe(TRUST_NONE)
    expect(resolveTrustProxy(false).enabled).toBe(false)
    expect(resolveTrustProxy(true).trusts('anything')).toBe(true)
    const t = resolveTrustProxy('loopback, 10.0.0.0/8')
    expect(t.trusts('127.0.0.5')).toBe(true)
    expect(t.trusts('::1')).toBe(true)
    expect(t.trusts('::ffff:127.0.0.1')).toBe(true)
    expect(t.trusts('10.2.3.4')).toBe(true)
    expect(t.trusts('192.168.0.1')).toBe(false)
    expect(t.trusts('not-an-ip')).toBe(false)
    const u = resolveTrustProxy(['uniquelocal', 'linklocal', '2001:db8::/32'])
    expect(u.trusts('fd12::1')).toBe(true)
    expect(u.trusts('169.254.1.1')).toBe(true)
    expect(u.trusts('2001:db8::5')).toBe(true)
    expect(u.trusts('2001:db9::5')).toBe(false)
    expect(resolveTrustProxy([]).enabled).toBe(false)
  })

  it.each<[unknown]>([['10.0.0.300/8'], [['ok', 'loopback']], [[42]], [{}], ['10.0.0.0/33'], ['localhost']])('rejects %j, naming trustProxy', (option) => {
    expect(() => resolveTrustProxy(option as TrustProxyOption)).toThrow(InvalidOptionError)
    expect(() => resolveTrustProxy(option as TrustProxyOption)).toThrow(/^trustProxy/)
  })
})

describe('clientAddress', () => {
  const trust = resolveTrustProxy(['10.0.0.0/8', '2001:db8::/32'])

  it.each<[string, string | undefined, string | string[] | undefined, TrustProxyOption, string | undefined]>([
    ['socket peer by default', '203.0.113.9', '1.1.1.1', false, '203.0.113.9'],
    ['IPv4-mapped peer shown as IPv4', '::ffff:203.0.113.9', undefined, false, '203.0.113.9'],
    ['untrusted peer: header ignored', '203.0.113.9', '1.1.1.1', ['10.0.0.0/8'], '203.0.113.9'],
    ['trusted peer, one hop', '10.0.0.2', '198.51.100.4', ['10.0.0.0/8'], '198.51.100.4'],
    ['trusted mapped peer', '::ffff:10.0.0.2', '198.51.100.4', ['10.0.0.0/8'], '198.51.100.4'],
    ['walk from the right, skipping trusted hops', '10.0.0.2', '203.0.113.9, 198.51.100.4, 10.0.0.7', ['10.0.0.0/8'], '198.51.100.4'],
    ['spoofed left entries are not believed', '10.0.0.2', '6.6.6.6, 198.51.100.4', ['10.0.0.0/8'], '198.51.100.4'],
    ['all trusted: left-most', '10.0.0.2', '10.1.1.1, 10.0.0.7', ['10.0.0.0/8'], '10.1.1.1'],
    ['trust everything: left-most', '10.0.0.2', '203.0.113.9, 198.51.100.4', true, '203.0.113.9'],
    ['trusted peer without header', '10.0.0.2', undefined, ['10.0.0.0/8'], '10.0.0.2'],
    ['garbage entry stops at the last verified hop', '10.0.0.2', '1.1.1.1, garbage, 10.0.0.7', ['10.0.0.0/8'], '10.0.0.7'],
    ['garbage right after the peer', '10.0.0.2', 'unknown', ['10.0.0.0/8'], '10.0.0.2'],
    ['ports are dropped', '10.0.0.2', '198.51.100.4:5678', ['10.0.0.0/8'], '198.51.100.4'],
    ['bracketed IPv6 with port', '10.0.0.2', '[2001:DB9::1]:443', ['10.0.0.0/8'], '2001:db9::1'],
    ['IPv6 proxies', '2001:db8::2', '2001:db9::1, 2001:db8::3', ['2001:db8::/32'], '2001:db9::1'],
    ['empty entries skipped', '10.0.0.2', ' , 198.51.100.4, ,', ['10.0.0.0/8'], '198.51.100.4'],
    ['several header lines: last line is nearest', '10.0.0.2', ['203.0.113.9', '198.51.100.4, 10.0.0.9'], ['10.0.0.0/8'], '198.51.100.4'],
    ['no socket address', undefined, '1.1.1.1', true, undefined],
    ['leading comma', '10.0.0.2', ',198.51.100.4', ['10.0.0.0/8'], '198.51.100.4'],
  ])('%s', (_name, peer, xff, option, expected) => {
    expect(clientAddress(req(peer, xff), resolveTrustProxy(option))).toBe(expected)
  })

  it('is linear on a long forwarded chain', () => {
    // 4× the hops must cost about 4× (8 allows for noise; a quadratic scan costs 16×)
    const chainOf = (hops: number) => Array.from({ length: hops }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`).join(', ')
    expect(clientAddress(req('10.0.0.2', `198.51.100.4, ${chainOf(5_000)}`), trust)).toBe('198.51.100.4')
    const growth = timeGrowth((hops) => {
      const r = req('10.0.0.2', `198.51.100.4, ${chainOf(hops)}`)
      return () => clientAddress(r, trust)
    }, 2_000)
    expect(growth).toBeLessThan(8)
  })

  it('writes the bytes without building a string', () => {
    const out = new Uint8Array(16)
    expect(clientAddressInto(req('10.0.0.2', '198.51.100.4'), trust, out)).toBe(4)
    expect([...out.subarray(12)]).toEqual([198, 51, 100, 4])
    expect(clientAddressInto(req('10.0.0.2', '2001:db9::1'), trust, out)).toBe(6)
    expect(clientAddressInto(req(undefined), trust, out)).toBe(0)
  })
})
