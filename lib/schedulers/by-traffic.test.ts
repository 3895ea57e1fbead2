import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import type { Member } from '../members/member.js'
import { createByRequests } from './by-requests.js'
import { createByTraffic } from './by-traffic.js'
import type { ByTrafficScheduler } from './by-traffic.js'
import { pickString, runSchedulerSuite, testMembers } from './conformance.suite.js'

runSchedulerSuite({ name: 'bytraffic', create: () => createByTraffic() })
runSchedulerSuite({ name: 'bytraffic (no decay, no in-flight estimate)', create: () => createByTraffic({ decayInterval: 0, countInFlight: false }) })

const T = 1_000_000

/** One exchange: pick at `now`, then record `bytes` for it at once. */
function exchange(s: ByTrafficScheduler, list: readonly Member[], bytes: number, now = T, all: readonly Member[] = list): string {
  const m = s.pick(list, { now }, all)
  if (m) s.record(m, { bytesIn: bytes, bytesOut: 0, durationMs: 1, now })
  return m?.route ?? '-'
}

describe('bytraffic: golden sequences (mod_lbmethod_bytraffic, mod_jk T)', () => {
  it('is named bytraffic', () => {
    expect(createByTraffic().name).toBe('bytraffic')
  })

  it('before any traffic, picks as byrequests', () => {
    for (const weights of <Record<string, number>[]>[{ A: 1, B: 1 }, { A: 3, B: 1 }, { A: 5, B: 1, C: 1 }]) {
      const list = testMembers(weights)
      expect(pickString(createByTraffic(), list, 30)).toBe(pickString(createByRequests(), list, 30))
    }
  })

  it('goes to the member with the fewest bytes in + out', () => {
    const s = createByTraffic()
    const [a, b, c] = testMembers({ A: 1, B: 1, C: 1 }) as [Member, Member, Member]
    s.record(a, { bytesIn: 300, bytesOut: 0, durationMs: 1, now: T })
    s.record(b, { bytesIn: 100, bytesOut: 100, durationMs: 1, now: T })
    s.record(c, { bytesIn: 0, bytesOut: 250, durationMs: 1, now: T })
    expect(pickString(s, [a, b, c], 1, T)).toBe('B')
    expect(s.trafficOf(a)).toBe(300)
    expect(s.trafficOf(b)).toBe(200)
  })

  it('sizes decide: a member serving big responses gets fewer requests', () => {
    const s = createByTraffic()
    const list = testMembers({ A: 1, B: 1 })
    // A's responses are 3 KiB, B's 1 KiB: B takes three requests for each of A's
    const [a, b] = list as [Member, Member]
    const counts = { A: 0, B: 0 }
    for (let i = 0; i < 4000; i++) {
      const m = s.pick(list, { now: T }, list) as Member
      counts[m.route as 'A' | 'B']++
      s.record(m, { bytesIn: m === a ? 3072 : 1024, bytesOut: 0, durationMs: 1, now: T })
    }
    expect(counts.B / counts.A).toBeCloseTo(3, 1)
    expect(Math.abs(s.trafficOf(a) - s.trafficOf(b))).toBeLessThanOrEqual(3072)
  })

  it('divides bytes by weight: 3:1 with equal sizes gives 3:1 requests', () => {
    const s = createByTraffic()
    const list = testMembers({ A: 3, B: 1 })
    let out = ''
    for (let i = 0; i < 12; i++) out += exchange(s, list, 1000)
    expect(out).toBe('ABAA'.repeat(3))
  })

  it('counts requests in flight at the mean exchange size, so a burst spreads', () => {
    const list = testMembers({ A: 1, B: 1 })
    const [a, b] = list as [Member, Member]
    const withEstimate = createByTraffic()
    const without = createByTraffic({ countInFlight: false })
    for (const s of [withEstimate, without]) {
      s.record(a, { bytesIn: 10_000, bytesOut: 0, durationMs: 1, now: T }) // 1 exchange of 10 kB
      s.record(b, { bytesIn: 10_100, bytesOut: 0, durationMs: 1, now: T })
    }
    // ten requests start before any finishes
    const burst = (s: ByTrafficScheduler): string => {
      let out = ''
      for (let i = 0; i < 10; i++) {
        const m = s.pick(list, { now: T }, list) as Member
        m.counters.inFlight++
        out += m.route
      }
      a.counters.inFlight = 0
      b.counters.inFlight = 0
      return out
    }
    expect(burst(without)).toBe('A'.repeat(10)) // the peers' behaviour: a herd
    expect(burst(withEstimate)).toBe('ABABABABAB')
  })
})

describe('bytraffic: decay (mod_jk worker.maintain)', () => {
  it('halves byte counts once per elapsed interval, lazily at the next pick', () => {
    const s = createByTraffic({ decayInterval: 60_000 })
    const list = testMembers({ A: 1, B: 1 })
    const [a, b] = list as [Member, Member]
    s.pick(list, { now: T }, list) // starts the clock
    s.record(a, { bytesIn: 8000, bytesOut: 0, durationMs: 1, now: T })
    s.record(b, { bytesIn: 1000, bytesOut: 0, durationMs: 1, now: T })
    s.pick(list, { now: T + 59_999 }, list)
    expect(s.trafficOf(a)).toBe(8000)
    s.pick(list, { now: T + 60_000 }, list)
    expect(s.trafficOf(a)).toBe(4000)
    expect(s.trafficOf(b)).toBe(500)
    // three intervals missed: 2^3
    s.pick(list, { now: T + 240_000 }, list)
    expect(s.trafficOf(a)).toBe(500)
    // a clock step back halves nothing
    s.pick(list, { now: T }, list)
    expect(s.trafficOf(a)).toBe(500)
  })

  it('0 turns decay off', () => {
    const s = createByTraffic({ decayInterval: 0 })
    const [a] = testMembers({ A: 1 }) as [Member]
    s.pick([a], { now: T }, [a])
    s.record(a, { bytesIn: 8000, bytesOut: 0, durationMs: 1, now: T })
    s.pick([a], { now: T + 3_600_000 }, [a])
    expect(s.trafficOf(a)).toBe(8000)
  })

  it('one huge download long ago: with decay the member is back in use within a few intervals; without, it starves', () => {
    const run = (decayInterval: number): number => {
      const s = createByTraffic({ decayInterval })
      const list = testMembers({ A: 1, B: 1 })
      const [a] = list as [Member, Member]
      s.pick(list, { now: T }, list)
      s.record(a, { bytesIn: 1024 ** 3, bytesOut: 0, durationMs: 1, now: T }) // 1 GiB
      // then 10 requests a second of 50 kB each for 10 minutes; count A's share in the last minute
      let lastMinuteA = 0
      for (let i = 0; i < 6000; i++) {
        const now = T + i * 100
        const m = exchange(s, list, 50_000, now)
        if (i >= 5400 && m === 'A') lastMinuteA++
      }
      return lastMinuteA / 600
    }
    expect(run(60_000)).toBeCloseTo(0.5, 1)
    expect(run(0)).toBe(0)
  })

  it('validates its options', () => {
    expect(() => createByTraffic({ decayInterval: -1 })).toThrow(InvalidOptionError)
    expect(() => createByTraffic({ decayInterval: Number.NaN })).toThrow(/decayInterval/)
    expect(() => createByTraffic({ countInFlight: 'yes' as unknown as boolean })).toThrow(/countInFlight/)
  })
})

describe('bytraffic: a member out for a while, then back (fault injection)', () => {
  it.each<[string, number]>([
    ['with decay (60 s)', 60_000],
    ['without decay', 0],
  ])('%s: the returning member gets its share, not a flood', (_what, decayInterval) => {
    const s = createByTraffic({ decayInterval })
    const all = testMembers({ A: 1, B: 1, C: 1 })
    const [a, b] = all as [Member, Member, Member]
    let t = T
    for (let i = 0; i < 300; i++) exchange(s, all, 20_000, (t += 100))
    // C is in error for 5 minutes while A and B move 3000 × 20 kB
    for (let i = 0; i < 3000; i++) exchange(s, [a, b], 20_000, (t += 100), all)
    // back: the next 60 picks split evenly
    let back = ''
    for (let i = 0; i < 60; i++) back += exchange(s, all, 20_000, (t += 100))
    const share = (r: string) => back.split(r).length - 1
    expect(share('C')).toBeGreaterThanOrEqual(19)
    expect(share('C')).toBeLessThanOrEqual(21)
    expect(share('A')).toBeGreaterThanOrEqual(19)
  })

  it('a new member joins at the level of the others', () => {
    const s = createByTraffic()
    const two = testMembers({ A: 1, B: 1 })
    for (let i = 0; i < 100; i++) exchange(s, two, 10_000)
    const [c] = testMembers({ C: 1 })
    const three = [...two, c!]
    let out = ''
    for (let i = 0; i < 30; i++) out += exchange(s, three, 10_000)
    expect(out.split('C').length - 1).toBe(10)
  })
})
