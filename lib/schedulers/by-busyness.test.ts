import { describe, expect, it } from 'vitest'
import type { Member } from '../members/member.js'
import { createByBusyness } from './by-busyness.js'
import { createByRequests } from './by-requests.js'
import { pickString, runSchedulerSuite, testMembers } from './conformance.suite.js'

runSchedulerSuite({ name: 'bybusyness', create: () => createByBusyness() })

/** Picks `count` times, each pick staying in flight (nothing finishes). */
function pickAndHold(s: ReturnType<typeof createByBusyness>, list: readonly Member[], count: number): string {
  let out = ''
  for (let i = 0; i < count; i++) {
    const m = s.pick(list, { now: 0 }, list)
    if (m) m.counters.inFlight++
    out += m?.route ?? '-'
  }
  return out
}

describe('bybusyness: golden sequences (mod_lbmethod_bybusyness, mod_jk B)', () => {
  it('is named bybusyness', () => {
    expect(createByBusyness().name).toBe('bybusyness')
  })

  it('with every member idle, picks as byrequests (ties go by lbstatus)', () => {
    for (const weights of <Record<string, number>[]>[{ A: 1, B: 1 }, { A: 3, B: 1 }, { A: 5, B: 1, C: 1 }, { A: 1, B: 2, C: 3, D: 4 }]) {
      const list = testMembers(weights)
      expect(pickString(createByBusyness(), list, 40)).toBe(pickString(createByRequests(), list, 40))
    }
  })

  it('goes to the member with the fewest in flight', () => {
    const s = createByBusyness()
    const [a, b, c] = testMembers({ A: 1, B: 1, C: 1 }) as [Member, Member, Member]
    a.counters.inFlight = 3
    b.counters.inFlight = 1
    c.counters.inFlight = 2
    expect(pickString(s, [a, b, c], 1)).toBe('B')
    b.counters.inFlight = 5
    expect(pickString(s, [a, b, c], 1)).toBe('C')
  })

  it('divides in-flight by weight (mod_jk): 3:1 holds three in flight on A for each on B', () => {
    const s = createByBusyness()
    const list = testMembers({ A: 3, B: 1 })
    // loads (A, B) → pick: 0,0 tie → A (lbstatus 3>1) | 1/3,0 → B | 1/3,1 → A | 2/3,1 → A |
    // 1,1 tie → A (lbstatus 3>1) | 4/3,1 → B | 4/3,2 → A | 5/3,2 → A
    expect(pickAndHold(s, list, 8)).toBe('ABAAABAA')
    expect(list.map((m) => m.counters.inFlight)).toEqual([6, 2])
  })

  it('a member that finishes its requests gets the next ones', () => {
    const s = createByBusyness()
    const list = testMembers({ A: 1, B: 1, C: 1 })
    expect(pickAndHold(s, list, 6)).toBe('ABCABC')
    const [, b] = list as [Member, Member, Member]
    b.counters.inFlight = 0 // B answered both
    expect(pickAndHold(s, list, 2)).toBe('BB')
  })

  it('a member back from an outage takes requests only until it is as busy as the others', () => {
    const s = createByBusyness()
    const all = testMembers({ A: 1, B: 1, C: 1 })
    const [a, b, c] = all as [Member, Member, Member]
    pickAndHold(s, [a, b], 10) // C is out; A and B have 5 each in flight
    expect([a.counters.inFlight, b.counters.inFlight]).toEqual([5, 5])
    const back = pickAndHold(s, all, 8)
    expect(back.slice(0, 5)).toBe('CCCCC')
    expect(c.counters.inFlight).toBeLessThanOrEqual(a.counters.inFlight + 1)
  })

  it('forget() resets the tie-break state', () => {
    const s = createByBusyness()
    const [a, b] = testMembers({ A: 1, B: 1 }) as [Member, Member]
    expect(pickString(s, [a, b], 1)).toBe('A') // A=-1, B=1
    s.forget?.(b) // B=0
    expect(pickString(s, [a, b], 1)).toBe('B') // A=0, B=1 → B
  })
})
