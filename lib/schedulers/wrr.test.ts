import { describe, expect, it } from 'vitest'
import { createByRequests } from './by-requests.js'
import { pickString, runSchedulerSuite, testMembers } from './conformance.suite.js'
import { createSeededRandom } from './shared.js'
import { createWrr } from './wrr.js'

runSchedulerSuite({ name: 'wrr', create: () => createWrr() })

describe('wrr: golden sequences (nginx smooth weighted round robin)', () => {
  it.each<[string, Record<string, number>, string]>([
    // the example in ngx_http_upstream_round_robin.c: "for weights { 5, 1, 1 } ... a a b a c a a"
    ['5:1:1 is nginx’s own example', { A: 5, B: 1, C: 1 }, 'AABACAA'.repeat(3)],
    ['1:1 alternates', { A: 1, B: 1 }, 'AB'.repeat(4)],
    ['3:1', { A: 3, B: 1 }, 'AABA'.repeat(3)],
    ['2:1:1', { A: 2, B: 1, C: 1 }, 'ABCA'.repeat(3)],
    ['1:2:3 interleaves', { A: 1, B: 2, C: 3 }, 'CBACBC'.repeat(2)],
    ['single member', { A: 4 }, 'AAA'],
  ])('%s', (_what, weights, expected) => {
    expect(pickString(createWrr(), testMembers(weights), expected.length)).toBe(expected)
  })

  it('is named wrr', () => {
    expect(createWrr().name).toBe('wrr')
  })

  it('gives the same sequence as byrequests for any weights (same step; the difference is what surrounds it)', () => {
    const rnd = createSeededRandom(5)
    for (let round = 0; round < 20; round++) {
      const weights: Record<string, number> = {}
      for (let i = 0; i < 2 + (round % 6); i++) weights[`M${i}`] = 1 + Math.floor(rnd() * 10)
      const list = testMembers(weights)
      expect(pickString(createWrr(), list, 200)).toBe(pickString(createByRequests(), list, 200))
    }
  })

  it('a member out of the candidates keeps its current weight and is not flooded when back', () => {
    const s = createWrr()
    const all = testMembers({ A: 1, B: 1, C: 1 })
    const [a, b] = all
    expect(pickString(s, all, 3)).toBe('ABC')
    const during = pickString(s, [a!, b!], 100, undefined, all)
    expect(during).toBe('AB'.repeat(50))
    // back: C takes its share, no burst
    expect(pickString(s, all, 9)).toBe('ABC'.repeat(3))
  })
})
