/**
 * The conformance suite every scheduler runs (in the style of hono's `common.case.test.ts`): each
 * `*.test.ts` calls {@link runSchedulerSuite} with a factory, and vitest never runs this file on its
 * own (it is not named `*.test.ts`).
 *
 * What it checks, for 1, 2, 8 and 64 members:
 * - `undefined` for no candidates; the only candidate when there is one;
 * - never a member outside `candidates`, whatever the subset, the load, or the records;
 * - the `candidates` array is not kept: the suite reuses and overwrites it after each pick, as the
 *   balancer does, and a poisoned array must never leak into a later pick;
 * - members added and removed (with `forget`) at any time; `forget` and `record` of unknown members;
 * - after `forget` of every member, the same picks as a fresh scheduler (deterministic ones);
 * - shares that follow the weights over many picks, and weight 0 never picked while others have
 *   weight (weighted schedulers; hash schedulers opt out with `weighted: false`);
 * - no `ctx.now`, a clock that steps back, and one that jumps far ahead.
 *
 * @module
 * @internal
 */
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Member } from '../members/member.js'
import type { PickContext, Scheduler } from './scheduler.js'
import { createSeededRandom } from './shared.js'

/** The cases of the suite, by name, for `skip`. */
export const SUITE_CASES = [
  'empty',
  'single',
  'membership',
  'reused-array',
  'add-remove',
  'forget-resets',
  'weights',
  'weight-zero',
  'slow-start',
  'clock',
  'record',
] as const
export type SuiteCase = (typeof SUITE_CASES)[number]

export interface SchedulerSuiteOptions {
  /** Shown in the test names. */
  name: string
  /** A fresh scheduler (seed any randomness here so runs are reproducible). */
  create: () => Scheduler
  /** The request of the i-th pick, for schedulers that hash on it. Default: none. */
  request?: (i: number) => IncomingMessage
  /**
   * Whether shares follow weights over many picks. `false` for schedulers that are not weight
   * proportional by design (hash schedulers over few keys). Default: `true`.
   */
  weighted?: boolean
  /** Largest allowed difference between a member's share and weight ÷ total. Default: `0.01`. */
  tolerance?: number
  /** Cases to skip, each with the reason. */
  skip?: Partial<Record<SuiteCase, string>>
}

const SIZES = [1, 2, 8, 64] as const
const T0 = 1_700_000_000_000

let port = 20_000

/** Members named by route with the given weights, in order: `testMembers({ A: 3, B: 1 })`. */
export function testMembers(weights: Record<string, number>): Member[] {
  return Object.entries(weights).map(([route, weight]) => makeMember(route, weight))
}

/** `count` picks over `candidates` at `now`, as a string of routes (`'-'` for none): `'AABA'`. */
export function pickString(scheduler: Scheduler, candidates: readonly Member[], count: number, now = T0, all: readonly Member[] = candidates): string {
  let out = ''
  for (let i = 0; i < count; i++) out += scheduler.pick(candidates, { now }, all)?.route ?? '-'
  return out
}

/** A random source that returns `values` in turn (and then repeats them), for hand-checked sequences. */
export function scriptedRandom(values: readonly number[]): () => number {
  let i = 0
  return () => values[i++ % values.length] as number
}

function makeMember(route: string, weight = 1): Member {
  return new Member({ url: new URL(`http://127.0.0.1:${port++}`), route, weight, admin: 'active' })
}
function makeMembers(n: number, weight: (i: number) => number = () => 1): Member[] {
  return Array.from({ length: n }, (_, i) => makeMember(`m${i}`, weight(i)))
}

/**
 * Registers the conformance suite for one scheduler.
 *
 * @example
 * ```ts
 * runSchedulerSuite({ name: 'leastconn', create: () => createLeastConn() })
 * runSchedulerSuite({ name: 'random', create: () => createRandom({ random: createSeededRandom(1) }), tolerance: 0.03 })
 * ```
 */
export function runSchedulerSuite(options: SchedulerSuiteOptions): void {
  const { name, create, request } = options
  const weighted = options.weighted ?? true
  const tolerance = options.tolerance ?? 0.01
  const skip = options.skip ?? {}

  function ctxOf(i: number, now: number | undefined = T0 + i * 10): PickContext {
    const req = request?.(i)
    return now === undefined ? (req === undefined ? {} : { req }) : req === undefined ? { now } : { req, now }
  }

  function test(which: SuiteCase, title: string, fn: () => void): void {
    const reason = skip[which] ?? (!weighted && (which === 'weights' || which === 'weight-zero' || which === 'slow-start') ? 'not weight-proportional by design (weighted: false)' : undefined)
    if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn)
    else it(title, fn)
  }

  describe(`${name}: scheduler conformance`, () => {
    test('empty', 'returns undefined for no candidates, and picks normally afterwards', () => {
      const s = create()
      const all = makeMembers(3)
      expect(s.pick([], ctxOf(0), all)).toBeUndefined()
      expect(s.pick([], ctxOf(1), [])).toBeUndefined()
      for (let i = 2; i < 10; i++) expect(all).toContain(s.pick(all, ctxOf(i), all))
    })

    test('single', 'returns the only candidate', () => {
      for (const n of SIZES) {
        const s = create()
        const all = makeMembers(n, (i) => 1 + (i % 3))
        for (let i = 0; i < 30; i++) {
          const only = all[i % n] as Member
          expect(s.pick([only], ctxOf(i), all)).toBe(only)
        }
      }
    })

    test('membership', 'never picks a member outside the candidates, with 1, 2, 8 and 64 members under load', () => {
      for (const n of SIZES) {
        const s = create()
        const rnd = createSeededRandom(n)
        const all = makeMembers(n, (i) => 1 + (i % 4))
        const inFlight: Member[] = []
        for (let i = 0; i < 600; i++) {
          const candidates = all.filter(() => rnd() < 0.6)
          if (candidates.length === 0) candidates.push(all[i % n] as Member)
          const picked = s.pick(candidates, ctxOf(i), all)
          expect(picked, `${n} members, pick ${i}`).toBeDefined()
          expect(candidates).toContain(picked)
          const m = picked as Member
          m.counters.inFlight++
          inFlight.push(m)
          // finish some exchanges, in no particular order
          while (inFlight.length > 0 && rnd() < 0.55) {
            const done = inFlight.splice(Math.floor(rnd() * inFlight.length), 1)[0] as Member
            done.counters.inFlight--
            s.record?.(done, { bytesIn: Math.floor(rnd() * 100_000), bytesOut: 200, durationMs: 1 + rnd() * 200, now: T0 + i * 10 })
          }
        }
        for (const m of inFlight) m.counters.inFlight--
      }
    })

    test('reused-array', 'does not keep the candidates array: it is reused and overwritten after every pick', () => {
      for (const n of SIZES) {
        const s = create()
        const rnd = createSeededRandom(100 + n)
        const all = makeMembers(n, (i) => 1 + (i % 3))
        const poison = makeMembers(4)
        const shared: Member[] = []
        for (let i = 0; i < 300; i++) {
          shared.length = 0
          for (const m of all) if (rnd() < 0.7) shared.push(m)
          if (shared.length === 0) shared.push(all[0] as Member)
          const snapshot = [...shared]
          const picked = s.pick(shared, ctxOf(i), all)
          expect(snapshot).toContain(picked)
          // what the balancer may do to its array once the pick returned
          shared.length = 0
          shared.push(...poison)
          if (picked !== undefined) s.record?.(picked, { bytesIn: 1000, bytesOut: 10, durationMs: 5, now: T0 + i * 10 })
        }
        // a pick on another array never sees the poisoned one
        for (let i = 0; i < 50; i++) expect(all).toContain(s.pick(all, ctxOf(1000 + i), all))
      }
    })

    test('add-remove', 'follows members joining and leaving (with forget), and tolerates unknown members', () => {
      for (const n of SIZES) {
        const s = create()
        const rnd = createSeededRandom(200 + n)
        let all = makeMembers(n)
        const stranger = makeMember('stranger')
        expect(() => s.forget?.(stranger)).not.toThrow()
        expect(() => s.record?.(stranger, { bytesIn: 1, bytesOut: 1, durationMs: 1 })).not.toThrow()
        for (let i = 0; i < 400; i++) {
          if (rnd() < 0.1 && all.length > 1) {
            const gone = all[Math.floor(rnd() * all.length)] as Member
            all = all.filter((m) => m !== gone)
            s.forget?.(gone)
            s.forget?.(gone) // twice is harmless
          }
          if (rnd() < 0.1) all = [...all, makeMember(`new${i}`, 1 + Math.floor(rnd() * 5))]
          const picked = s.pick(all, ctxOf(i), all)
          expect(all).toContain(picked)
          s.record?.(picked as Member, { bytesIn: 500, bytesOut: 0, durationMs: 3, now: T0 + i * 10 })
        }
      }
    })

    test('forget-resets', 'after forgetting every member, picks as a fresh scheduler does', () => {
      for (const n of SIZES) {
        const used = create()
        const all = makeMembers(n, (i) => 1 + (i % 3))
        for (let i = 0; i < 97; i++) {
          const picked = used.pick(all, ctxOf(i), all) as Member
          used.record?.(picked, { bytesIn: 10_000 * (i % 7), bytesOut: 0, durationMs: 10 + (i % 13), now: T0 + i * 10 })
        }
        for (const m of all) used.forget?.(m)
        const fresh = create()
        const a: (string | undefined)[] = []
        const b: (string | undefined)[] = []
        for (let i = 0; i < 50; i++) {
          a.push(used.pick(all, ctxOf(500 + i), all)?.route)
          b.push(fresh.pick(all, ctxOf(500 + i), all)?.route)
        }
        expect(a, `${n} members`).toEqual(b)
      }
    })

    const RATIO_CASES: readonly [string, readonly number[]][] = [
      ['1:1', [1, 1]],
      ['3:1', [3, 1]],
      ['5:1:1', [5, 1, 1]],
      ['1:2:3:4', [1, 2, 3, 4]],
      ['8 members 1..8', [1, 2, 3, 4, 5, 6, 7, 8]],
      ['64 members', Array.from({ length: 64 }, (_, i) => 1 + (i % 5))],
    ]
    for (const [title, weights] of RATIO_CASES) {
      test('weights', `shares follow the weights ${title} (±${tolerance * 100} %)`, () => {
        const s = create()
        const all = weights.map((w, i) => makeMember(`w${i}`, w))
        const total = weights.reduce((x, y) => x + y, 0)
        const picks = weights.length > 8 ? 64_000 : 20_000
        const counts = new Map<Member, number>()
        for (let i = 0; i < picks; i++) {
          const m = s.pick(all, ctxOf(i), all) as Member
          counts.set(m, (counts.get(m) ?? 0) + 1)
        }
        all.forEach((m, i) => {
          const share = (counts.get(m) ?? 0) / picks
          expect(Math.abs(share - (weights[i] as number) / total), `share of ${m.route}`).toBeLessThanOrEqual(tolerance)
        })
      })
    }

    test('slow-start', 'reads weights through effectiveWeight: a member in slow start gets its ramped share', () => {
      const s = create()
      const steady = makeMember('steady', 1)
      // ramping from T0 over a very long slowStart: a tenth of its weight for every pick below
      const ramping = new Member({ url: new URL(`http://127.0.0.1:${port++}`), route: 'ramping', weight: 1, admin: 'active', slowStartMs: 1_000_000_000 })
      ramping.rampStart = T0
      const all = [steady, ramping]
      const picks = 20_000
      let rampingPicks = 0
      for (let i = 0; i < picks; i++) if (s.pick(all, ctxOf(i), all) === ramping) rampingPicks++
      // 0.1 : 1 → 1/11 of the picks (an equal weight would give a half)
      expect(Math.abs(rampingPicks / picks - 1 / 11), 'share of the ramping member').toBeLessThanOrEqual(tolerance)
    })

    test('weight-zero', 'never picks a weight-0 member while another has weight; all weight 0 still picks', () => {
      for (const n of [2, 8, 64]) {
        const s = create()
        const all = makeMembers(n, (i) => (i === 0 ? 0 : 1 + (i % 3)))
        for (let i = 0; i < 1000; i++) {
          const picked = s.pick(all, ctxOf(i), all)
          expect(picked).not.toBe(all[0])
          expect(all).toContain(picked)
        }
        const zeros = makeMembers(n, () => 0)
        const seen = new Set<Member>()
        for (let i = 0; i < 50 * n; i++) {
          const picked = s.pick(zeros, ctxOf(2000 + i), zeros) as Member
          expect(zeros).toContain(picked)
          seen.add(picked)
        }
        expect(seen.size, 'all weight 0 counts as equal weights').toBeGreaterThan(1)
      }
    })

    test('clock', 'works without ctx.now, with a clock stepping back, and after a jump far ahead', () => {
      const s = create()
      const all = makeMembers(8, (i) => 1 + (i % 2))
      for (let i = 0; i < 20; i++) expect(all).toContain(s.pick(all, ctxOf(i, undefined), all))
      for (let i = 0; i < 20; i++) expect(all).toContain(s.pick(all, ctxOf(i, T0 - i * 1000), all))
      for (const m of all) s.record?.(m, { bytesIn: 1e9, bytesOut: 0, durationMs: 100, now: T0 })
      for (let i = 0; i < 20; i++) expect(all).toContain(s.pick(all, ctxOf(i, T0 + 1e12 + i), all))
      for (let i = 0; i < 20; i++) expect(all).toContain(s.pick(all, ctxOf(i, Number.NaN), all))
    })

    test('record', 'takes odd records (zero, negative, NaN, huge) without breaking picks', () => {
      const s = create()
      const all = makeMembers(8)
      const odd = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]
      for (let i = 0; i < 200; i++) {
        const picked = s.pick(all, ctxOf(i), all) as Member
        expect(all).toContain(picked)
        const v = odd[i % odd.length] as number
        s.record?.(picked, { bytesIn: v, bytesOut: v, durationMs: v, now: T0 + i * 10 })
      }
    })
  })
}
