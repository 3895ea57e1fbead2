import { describe, expect, it } from 'vitest'
import { isIP } from 'node:net'
import { formatIp, normalizeIp, parseIp, parseIpInto } from './ip-address.js'

describe('parseIpInto', () => {
  it.each<[string, 0 | 4 | 6, string?]>([
    ['1.2.3.4', 4, '1.2.3.4'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['256.1.1.1', 0],
    ['1.2.3', 0],
    ['1.2.3.4.5', 0],
    ['01.2.3.4', 0],
    ['1.2.3.4 ', 0],
    ['', 0],
    ['::', 6, '::'],
    ['::1', 6, '::1'],
    ['1::', 6, '1::'],
    ['2001:DB8:0:0:0:0:0:1', 6, '2001:db8::1'],
    ['2001:db8::1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 6, 'fe80::1'],
    ['::ffff:192.0.2.7', 4, '192.0.2.7'],
    ['::FFFF:c000:0207', 4, '192.0.2.7'],
    ['::192.0.2.7', 6, '::c000:207'],
    ['1:2:3:4:5:6:7:8', 6, '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7::', 6, '1:2:3:4:5:6:7:0'],
    ['1:2:3:4:5:6:1.2.3.4', 6, '1:2:3:4:5:6:102:304'],
    ['1:2:3:4:5:6:7:8:9', 0],
    ['::1:2:3:4:5:6:7:8', 0],
    ['1::2::3', 0],
    [':1::', 0],
    ['1:', 0],
    [':::', 0],
    ['12345::', 0],
    ['g::', 0],
    ['fe80::1%', 0],
    ['1.2.3.4:80', 0],
  ])('%s', (text, family, canonical) => {
    const buf = new Uint8Array(16)
    expect(parseIpInto(text, buf)).toBe(family)
    if (canonical !== undefined) expect(normalizeIp(text)).toBe(canonical)
    // agrees with node:net on validity (node accepts the zone id too)
    if (!text.includes('%') && !text.startsWith('01.')) expect(isIP(text) !== 0).toBe(family !== 0)
  })

  it('keeps IPv4 as IPv4-mapped bytes', () => {
    expect([...(parseIp('10.1.2.3')?.bytes ?? [])]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 1, 2, 3])
  })

  it('formats the longest zero run, the first one on ties, never a single group', () => {
    const b = parseIp('1:0:0:2:0:0:0:3')!
    expect(formatIp(b.bytes, 6)).toBe('1:0:0:2::3')
    expect(normalizeIp('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4')
    expect(normalizeIp('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7')
  })
})
