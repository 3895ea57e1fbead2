import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { Member } from '../members/member.js'
import { InvalidOptionError } from '../errors.js'
import { createIpHash, ipHashIndex } from './ip-hash.js'
import { runSchedulerSuite } from './conformance.suite.js'

runSchedulerSuite({
  name: 'ip_hash',
  create: () => createIpHash(),
  // many client networks, so every member gets some
  request: (i) => ({ socket: { remoteAddress: `10.${(i * 7) % 256}.${(i * 13) % 256}.1` }, headers: {} }) as unknown as IncomingMessage,
  weighted: false,
})

/**
 * Golden picks, one letter per address below, computed by nginx's algorithm
 * (ngx_http_upstream_ip_hash_module.c) and checked against nginx 1.22.1 by ip-hash.nginx.test.ts.
 */
const IP_HASH_ADDRESSES = [
  '192.0.2.7',
  '192.0.2.200',
  '198.51.100.4',
  '203.0.113.9',
  '10.0.0.1',
  '10.0.1.1',
  '172.16.5.4',
  '8.8.8.8',
  '1.1.1.1',
  '2001:db8::1',
  '2001:db8::2',
  '::1',
  'fe80::1234:5678',
]
const IP_HASH_GOLDEN: readonly { weights: number[]; down: number[]; picks: string }[] = [
  { weights: [1, 1, 1], down: [], picks: 'AAAAABBCACACA' },
  { weights: [1, 2, 1], down: [], picks: 'CCAABBBCAABBC' },
  { weights: [1, 2, 1], down: [1], picks: 'CCAACAACAAAAC' },
  { weights: [3, 1], down: [], picks: 'BBAAAAABAAAAB' },
  { weights: [1, 1, 1, 1, 1], down: [0, 2], picks: 'EEBDDBBDBDBBB' },
]

function members(weights: number[]): Member[] {
  return weights.map((weight, i) => new Member({ url: new URL(`http://127.0.0.1:${8081 + i}`), route: 'ABCDE'[i], weight, admin: 'active' }))
}
function req(address: string, xff?: string): IncomingMessage {
  return { socket: { remoteAddress: address }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } } as unknown as IncomingMessage
}

describe('ipHashIndex (pure nginx algorithm)', () => {
  it.each(IP_HASH_GOLDEN)('weights $weights, down $down', ({ weights, down, picks }) => {
    const got = IP_HASH_ADDRESSES.map((a) => 'ABCDE'[ipHashIndex(a, weights, (i) => !down.includes(i))] ?? '-').join('')
    expect(got).toBe(picks)
  })

  it('hashes only the first three IPv4 octets, and mapped IPv4 as IPv4', () => {
    const w = [1, 1, 1, 1, 1, 1, 1]
    const all = () => true
    for (let last = 0; last < 256; last += 17) {
      expect(ipHashIndex(`198.51.100.${last}`, w, all)).toBe(ipHashIndex('198.51.100.0', w, all))
      expect(ipHashIndex(`::ffff:198.51.100.${last}`, w, all)).toBe(ipHashIndex('198.51.100.0', w, all))
    }
  })

  it('falls back after 21 hashes that all miss, and with fewer than two members', () => {
    let calls = 0
    expect(ipHashIndex('192.0.2.7', [1, 1], () => (calls++, false))).toBe(-1)
    expect(calls).toBe(21)
    expect(ipHashIndex('192.0.2.7', [1], () => true)).toBe(-1)
    expect(ipHashIndex('192.0.2.7', [0, 0], () => true)).toBe(-1)
  })

  it('spreads /24 networks roughly by weight', () => {
    const counts = [0, 0, 0]
    for (let a = 0; a < 40; a++) for (let b = 0; b < 100; b++) counts[ipHashIndex(`10.${a}.${b}.1`, [1, 2, 1], () => true)]! += 1
    expect(counts[1]! / 4000).toBeGreaterThan(0.42)
    expect(counts[1]! / 4000).toBeLessThan(0.58)
    expect(counts[0]! / 4000).toBeGreaterThan(0.2)
    expect(counts[2]! / 4000).toBeGreaterThan(0.2)
  })
})

describe('createIpHash', () => {
  it.each(IP_HASH_GOLDEN)('picks like nginx: weights $weights, down $down', ({ weights, down, picks }) => {
    const all = members(weights)
    const candidates = all.filter((_, i) => !down.includes(i))
    const scheduler = createIpHash()
    expect(IP_HASH_ADDRESSES.map((a) => scheduler.pick(candidates, { req: req(a) }, all)?.route).join('')).toBe(picks)
  })

  it('reads X-Forwarded-For only from trusted proxies', () => {
    const all = members([1, 1, 1])
    const trusting = createIpHash({ trustProxy: ['127.0.0.1'] })
    const plain = createIpHash()
    // 192.0.2.7 → A, 10.0.1.1 → B (golden row 1)
    expect(trusting.pick(all, { req: req('127.0.0.1', '10.0.1.1') }, all)?.route).toBe('B')
    expect(trusting.pick(all, { req: req('192.0.2.7', '10.0.1.1') }, all)?.route).toBe('A')
    expect(plain.pick(all, { req: req('::ffff:10.0.1.1', '192.0.2.7') }, all)?.route).toBe('B')
  })

  it('falls back to weighted round robin when nothing hashes to a candidate', () => {
    const all = members([1, 1, 1])
    const onlyC = [all[2]!]
    const scheduler = createIpHash()
    // 192.0.2.7 hashes to A first; C is reached by a re-hash or by the fallback, never anything else
    expect(scheduler.pick(onlyC, { req: req('192.0.2.7') }, all)).toBe(all[2])
    expect(scheduler.pick([], { req: req('192.0.2.7') }, all)).toBeUndefined()
    // a single member: round robin over it
    expect(scheduler.pick([all[0]!], {}, [all[0]!])).toBe(all[0])
  })

  it('hashes requests without an address as nginx hashes a unix socket (3 zero bytes)', () => {
    const all = members([1, 1, 1])
    const scheduler = createIpHash()
    const expected = 'ABC'[ipHashIndex('0.0.0.9', [1, 1, 1], () => true)]
    expect(scheduler.pick(all, {}, all)?.route).toBe(expected)
    expect(scheduler.pick(all, { req: req(undefined as unknown as string) }, all)?.route).toBe(expected)
  })

  it('validates trustProxy at construction', () => {
    expect(() => createIpHash({ trustProxy: ['nope'] })).toThrow(InvalidOptionError)
  })
})
