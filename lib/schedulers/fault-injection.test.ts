/**
 * Ratio tables with fault injection, in the style of undici's balanced-pool `cases`: one member is
 * taken out of the candidates for a while (in error, drained) and comes back; each scheduler's shares
 * are checked before, during and after, and in the first picks after the return (no flood).
 *
 * Requests arrive every 10 ms and each stays in flight for 300 ms (about 30 in flight), then is recorded (20 kB),
 * so load-based schedulers see realistic in-flight counts.
 */
import { describe, expect, it } from 'vitest'
import type { Member } from '../members/member.js'
import { createByBusyness } from './by-busyness.js'
import { createByRequests } from './by-requests.js'
import { createByTraffic } from './by-traffic.js'
import { testMembers } from './conformance.suite.js'
import { createLeastConn } from './least-conn.js'
import { createPeakEwma } from './peak-ewma.js'
import { createRandom } from './random.js'
import type { Scheduler } from './scheduler.js'
import { createSeededRandom } from './shared.js'
import { createWrr } from './wrr.js'

const T = 1_700_000_000_000
const GAP = 10
const HOLD = 300
const PICKS = 12_000
const DOWN: readonly [number, number] = [3000, 7000] // C is out for these picks (40 s)
const RETURN_WINDOW = 60

interface Case {
  name: string
  create: () => Scheduler
  /** Allowed difference between a share and the weight share. */
  tolerance: number
  /**
   * Most picks C may get in the first RETURN_WINDOW after it is back. Its fair share is 10; the
   * load-aware methods also fill its in-flight count up to the others' (about 5 more here).
   */
  maxOnReturn: number
}

const CASES: readonly Case[] = [
  { name: 'byrequests', create: () => createByRequests(), tolerance: 0.01, maxOnReturn: 11 },
  { name: 'byrequests, decay 60 s', create: () => createByRequests({ decayInterval: 60_000 }), tolerance: 0.01, maxOnReturn: 11 },
  { name: 'wrr', create: () => createWrr(), tolerance: 0.01, maxOnReturn: 11 },
  { name: 'bytraffic, decay 60 s', create: () => createByTraffic(), tolerance: 0.02, maxOnReturn: 16 },
  { name: 'bytraffic, decay 10 s', create: () => createByTraffic({ decayInterval: 10_000 }), tolerance: 0.02, maxOnReturn: 16 },
  { name: 'bytraffic, no decay', create: () => createByTraffic({ decayInterval: 0 }), tolerance: 0.02, maxOnReturn: 16 },
  { name: 'bybusyness', create: () => createByBusyness(), tolerance: 0.03, maxOnReturn: 14 },
  { name: 'leastconn', create: () => createLeastConn(), tolerance: 0.03, maxOnReturn: 14 },
  { name: 'random two', create: () => createRandom({ random: createSeededRandom(5) }), tolerance: 0.03, maxOnReturn: 16 },
  { name: 'peakewma', create: () => createPeakEwma({ random: createSeededRandom(5) }), tolerance: 0.04, maxOnReturn: 18 },
]

function run(s: Scheduler): string[] {
  const all = testMembers({ A: 3, B: 2, C: 1 })
  const withoutC = all.slice(0, 2)
  const pending: { member: Member; end: number }[] = []
  const routes: string[] = []
  for (let i = 0; i < PICKS; i++) {
    const now = T + i * GAP
    for (let k = pending.length - 1; k >= 0; k--) {
      const p = pending[k] as { member: Member; end: number }
      if (p.end > now) continue
      p.member.counters.inFlight--
      s.record?.(p.member, { bytesIn: 20_000, bytesOut: 500, durationMs: HOLD, now: p.end })
      pending.splice(k, 1)
    }
    const down = i >= DOWN[0] && i < DOWN[1]
    const m = s.pick(down ? withoutC : all, { now }, all) as Member
    m.counters.inFlight++
    pending.push({ member: m, end: now + HOLD })
    routes.push(m.route as string)
  }
  return routes
}

function shares(routes: readonly string[], from: number, to: number): Record<string, number> {
  const out: Record<string, number> = { A: 0, B: 0, C: 0 }
  for (let i = from; i < to; i++) out[routes[i] as string]! += 1 / (to - from)
  return out
}

describe('ratio tables: C (weight 1 of 3:2:1) is out for 40 s, then back', () => {
  it.each(CASES)('$name', ({ create, tolerance, maxOnReturn }) => {
    const routes = run(create())
    const table = [
      { window: 'before', from: 500, to: DOWN[0], expected: { A: 1 / 2, B: 1 / 3, C: 1 / 6 } },
      { window: 'during', from: DOWN[0] + 100, to: DOWN[1], expected: { A: 3 / 5, B: 2 / 5, C: 0 } },
      { window: 'after', from: DOWN[1] + 500, to: PICKS, expected: { A: 1 / 2, B: 1 / 3, C: 1 / 6 } },
    ]
    for (const { window, from, to, expected } of table) {
      const got = shares(routes, from, to)
      for (const r of ['A', 'B', 'C']) {
        expect(Math.abs((got[r] as number) - (expected as Record<string, number>)[r]!), `${window}: share of ${r}`).toBeLessThanOrEqual(tolerance)
      }
    }
    const onReturn = routes.slice(DOWN[1], DOWN[1] + RETURN_WINDOW).filter((r) => r === 'C').length
    expect(onReturn, 'C in the first picks after its return').toBeLessThanOrEqual(maxOnReturn)
    expect(onReturn, 'C gets traffic again at once').toBeGreaterThanOrEqual(5)
  })
})
