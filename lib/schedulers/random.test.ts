import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import type { Member } from '../members/member.js'
import { pickString, runSchedulerSuite, scriptedRandom, testMembers } from './conformance.suite.js'
import { createRandom } from './random.js'
import { createSeededRandom } from './shared.js'

runSchedulerSuite({
  name: 'random (two choices)',
  create: () => createRandom({ random: createSeededRandom(1) }),
  tolerance: 0.015,
  skip: { 'forget-resets': 'the random source is shared by all members, so forgetting them does not rewind it' },
})
runSchedulerSuite({
  name: 'random (one draw)',
  create: () => createRandom({ draws: 1, random: createSeededRandom(2) }),
  tolerance: 0.015,
  skip: { 'forget-resets': 'the random source is shared by all members, so forgetting them does not rewind it' },
})

describe('createSeededRandom', () => {
  it('is mulberry32: reproducible, in [0, 1)', () => {
    const r = createSeededRandom(1)
    expect(r()).toBe(0.6270739405881613)
    expect(r()).toBe(0.002735721180215478)
    const a = createSeededRandom(99)
    const b = createSeededRandom(99)
    for (let i = 0; i < 1000; i++) {
      const x = a()
      expect(x).toBe(b())
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
    }
  })
})

describe('random: golden sequences (nginx random [two], HAProxy random(draws))', () => {
  it('is named random', () => {
    expect(createRandom().name).toBe('random')
  })

  it('one draw: weighted by cumulative weight (A: [0, 3), B: [3, 4) of 4)', () => {
    const s = createRandom({ draws: 1, random: scriptedRandom([0, 0.5, 0.74, 0.75, 0.99]) })
    expect(pickString(s, testMembers({ A: 3, B: 1 }), 5)).toBe('AAABB')
  })

  it('two draws without replacement; the less loaded of the two wins, the first drawn on ties', () => {
    const list = testMembers({ A: 1, B: 1, C: 1 })
    const [a, b, c] = list as [Member, Member, Member]
    a.counters.inFlight = 2
    b.counters.inFlight = 1
    c.counters.inFlight = 0
    // draw 1 over A B C (0.1 → A), draw 2 over B C (0.9 → C): C is idle → C
    // draw 1 (0.5 → B), draw 2 over A C (0.1 → A): B has 1, A 2 → B
    // draw 1 (0.9 → C), draw 2 over A B (0.9 → B) → C
    const s = createRandom({ random: scriptedRandom([0.1, 0.9, 0.5, 0.1, 0.9, 0.9]) })
    expect(pickString(s, list, 3)).toBe('CBC')
    b.counters.inFlight = 0
    // draw 1 (0.5 → B), draw 2 over A C (0.9 → C): both idle → the first drawn, B
    expect(pickString(createRandom({ random: scriptedRandom([0.5, 0.9]) }), list, 1)).toBe('B')
  })

  it('divides load by weight, as nginx compares conns × weight', () => {
    const [a, b] = testMembers({ A: 4, B: 1 }) as [Member, Member]
    a.counters.inFlight = 3 // 0.75
    b.counters.inFlight = 1 // 1
    expect(pickString(createRandom({ random: scriptedRandom([0.99, 0]) }), [a, b], 1)).toBe('A')
  })

  it('frozen sequence for seed 42 (regression)', () => {
    expect(pickString(createRandom({ random: createSeededRandom(42) }), testMembers({ A: 1, B: 1, C: 1 }), 20)).toBe('BCAACACACACBAABABAAB')
    expect(pickString(createRandom({ draws: 1, random: createSeededRandom(42) }), testMembers({ A: 3, B: 1 }), 20)).toBe('AABAAAAABAABAAAAAAAA')
  })

  it('avoids a busy member: with A holding requests, it gets a small share', () => {
    const list = testMembers({ A: 1, B: 1, C: 1 })
    const [a] = list as [Member]
    a.counters.inFlight = 5
    const s = createRandom({ random: createSeededRandom(3) })
    const out = pickString(s, list, 3000)
    // A wins only when drawn twice, which two distinct draws never do
    expect(out).not.toContain('A')
    const one = createRandom({ draws: 1, random: createSeededRandom(3) })
    expect(pickString(one, list, 3000)).toContain('A')
  })

  it('validates its options', () => {
    expect(() => createRandom({ draws: 0 })).toThrow(InvalidOptionError)
    expect(() => createRandom({ draws: 1.5 })).toThrow(/draws/)
    expect(() => createRandom({ random: 3 as unknown as () => number })).toThrow(/random/)
  })
})

describe('random: ratio table with a member out for a while (fault injection)', () => {
  it('shares follow the weights before, during and after', () => {
    const s = createRandom({ random: createSeededRandom(11) })
    const all = testMembers({ A: 3, B: 2, C: 1 })
    const [a, b] = all as [Member, Member, Member]
    const share = (out: string, r: string) => (out.split(r).length - 1) / out.length
    const before = pickString(s, all, 6000)
    const during = pickString(s, [a, b], 5000, undefined, all)
    const after = pickString(s, all, 6000)
    for (const [out, expected] of [[before, { A: 1 / 2, B: 1 / 3, C: 1 / 6 }], [during, { A: 3 / 5, B: 2 / 5, C: 0 }], [after, { A: 1 / 2, B: 1 / 3, C: 1 / 6 }]] as const) {
      for (const [r, want] of Object.entries(expected)) expect(Math.abs(share(out, r) - want), r).toBeLessThanOrEqual(0.02)
    }
  })
})
