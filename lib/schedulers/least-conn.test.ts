import { describe, expect, it } from 'vitest'
import type { Member } from '../members/member.js'
import { createByBusyness } from './by-busyness.js'
import { pickString, runSchedulerSuite, testMembers } from './conformance.suite.js'
import { createLeastConn } from './least-conn.js'
import type { Scheduler } from './scheduler.js'

runSchedulerSuite({ name: 'leastconn', create: () => createLeastConn() })

function pickAndHold(s: Scheduler, list: readonly Member[], count: number): string {
  let out = ''
  for (let i = 0; i < count; i++) {
    const m = s.pick(list, { now: 0 }, list)
    if (m) m.counters.inFlight++
    out += m?.route ?? '-'
  }
  return out
}

describe('leastconn: golden sequences (nginx least_conn, HAProxy leastconn)', () => {
  it('is named leastconn', () => {
    expect(createLeastConn().name).toBe('leastconn')
  })

  it.each<[string, Record<string, number>, string]>([
    ['idle members: weighted round robin among the ties (5:1:1)', { A: 5, B: 1, C: 1 }, 'AABACAA'.repeat(2)],
    ['idle 1:1:1 rotates', { A: 1, B: 1, C: 1 }, 'ABC'.repeat(3)],
  ])('%s', (_what, weights, expected) => {
    expect(pickString(createLeastConn(), testMembers(weights), expected.length)).toBe(expected)
  })

  it('goes to the fewest in flight per weight', () => {
    const s = createLeastConn()
    const [a, b, c] = testMembers({ A: 2, B: 1, C: 1 }) as [Member, Member, Member]
    a.counters.inFlight = 3 // 1.5
    b.counters.inFlight = 2 // 2
    c.counters.inFlight = 1 // 1
    expect(pickString(s, [a, b, c], 1)).toBe('C')
    c.counters.inFlight = 2 // A 1.5 is now lowest
    expect(pickString(s, [a, b, c], 1)).toBe('A')
  })

  it('holding every request: 3:1 keeps in-flight in the ratio of the weights', () => {
    const list = testMembers({ A: 3, B: 1 })
    // loads (A,B): 0,0 tie → A (current 3>1) | 1/3,0 → B | 1/3,1 → A | 2/3,1 → A | 1,1 tie → smooth among them
    expect(pickAndHold(createLeastConn(), list, 8)).toBe('ABAAABAA')
    expect(list.map((m) => m.counters.inFlight)).toEqual([6, 2])
  })

  it('round robin among ties moves only the tied members (unlike bybusyness)', () => {
    // A and B idle, C busy: only A and B take part in the round robin
    const sequence = (s: Scheduler): string => {
      const [a, b, c] = testMembers({ A: 1, B: 1, C: 1 }) as [Member, Member, Member]
      let out = ''
      c.counters.inFlight = 1
      out += pickString(s, [a, b, c], 4) // A and B tie at 0; C is busier
      c.counters.inFlight = 0
      out += pickString(s, [a, b, c], 3) // all tie
      return out
    }
    // leastconn: C has no credit from the picks it was not eligible for: A B A B, then A B C
    expect(sequence(createLeastConn())).toBe('ABAB' + 'ABC')
    // bybusyness (mod_proxy): C's lbstatus grew by 1 on each of the 4 picks while A and B paid, so
    // it wins the next two ties: lbstatus (A,B,C) = (-2,-2,4) → C → (0,0,3)... → C, then A
    expect(sequence(createByBusyness())).toBe('ABAB' + 'CCA')
  })

  it('a member back from an outage is filled up to the others’ load, then shares', () => {
    const s = createLeastConn()
    const all = testMembers({ A: 1, B: 1, C: 1 })
    const [a, b] = all as [Member, Member, Member]
    pickAndHold(s, [a, b], 8) // 4 and 4 in flight
    expect(pickAndHold(s, all, 7)).toBe('CCCC' + 'ABC')
  })
})
