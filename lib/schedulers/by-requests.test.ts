import { describe, expect, it } from 'vitest'
import { Member } from '../members/member.js'
import { InvalidOptionError } from '../errors.js'
import { createByRequests } from './by-requests.js'
import { runSchedulerSuite } from './conformance.suite.js'
import type { Scheduler } from './scheduler.js'

runSchedulerSuite({ name: 'byrequests', create: () => createByRequests() })
runSchedulerSuite({ name: 'byrequests (decay 1 s)', create: () => createByRequests({ decayInterval: 1000 }) })

let port = 1

function member(route: string, weight = 1): Member {
  return new Member({ url: new URL(`http://127.0.0.1:${port++}`), route, weight, admin: 'active' })
}

function members(weights: Record<string, number>): Member[] {
  return Object.entries(weights).map(([route, weight]) => member(route, weight))
}

/** `count` picks over `candidates`, as a string of routes: `'ABAB'`. */
function picks(scheduler: Scheduler, candidates: readonly Member[], count: number, all: readonly Member[] = candidates): string {
  let out = ''
  for (let i = 0; i < count; i++) out += scheduler.pick(candidates, {}, all)?.route ?? '-'
  return out
}

describe('byrequests: golden sequences (mod_lbmethod_byrequests)', () => {
  it.each<[string, Record<string, number>, string]>([
    ['1:1 alternates', { A: 1, B: 1 }, 'ABABABAB'],
    ['equal weights other than 1 still alternate', { A: 5, B: 5 }, 'ABABABAB'],
    ['3:1 gives A A B A, repeating', { A: 3, B: 1 }, 'AABA'.repeat(3)],
    ['1:3 is the mirror image', { A: 1, B: 3 }, 'BABB'.repeat(3)],
    ['2:1:1 gives A B C A, repeating', { A: 2, B: 1, C: 1 }, 'ABCA'.repeat(3)],
    ['1:1:1 round robin', { A: 1, B: 1, C: 1 }, 'ABC'.repeat(3)],
    ['2:1 gives A B A', { A: 2, B: 1 }, 'ABA'.repeat(3)],
    // smooth: the heavy member's picks are interleaved, never bunched (nginx smooth WRR)
    ['5:1:1 interleaves', { A: 5, B: 1, C: 1 }, 'AABACAA'.repeat(2)],
    ['single member', { A: 7 }, 'AAAA'],
  ])('%s', (_what, weights, expected) => {
    const s = createByRequests()
    expect(picks(s, members(weights), expected.length)).toBe(expected)
  })

  it('is named byrequests', () => {
    expect(createByRequests().name).toBe('byrequests')
  })

  it('returns undefined for no candidates, and that pick changes nothing', () => {
    const s = createByRequests()
    const ab = members({ A: 1, B: 1 })
    expect(s.pick([], {}, ab)).toBeUndefined()
    expect(picks(s, ab, 4)).toBe('ABAB')
  })

  it('keeps separate counters per scheduler instance', () => {
    const ab = members({ A: 1, B: 1 })
    const s1 = createByRequests()
    const s2 = createByRequests()
    expect(picks(s1, ab, 1)).toBe('A')
    expect(picks(s2, ab, 1)).toBe('A')
    expect(picks(s1, ab, 1)).toBe('B')
  })

  it('follows a weight change mid-way (1:1 → 3:1)', () => {
    const s = createByRequests()
    const [a, b] = members({ A: 1, B: 1 }) as [Member, Member]
    // A(-1,1) B(0,0) A(-1,1): lbstatus is now A=-1, B=+1
    expect(picks(s, [a, b], 3)).toBe('ABA')
    a.weight = 3
    // A: 2,2 → A(-2) | 1,3 → B(-1) | 4,0 → A(0) | 3,1 → A(-1) | then the 4-cycle again
    expect(picks(s, [a, b], 8)).toBe('ABAA'.repeat(2))
  })

  it('follows a weight change back (3:1 → 1:1)', () => {
    const s = createByRequests()
    const [a, b] = members({ A: 3, B: 1 }) as [Member, Member]
    expect(picks(s, [a, b], 4)).toBe('AABA') // one full cycle: lbstatus back to 0, 0
    a.weight = 1
    expect(picks(s, [a, b], 6)).toBe('ABABAB')
  })

  it('skips a member that leaves the candidate list and takes it back when it returns', () => {
    const s = createByRequests()
    const all = members({ A: 1, B: 1, C: 1 })
    const [a, b] = all as [Member, Member, Member]
    // A: 1,1,1 → A (A=-2, B=1, C=1)
    expect(picks(s, all, 1)).toBe('A')
    // C is unusable: only A and B are candidates; C's counter is left as it was (C=1).
    // 1: A=-1,B=2 → B(0) | 2: A=0,B=1 → B(-1) | 3: A=1,B=0 → A(-1) | 4: A=0,B=1 → B(-1)
    expect(picks(s, [a, b], 4, all)).toBe('BBAB')
    // C is back (A=0, B=-1, C=1):
    // 1: 1,0,2 → C(-1) | 2: 2,1,0 → A(-1) | 3: 0,2,1 → B(-1) | 4: 1,0,2 → C(-1) | 5: 2,1,0 → A(-1) | 6: 0,2,1 → B(-1)
    expect(picks(s, all, 6)).toBe('CABCAB')
  })

  it('never picks a member while it is out of the candidates', () => {
    const s = createByRequests()
    const all = members({ A: 3, B: 2, C: 1 })
    const withoutB = all.filter((m) => m.route !== 'B')
    expect(picks(s, all, 12)).not.toBe('')
    expect(picks(s, withoutB, 1000, all)).not.toContain('B')
  })

  it('forget() resets a member’s counter', () => {
    const s = createByRequests()
    const [a, b] = members({ A: 3, B: 1 }) as [Member, Member]
    expect(picks(s, [a, b], 2)).toBe('AA') // A=-2, B=2
    s.forget?.(a) // A=0
    // A: 3, B: 3 → tie goes to the first: A. Without forget it would be A=1, B=3 → B.
    expect(picks(s, [a, b], 1)).toBe('A')
  })

  it('forget() of a member that left keeps the others going', () => {
    const s = createByRequests()
    const [a, b, c] = members({ A: 1, B: 1, C: 1 }) as [Member, Member, Member]
    expect(picks(s, [a, b, c], 3)).toBe('ABC')
    s.forget?.(c)
    expect(picks(s, [a, b], 4)).toBe('ABAB')
    expect(() => s.forget?.(member('Z'))).not.toThrow()
  })
})

describe('byrequests: ratios over 10,000 picks', () => {
  const PICKS = 10_000
  it.each<[string, Record<string, number>]>([
    ['1:1', { A: 1, B: 1 }],
    ['3:1', { A: 3, B: 1 }],
    ['2:1:1', { A: 2, B: 1, C: 1 }],
    ['5:3:2', { A: 5, B: 3, C: 2 }],
    ['100:1', { A: 100, B: 1 }],
    ['1:2:3:4:5', { A: 1, B: 2, C: 3, D: 4, E: 5 }],
    ['7:13:100', { A: 7, B: 13, C: 100 }],
    ['weights not in order', { A: 1, B: 50, C: 7, D: 50 }],
  ])('%s within ±1%%', (_what, weights) => {
    const s = createByRequests()
    const list = members(weights)
    const counts = new Map<string, number>()
    for (let i = 0; i < PICKS; i++) {
      const route = s.pick(list, {}, list)?.route ?? '-'
      counts.set(route, (counts.get(route) ?? 0) + 1)
    }
    const total = Object.values(weights).reduce((x, y) => x + y, 0)
    for (const [route, weight] of Object.entries(weights)) {
      const share = (counts.get(route) ?? 0) / PICKS
      expect(Math.abs(share - weight / total), `share of ${route}`).toBeLessThanOrEqual(0.01)
    }
  })

  it('with a member out for a while and back, later picks follow the weights again', () => {
    const s = createByRequests()
    const all = members({ A: 3, B: 2, C: 1 })
    const withoutC = all.filter((m) => m.route !== 'C')
    picks(s, all, 500)
    const during = picks(s, withoutC, 1000, all)
    expect(during.split('A').length - 1).toBe(600)
    expect(during.split('B').length - 1).toBe(400)
    const after = picks(s, all, 6_000)
    for (const [route, share] of [['A', 1 / 2], ['B', 1 / 3], ['C', 1 / 6]] as const) {
      expect(Math.abs((after.split(route).length - 1) / 6_000 - share), `share of ${route}`).toBeLessThanOrEqual(0.01)
    }
  })
})

describe('byrequests: decayInterval (mod_jk R)', () => {
  const T = 1_000_000
  it('is off by default: the same sequence whatever the time between picks', () => {
    const list = members({ A: 3, B: 1 })
    const s = createByRequests()
    let out = ''
    for (let i = 0; i < 12; i++) out += s.pick(list, { now: T + i * 3_600_000 }, list)?.route
    expect(out).toBe('AABA'.repeat(3))
  })

  it('halves lbstatus once per interval: leftover credit and debt fade away', () => {
    const run = (decayInterval: number, later: number): string => {
      const s = createByRequests({ decayInterval })
      const all = members({ A: 1, B: 1, C: 1 })
      const [a, b] = all as [Member, Member, Member]
      s.pick(all, { now: T }, all) // A (A=-2, B=1, C=1)
      // C is out with a credit of 1 while A and B go on: lbstatus A=0, B=-1, C=1 (see above)
      for (let i = 0; i < 4; i++) s.pick([a, b], { now: T }, all)
      let out = ''
      for (let i = 0; i < 3; i++) out += s.pick(all, { now: T + later }, all)?.route
      return out
    }
    // without decay, C's credit and B's debt decide the order
    expect(run(0, 3_600_000)).toBe('CAB')
    // one interval: A=0, B=-0.5, C=0.5 → C first still
    expect(run(60_000, 60_000)).toBe('CAB')
    // an hour (60 halvings): the values are gone, as for a fresh scheduler
    expect(run(60_000, 3_600_000)).toBe('ABC')
  })

  it('keeps the ratios over many intervals', () => {
    const s = createByRequests({ decayInterval: 1000 })
    const list = members({ A: 5, B: 3, C: 2 })
    const counts = new Map<string, number>()
    for (let i = 0; i < 10_000; i++) {
      const r = s.pick(list, { now: T + i * 37 }, list)?.route ?? '-'
      counts.set(r, (counts.get(r) ?? 0) + 1)
    }
    expect(counts.get('A')! / 10_000).toBeCloseTo(0.5, 2)
    expect(counts.get('B')! / 10_000).toBeCloseTo(0.3, 2)
  })

  it('validates decayInterval', () => {
    expect(() => createByRequests({ decayInterval: -5 })).toThrow(InvalidOptionError)
    expect(() => createByRequests({ decayInterval: 'x' as unknown as number })).toThrow(/decayInterval/)
  })
})
