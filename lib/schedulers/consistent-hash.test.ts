import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import { InvalidOptionError } from '../errors.js'
import { Member } from '../members/member.js'
import { createConsistentHash, hashKey } from './consistent-hash.js'
import type { ConsistentHashOptions } from './consistent-hash.js'
import { runSchedulerSuite } from './conformance.suite.js'

runSchedulerSuite({
  name: 'consistent-hash',
  create: () => createConsistentHash({ key: 'header:x-user' }),
  request: (i) => ({ headers: { 'x-user': `user-${i % 500}` }, url: '/', socket: {} }) as unknown as IncomingMessage,
  weighted: false,
})
runSchedulerSuite({
  name: 'consistent-hash (bounded loads)',
  create: () => createConsistentHash({ key: 'header:x-user', balanceFactor: 1.25 }),
  request: (i) => ({ headers: { 'x-user': `user-${i % 500}` }, url: '/', socket: {} }) as unknown as IncomingMessage,
  weighted: false,
})

function member(name: string, weight = 1): Member {
  return new Member({ url: new URL(`http://${name}.example:8080`), route: name, weight, admin: 'active' })
}
function members(n: number): Member[] {
  return Array.from({ length: n }, (_, i) => member(`n${i + 1}`))
}
function req(headers: Record<string, string | string[]>, url = '/'): IncomingMessage {
  return { headers, url, socket: {} } as unknown as IncomingMessage
}
const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)

function assign(all: Member[], candidates: Member[] = all, scheduler = createConsistentHash({ key: 'header:x-user' })): Map<string, string | undefined> {
  return new Map(keys.map((k) => [k, scheduler.pick(candidates, { req: req({ 'x-user': k }) }, all)?.route]))
}

describe('hashKey', () => {
  it('is a stable unsigned 32-bit hash that spreads neighbours', () => {
    expect(hashKey('abc')).toBe(hashKey('abc'))
    expect(hashKey('abc')).toBeGreaterThanOrEqual(0)
    expect(hashKey('abc')).toBeLessThan(2 ** 32)
    const top = new Set(Array.from({ length: 256 }, (_, i) => hashKey(`k${i}`) >>> 28))
    expect(top.size).toBe(16)
  })
})

describe('createConsistentHash', () => {
  it('sends a key to the same member every time, and spreads keys evenly', () => {
    const all = members(4)
    const first = assign(all)
    expect(assign(all)).toEqual(first)
    const counts = new Map<string, number>()
    for (const route of first.values()) counts.set(route ?? '-', (counts.get(route ?? '-') ?? 0) + 1)
    expect(counts.size).toBe(4)
    for (const c of counts.values()) {
      expect(c / keys.length).toBeGreaterThan(0.18)
      expect(c / keys.length).toBeLessThan(0.32)
    }
  })

  it('gives a member with weight 2 about twice the keys', () => {
    const all = [member('a', 2), member('b'), member('c')]
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>
    for (const route of assign(all).values()) counts[route as string]! += 1
    expect(counts.a! / keys.length).toBeGreaterThan(0.42)
    expect(counts.a! / keys.length).toBeLessThan(0.58)
  })

  it('moves only about 1/n of the keys when a member is added, all of them to the new member', () => {
    const five = members(5)
    const six = [...five, member('n6')]
    const before = assign(five)
    const after = assign(six)
    let moved = 0
    for (const [k, route] of before) {
      if (after.get(k) !== route) {
        moved++
        expect(after.get(k)).toBe('n6')
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.1)
    expect(moved / keys.length).toBeLessThan(0.25)
  })

  it('moves only the keys of a removed member', () => {
    const five = members(5)
    const four = five.filter((m) => m.route !== 'n3')
    const before = assign(five)
    const after = assign(four)
    for (const [k, route] of before) if (route !== 'n3') expect(after.get(k)).toBe(route)
  })

  it('skips a member that cannot take the request without moving other keys, and returns them after', () => {
    const all = members(5)
    const scheduler = createConsistentHash({ key: 'header:x-user' })
    const before = assign(all, all, scheduler)
    const without = assign(all, all.filter((m) => m.route !== 'n2'), scheduler)
    for (const [k, route] of before) {
      if (route === 'n2') expect(without.get(k)).not.toBe('n2')
      else expect(without.get(k)).toBe(route)
    }
    expect(assign(all, all, scheduler)).toEqual(before)
    expect(scheduler.ringBuilds).toBe(1)
  })

  it('builds the ring once and again only when members or weights change', () => {
    const all = members(3)
    const scheduler = createConsistentHash({ key: 'header:x-user' })
    expect(scheduler.ringPoints).toBe(0)
    for (let i = 0; i < 100; i++) scheduler.pick(all, { req: req({ 'x-user': `u${i}` }) }, [...all])
    expect(scheduler.ringBuilds).toBe(1)
    expect(scheduler.ringPoints).toBe(3 * 160)
    all[0]!.weight = 2
    scheduler.pick(all, { req: req({ 'x-user': 'u' }) }, all)
    expect(scheduler.ringBuilds).toBe(2)
    expect(scheduler.ringPoints).toBe(4 * 160)
    const more = [...all, member('n4')]
    scheduler.pick(more, { req: req({ 'x-user': 'u' }) }, more)
    expect(scheduler.ringBuilds).toBe(3)
  })

  it('reads cookie, path and function keys', () => {
    const all = members(8)
    const byCookie = createConsistentHash({ key: 'cookie:tenant' })
    const byPath = createConsistentHash({ key: 'path', pointsPerWeight: 40 })
    const byFn = createConsistentHash({ key: (r) => r.headers['x-a'] as string | undefined })
    const a = byCookie.pick(all, { req: req({ cookie: 'x=1; tenant=acme' }) }, all)
    expect(byCookie.pick(all, { req: req({ cookie: 'tenant=acme' }) }, all)).toBe(a)
    const p = byPath.pick(all, { req: req({}, '/api/orders?page=1') }, all)
    expect(byPath.pick(all, { req: req({}, '/api/orders?page=2') }, all)).toBe(p)
    expect(byPath.ringPoints).toBe(8 * 40)
    expect(byFn.pick(all, { req: req({ 'x-a': 'k' }) }, all)).toBe(byFn.pick(all, { req: req({ 'x-a': 'k' }) }, all))
    const headerArray = createConsistentHash({ key: 'header:X-User' })
    expect(headerArray.pick(all, { req: req({ 'x-user': ['k', 'z'] }) }, all)).toBe(headerArray.pick(all, { req: req({ 'x-user': 'k' }) }, all))
  })

  it('falls back to weighted round robin without a key', () => {
    const all = members(3)
    const scheduler = createConsistentHash({ key: 'header:x-user' })
    const picks = Array.from({ length: 6 }, () => scheduler.pick(all, { req: req({}) }, all)?.route)
    expect(picks).toEqual(['n1', 'n2', 'n3', 'n1', 'n2', 'n3'])
    expect(scheduler.pick([], { req: req({ 'x-user': 'a' }) }, all)).toBeUndefined()
    // no request at all: the same round robin goes on (n1 after n3)
    expect(scheduler.pick(all, {}, all)?.route).toBe('n1')
  })

  it('bounded loads: a hot key spills over, and no member exceeds the bound', () => {
    const all = members(4)
    const factor = 1.25
    const scheduler = createConsistentHash({ key: 'header:x-user', balanceFactor: factor })
    const hot = req({ 'x-user': 'hot' })
    const home = createConsistentHash({ key: 'header:x-user' }).pick(all, { req: hot }, all)
    for (let n = 0; n < 200; n++) {
      const chosen = scheduler.pick(all, { req: hot }, all) as Member
      const total = all.reduce((s, m) => s + m.counters.inFlight, 0)
      expect(chosen.counters.inFlight + 1).toBeLessThanOrEqual(Math.ceil((factor * (total + 1)) / all.length))
      if (n === 0) expect(chosen).toBe(home)
      chosen.counters.inFlight++
    }
    const loads = all.map((m) => m.counters.inFlight)
    expect(Math.max(...loads)).toBeLessThanOrEqual(Math.ceil((factor * 200) / 4))
    expect(Math.min(...loads)).toBeGreaterThan(0)
  })

  it('bounded loads keep the key home while it is under the bound', () => {
    const all = members(4)
    const scheduler = createConsistentHash({ key: 'header:x-user', balanceFactor: 2 })
    const home = scheduler.pick(all, { req: req({ 'x-user': 'k' }) }, all) as Member
    for (const m of all) m.counters.inFlight = 10
    expect(scheduler.pick(all, { req: req({ 'x-user': 'k' }) }, all)).toBe(home)
    home.counters.inFlight = 40 // total 70: bound ceil(2 × 71 ÷ 4) = 36
    expect(scheduler.pick(all, { req: req({ 'x-user': 'k' }) }, all)).not.toBe(home)
  })

  it.each<[unknown, RegExp]>([
    [{ key: 'header:' }, /^key must be/],
    [{ key: 'header:bad name' }, /^key must be/],
    [{ key: 'query:x' }, /^key must be/],
    [{}, /^key must be/],
    [{ key: 'path', pointsPerWeight: 0 }, /^pointsPerWeight/],
    [{ key: 'path', pointsPerWeight: 1.5 }, /^pointsPerWeight/],
    [{ key: 'path', balanceFactor: 0.5 }, /^balanceFactor/],
    [{ key: 'path', balanceFactor: Number.NaN }, /^balanceFactor/],
  ])('rejects %j', (options, message) => {
    expect(() => createConsistentHash(options as ConsistentHashOptions)).toThrow(InvalidOptionError)
    expect(() => createConsistentHash(options as ConsistentHashOptions)).toThrow(message)
  })
})
