import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import type { Member } from '../members/member.js'
import { pickString, runSchedulerSuite, scriptedRandom, testMembers } from './conformance.suite.js'
import { createPeakEwma } from './peak-ewma.js'
import { createRandom } from './random.js'
import type { Scheduler } from './scheduler.js'
import { createSeededRandom } from './shared.js'

runSchedulerSuite({
  name: 'peakewma',
  create: () => createPeakEwma({ random: createSeededRandom(1) }),
  tolerance: 0.015,
  skip: { 'forget-resets': 'the random source is shared by all members, so forgetting them does not rewind it' },
})

const T = 5_000_000

describe('peakewma: the peak EWMA', () => {
  it('takes a higher sample at once, and moves toward a lower one with weight 1 − e^(−elapsed/decayTime)', () => {
    const s = createPeakEwma({ decayTime: 10_000 })
    const [a] = testMembers({ A: 1 }) as [Member]
    expect(s.latencyOf(a, T)).toBeUndefined()
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 50, now: T })
    expect(s.latencyOf(a, T)).toBe(50)
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 100, now: T + 1 }) // a peak: taken as is
    expect(s.latencyOf(a, T + 1)).toBe(100)
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 10, now: T + 10_001 }) // 10 s later: e^-1 of the old value stays
    expect(s.latencyOf(a, T + 10_001)).toBeCloseTo(100 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 9)
  })

  it('fades toward 0 between samples, read lazily at the pick time', () => {
    const s = createPeakEwma({ decayTime: 10_000 })
    const [a] = testMembers({ A: 1 }) as [Member]
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 200, now: T })
    expect(s.latencyOf(a, T + 10_000)).toBeCloseTo(200 * Math.exp(-1), 9)
    expect(s.latencyOf(a, T + 60_000)).toBeLessThan(1)
    expect(s.latencyOf(a, T - 5)).toBe(200) // a clock step back reads the last value
  })

  it('ignores samples that are not durations', () => {
    const s = createPeakEwma()
    const [a] = testMembers({ A: 1 }) as [Member]
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: bad, now: T })
    expect(s.latencyOf(a, T)).toBeUndefined()
  })

  it('validates its options', () => {
    expect(() => createPeakEwma({ decayTime: 0 })).toThrow(InvalidOptionError)
    expect(() => createPeakEwma({ decayTime: Number.NaN })).toThrow(/decayTime/)
    expect(() => createPeakEwma({ draws: 0 })).toThrow(/draws/)
  })
})

describe('peakewma: golden picks', () => {
  it('is named peakewma', () => {
    expect(createPeakEwma().name).toBe('peakewma')
  })

  it('of the two drawn, the lower latency × (in flight + 1) ÷ weight wins', () => {
    const list = testMembers({ A: 1, B: 1, C: 1 })
    const [a, b, c] = list as [Member, Member, Member]
    // draws as in random: 0.1 → A then 0.9 over B C → C; 0.5 → B then 0.1 over A C → A
    const s = createPeakEwma({ random: scriptedRandom([0.1, 0.9, 0.5, 0.1]) })
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 30, now: T })
    s.record(b, { bytesIn: 0, bytesOut: 0, durationMs: 10, now: T })
    s.record(c, { bytesIn: 0, bytesOut: 0, durationMs: 20, now: T })
    // A 30 × 1 vs C 20 × 1 → C; B 10 × 1 vs A 30 → B
    expect(pickString(s, list, 2, T)).toBe('CB')
    // with 2 in flight, C costs 20 × 3 = 60 > A's 30 → A
    c.counters.inFlight = 2
    expect(pickString(s, list, 1, T)).toBe('A')
  })

  it('a member without a sample is tried while idle, and not piled onto while its first request is out', () => {
    const list = testMembers({ A: 1, B: 1 })
    const [a, b] = list as [Member, Member]
    const s = createPeakEwma({ random: scriptedRandom([0, 0]) }) // always draws A, then B
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 5, now: T })
    expect(pickString(s, list, 1, T)).toBe('B') // B has no sample: cost 0
    b.counters.inFlight = 1
    expect(pickString(s, list, 1, T)).toBe('A') // B's first answer is pending: prohibitive cost
  })

  it('divides the cost by the weight', () => {
    const [a, b] = testMembers({ A: 4, B: 1 }) as [Member, Member]
    const s = createPeakEwma({ random: scriptedRandom([0.99, 0]) }) // draws B, then A
    s.record(a, { bytesIn: 0, bytesOut: 0, durationMs: 30, now: T }) // 30 ÷ 4 = 7.5
    s.record(b, { bytesIn: 0, bytesOut: 0, durationMs: 10, now: T }) // 10 ÷ 1
    expect(pickString(s, [a, b], 1, T)).toBe('A')
  })
})

/**
 * Discrete-event run: one request every `gapMs`, each held for `latency(member, t)` ms, recorded at
 * its end. Returns each member's share of the picks made in `[from, to)`.
 */
function simulate(s: Scheduler, list: readonly Member[], latency: (m: Member, t: number) => number, gapMs: number, count: number, windows: readonly [number, number][]): Map<string, number>[] {
  const pending: { member: Member; end: number; start: number }[] = []
  const routes: string[] = []
  for (let i = 0; i < count; i++) {
    const t = T + i * gapMs
    for (let k = pending.length - 1; k >= 0; k--) {
      const p = pending[k]!
      if (p.end <= t) {
        p.member.counters.inFlight--
        s.record?.(p.member, { bytesIn: 1000, bytesOut: 0, durationMs: p.end - p.start, now: p.end })
        pending.splice(k, 1)
      }
    }
    const m = s.pick(list, { now: t }, list) as Member
    m.counters.inFlight++
    pending.push({ member: m, start: t, end: t + latency(m, t) })
    routes.push(m.route as string)
  }
  for (const p of pending) p.member.counters.inFlight--
  return windows.map(([from, to]) => {
    const shares = new Map<string, number>()
    for (let i = from; i < to; i++) shares.set(routes[i]!, (shares.get(routes[i]!) ?? 0) + 1 / (to - from))
    return shares
  })
}

describe('peakewma: ratio table with a slow member (fault injection)', () => {
  it('sends little to a member while it is slow, and its share back once it is fast again', () => {
    const list = testMembers({ A: 1, B: 1, C: 1 })
    const [a] = list as [Member]
    // A answers in 400 ms from request 2000 to 6000 (t = 10 s … 30 s), everyone else in 20 ms; its
    // estimate fades with decayTime 10 s until it is tried again (about 20 s later here), and one
    // fast answer after that long moves it almost all the way down
    const slowFrom = T + 2000 * 5
    const slowTo = T + 6000 * 5
    const latency = (m: Member, t: number) => (m === a && t >= slowFrom && t < slowTo ? 400 : 20)
    const [before, slow, after] = simulate(createPeakEwma({ random: createSeededRandom(8) }), list, latency, 5, 16_000, [[0, 2000], [2500, 6000], [14_000, 16_000]])
    expect(before!.get('A')).toBeGreaterThan(0.25)
    expect(slow!.get('A') ?? 0).toBeLessThan(0.05)
    expect(after!.get('A')).toBeGreaterThan(0.2)
  })

  it('compared with random two: same problem, peakewma keeps less on the slow member', () => {
    const list = testMembers({ A: 1, B: 1, C: 1 })
    const [a] = list as [Member]
    const latency = (m: Member) => (m === a ? 200 : 20)
    const [ewma] = simulate(createPeakEwma({ random: createSeededRandom(4) }), list, latency, 10, 6000, [[1000, 6000]])
    for (const m of list) m.counters.inFlight = 0
    const [two] = simulate(createRandom({ random: createSeededRandom(4) }), list, latency, 10, 6000, [[1000, 6000]])
    expect(ewma!.get('A') ?? 0).toBeLessThan(two!.get('A') ?? 0)
  })
})
