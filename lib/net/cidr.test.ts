import { describe, expect, it } from 'vitest'
import { cidrContains, parseCidr } from './cidr.js'
import { parseIp } from './ip-address.js'

const contains = (cidr: string, address: string): boolean => cidrContains(parseCidr(cidr)!, parseIp(address)!.bytes)

describe('parseCidr / cidrContains', () => {
  it.each<[string, string, boolean]>([
    ['10.0.0.0/8', '10.255.1.2', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['192.168.1.7/32', '192.168.1.7', true],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['10.1.2.3/8', '10.9.9.9', true],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['::1', '::1', true],
    ['::1/128', '::2', false],
    ['::ffff:0:0/96', '1.2.3.4', true],
    ['::ffff:10.0.0.0/104', '10.2.3.4', true],
    ['::/0', '1.2.3.4', true],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(contains(cidr, address)).toBe(expected)
  })

  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', '10.0.0/8', 'banana', '', '10.0.0.0/-1', '10.0.0.0/0008'])('rejects %j', (text) => {
    expect(parseCidr(text)).toBeUndefined()
  })

  it('gives prefix lengths in IPv6 bits', () => {
    expect(parseCidr('10.0.0.0/8')?.bits).toBe(104)
    expect(parseCidr(' 2001:db8::/32 ')?.bits).toBe(32)
    expect(parseCidr('::1')?.bits).toBe(128)
  })
})
