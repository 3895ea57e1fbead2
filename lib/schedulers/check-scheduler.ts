/**
 * The scheduler conformance checks, shipped so that a custom scheduler can be held to the same
 * contract as ours: `checkScheduler(create)` runs every check against fresh schedulers from the
 * factory and returns the violations (an empty array when it conforms). It needs no test
 * framework: call it from vitest, jest, `node:test` or a script. Our own schedulers run it through
 * `conformance.suite.ts`.
 *
 * What it checks, for 1, 2, 8 and 64 members:
 * - `undefined` for no candidates; the only candidate when there is one;
 * - never a member outside `candidates`, whatever the subset, the load, or the records;
 * - the `candidates` array is not kept: it is reused and overwritten after each pick, as the
 *   balancer does, and a poisoned array must never leak into a later pick;
 * - members added and removed (with `forget`) at any time; `forget` and `record` of unknown members;
 * - after `forget` of every member, the same picks as a fresh scheduler (deterministic ones);
 * - shares that follow the weights over many picks, and weight 0 never picked while others have
 *   weight (weighted schedulers);
 * - slow start: a ramping member gets its ramped share (weighted schedulers), or, for hash
 *   schedulers (`weighted: false`), no key moves while a member ramps;
 * - no `ctx.now`, a clock that steps back, and one that jumps far ahead; odd records.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { Member } from '../members/member.js'
import type { PickContext, Scheduler } from './scheduler.js'
import { createSeededRandom } from './shared.js'

/**
 * The checks of {@link checkScheduler}, by name (for `skip` and `only`).
 *
 * @example
 * ```ts
 * checkScheduler(() => createMine(), { skip: { 'forget-resets': 'random picks' } })
 * ```
 */
export const SCHEDULER_CHECKS = Object.freeze({
  empty: 'returns undefined for no candidates, and picks normally afterwards',
  single: 'returns the only candidate',
  membership: 'never picks a member outside the candidates, with 1, 2, 8 and 64 members under load',
  'reused-array': 'does not keep the candidates array: it is reused and overwritten after every pick',
  'add-remove': 'follows members joining and leaving (with forget), and tolerates unknown members',
  'forget-resets': 'after forgetting every member, picks as a fresh scheduler does',
  weights: 'shares follow the weights 1:1, 3:1, 5:1:1, 1:2:3:4, 1..8 and 64 members',
  'weight-zero': 'never picks a weight-0 member while another has weight; all weight 0 still picks',
  'slow-start': 'weighted: a member in slow start gets its ramped share; hash (weighted: false): no key moves while a member ramps',
  clock: 'works without ctx.now, with a clock stepping back, and after a jump far ahead',
  record: 'takes odd records (zero, negative, NaN, huge) without breaking picks',
} as const)

/**
 * The name of one check of {@link checkScheduler}.
 *
 * @example
 * ```ts
 * const skipped: SchedulerCheck = 'forget-resets'
 * ```
 */
export type SchedulerCheck = keyof typeof SCHEDULER_CHECKS

/**
 * Options of {@link checkScheduler}.
 *
 * @example
 * ```ts
 * const options: CheckSchedulerOptions = { request: (i) => fakeRequest(i), weighted: false }
 * ```
 */
export interface CheckSchedulerOptions {
  /** The request of the i-th pick, for schedulers that hash on it. Default: none. */
  request?: (i: number) => IncomingMessage
  /**
   * Whether shares follow weights over many picks. `false` for schedulers that are not weight
   * proportional by design (hash schedulers over few keys). Default: `true`.
   */
  weighted?: boolean
  /** Largest allowed difference between a member's share and weight ÷ total. Default: `0.01`. */
  tolerance?: number
  /** Checks to skip, each with the reason. */
  skip?: Partial<Record<SchedulerCheck, string>>
  /** Run only these checks. Default: all. */
  only?: readonly SchedulerCheck[]
}

/**
 * One way a scheduler broke the contract.
 *
 * @example
 * ```ts
 * // { check: 'membership', message: '8 members, pick 12: picked m3, not a candidate' }
 * ```
 */
export interface SchedulerViolation {
  readonly check: SchedulerCheck
  readonly message: string
}

class Violation extends Error {}

function ensure(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Violation(message)
}

const SIZES = [1, 2, 8, 64] as const
const T0 = 1_700_000_000_000

/**
 * The checks a weighted scheduler skips when it is not weight proportional (`weighted: false`);
 * `slow-start` then checks that keys stay put instead.
 */
const WEIGHT_CHECKS: readonly SchedulerCheck[] = ['weights', 'weight-zero']

/**
 * Checks a scheduler against the contract every scheduler of this package keeps; returns the
 * violations, an empty array when it conforms. Each check gets fresh schedulers from `create`, so
 * seed any randomness there to make runs reproducible.
 *
 * @example
 * ```ts
 * import { checkScheduler } from 'sticky-balancer'
 *
 * // in any test runner
 * expect(checkScheduler(() => createMine())).toEqual([])
 * // a hash scheduler: varied requests, not weight proportional
 * expect(checkScheduler(() => createMyHash(), { request: (i) => ({ headers: { 'x-user': `u${i}` } }) as IncomingMessage, weighted: false })).toEqual([])
 * ```
 */
export function checkScheduler(create: () => Scheduler, options: CheckSchedulerOptions = {}): SchedulerViolation[] {
  const { request } = options
  const weighted = options.weighted ?? true
  const tolerance = options.tolerance ?? 0.01
  const skip = options.skip ?? {}
  let port = 20_000
  const makeMember = (route: string, weight = 1, slowStartMs = 0): Member =>
    new Member({ url: new URL(`http://127.0.0.1:${port++}`), route, weight, admin: 'active', slowStartMs })
  const makeMembers = (n: number, weight: (i: number) => number = () => 1): Member[] =>
    Array.from({ length: n }, (_, i) => makeMember(`m${i}`, weight(i)))
  const ctxOf = (i: number, now: number | undefined = T0 + i * 10): PickContext => {
    const req = request?.(i)
    return now === undefined ? (req === undefined ? {} : { req }) : req === undefined ? { now } : { req, now }
  }
  const contains = (list: readonly Member[], m: Member | undefined): m is Member => m !== undefined && list.includes(m)
  const name = (m: Member | undefined): string => (m === undefined ? 'undefined' : (m.route ?? m.id))

  const checks: Record<SchedulerCheck, () => void> = {
    empty() {
      const s = create()
      const all = makeMembers(3)
      ensure(s.pick([], ctxOf(0), all) === undefined, 'picked a member from no candidates')
      ensure(s.pick([], ctxOf(1), []) === undefined, 'picked a member from no candidates and no members')
      for (let i = 2; i < 10; i++) ensure(contains(all, s.pick(all, ctxOf(i), all)), `pick ${i} after empty picks: not a candidate`)
    },
    single() {
      for (const n of SIZES) {
        const s = create()
        const all = makeMembers(n, (i) => 1 + (i % 3))
        for (let i = 0; i < 30; i++) {
          const only = all[i % n] as Member
          const picked = s.pick([only], ctxOf(i), all)
          ensure(picked === only, `${n} members, pick ${i}: picked ${name(picked)}, not the only candidate ${name(only)}`)
        }
      }
    },
    membership() {
      for (const n of SIZES) {
        const s = create()
        const rnd = createSeededRandom(n)
        const all = makeMembers(n, (i) => 1 + (i % 4))
        const inFlight: Member[] = []
        try {
          for (let i = 0; i < 600; i++) {
            const candidates = all.filter(() => rnd() < 0.6)
            if (candidates.length === 0) candidates.push(all[i % n] as Member)
            const picked = s.pick(candidates, ctxOf(i), all)
            ensure(contains(candidates, picked), `${n} members, pick ${i}: picked ${name(picked)}, not a candidate`)
            picked.counters.inFlight++
            inFlight.push(picked)
            // finish some exchanges, in no particular order
            while (inFlight.length > 0 && rnd() < 0.55) {
              const done = inFlight.splice(Math.floor(rnd() * inFlight.length), 1)[0] as Member
              done.counters.inFlight--
              s.record?.(done, { bytesIn: Math.floor(rnd() * 100_000), bytesOut: 200, durationMs: 1 + rnd() * 200, now: T0 + i * 10 })
            }
          }
        } finally {
          for (const m of inFlight) m.counters.inFlight--
        }
      }
    },
    'reused-array'() {
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
          ensure(contains(snapshot, picked), `${n} members, pick ${i}: picked ${name(picked)}, not a candidate`)
          // what the balancer may do to its array once the pick returned
          shared.length = 0
          shared.push(...poison)
          s.record?.(picked, { bytesIn: 1000, bytesOut: 10, durationMs: 5, now: T0 + i * 10 })
        }
        // a pick on another array never sees the poisoned one
        for (let i = 0; i < 50; i++) {
          const picked = s.pick(all, ctxOf(1000 + i), all)
          ensure(contains(all, picked), `${n} members: picked ${name(picked)} from a candidates array it kept`)
        }
      }
    },
    'add-remove'() {
      for (const n of SIZES) {
        const s = create()
        const rnd = createSeededRandom(200 + n)
        let all = makeMembers(n)
        const stranger = makeMember('stranger')
        s.forget?.(stranger)
        s.record?.(stranger, { bytesIn: 1, bytesOut: 1, durationMs: 1 })
        for (let i = 0; i < 400; i++) {
          if (rnd() < 0.1 && all.length > 1) {
            const gone = all[Math.floor(rnd() * all.length)] as Member
            all = all.filter((m) => m !== gone)
            s.forget?.(gone)
            s.forget?.(gone) // twice is harmless
          }
          if (rnd() < 0.1) all = [...all, makeMember(`new${i}`, 1 + Math.floor(rnd() * 5))]
          const picked = s.pick(all, ctxOf(i), all)
          ensure(contains(all, picked), `${n} members at first, pick ${i}: picked ${name(picked)}, not a current member`)
          s.record?.(picked, { bytesIn: 500, bytesOut: 0, durationMs: 3, now: T0 + i * 10 })
        }
      }
    },
    'forget-resets'() {
      for (const n of SIZES) {
        const used = create()
        const all = makeMembers(n, (i) => 1 + (i % 3))
        for (let i = 0; i < 97; i++) {
          const picked = used.pick(all, ctxOf(i), all)
          if (picked) used.record?.(picked, { bytesIn: 10_000 * (i % 7), bytesOut: 0, durationMs: 10 + (i % 13), now: T0 + i * 10 })
        }
        for (const m of all) used.forget?.(m)
        const fresh = create()
        for (let i = 0; i < 50; i++) {
          const a = used.pick(all, ctxOf(500 + i), all)
          const b = fresh.pick(all, ctxOf(500 + i), all)
          ensure(a === b, `${n} members, pick ${i} after forget: ${name(a)} where a fresh scheduler picks ${name(b)}`)
        }
      }
    },
    weights() {
      const cases: readonly [string, readonly number[]][] = [
        ['1:1', [1, 1]],
        ['3:1', [3, 1]],
        ['5:1:1', [5, 1, 1]],
        ['1:2:3:4', [1, 2, 3, 4]],
        ['8 members 1..8', [1, 2, 3, 4, 5, 6, 7, 8]],
        ['64 members', Array.from({ length: 64 }, (_, i) => 1 + (i % 5))],
      ]
      for (const [title, weights] of cases) {
        const s = create()
        const all = weights.map((w, i) => makeMember(`w${i}`, w))
        const total = weights.reduce((x, y) => x + y, 0)
        const picks = weights.length > 8 ? 64_000 : 20_000
        const counts = new Map<Member, number>()
        for (let i = 0; i < picks; i++) {
          const m = s.pick(all, ctxOf(i), all)
          ensure(contains(all, m), `weights ${title}, pick ${i}: picked ${name(m)}, not a candidate`)
          counts.set(m, (counts.get(m) ?? 0) + 1)
        }
        all.forEach((m, i) => {
          const share = (counts.get(m) ?? 0) / picks
          const expected = (weights[i] as number) / total
          ensure(Math.abs(share - expected) <= tolerance, `weights ${title}: ${name(m)} got ${(share * 100).toFixed(2)} % of the picks, not ${(expected * 100).toFixed(2)} % (±${tolerance * 100} %)`)
        })
      }
    },
    'weight-zero'() {
      for (const n of [2, 8, 64]) {
        const s = create()
        const all = makeMembers(n, (i) => (i === 0 ? 0 : 1 + (i % 3)))
        for (let i = 0; i < 1000; i++) {
          const picked = s.pick(all, ctxOf(i), all)
          ensure(contains(all, picked), `${n} members, pick ${i}: picked ${name(picked)}, not a candidate`)
          ensure(picked !== all[0], `${n} members, pick ${i}: picked the weight-0 member while others have weight`)
        }
        const zeros = makeMembers(n, () => 0)
        const seen = new Set<Member>()
        for (let i = 0; i < 50 * n; i++) {
          const picked = s.pick(zeros, ctxOf(2000 + i), zeros)
          ensure(contains(zeros, picked), `${n} members all of weight 0, pick ${i}: picked ${name(picked)}`)
          seen.add(picked)
        }
        ensure(seen.size > 1, `${n} members all of weight 0: always the same member (all weight 0 counts as equal weights)`)
      }
    },
    'slow-start'() {
      if (weighted) {
        const s = create()
        const steady = makeMember('steady', 1)
        // ramping from T0 over a very long slowStart: a tenth of its weight for every pick below
        const ramping = makeMember('ramping', 1, 1_000_000_000)
        ramping.rampStart = T0
        const all = [steady, ramping]
        const picks = 20_000
        let rampingPicks = 0
        for (let i = 0; i < picks; i++) if (s.pick(all, ctxOf(i), all) === ramping) rampingPicks++
        // 0.1 : 1 → 1/11 of the picks (an equal weight would give a half)
        const share = rampingPicks / picks
        ensure(Math.abs(share - 1 / 11) <= tolerance, `a member in slow start (a tenth of its weight) got ${(share * 100).toFixed(2)} % of the picks, not ${(100 / 11).toFixed(2)} %: weights are not read through effectiveWeight()`)
        return
      }
      // Hash schedulers: a ramp must not move keys (to another member when it starts, back when it ends).
      const calm = create()
      const ramped = create()
      const a = makeMembers(8, (i) => 1 + (i % 3))
      const b = a.map((m) => makeMember(m.route as string, m.weight, 1_000_000_000))
      ;(b[3] as Member).rampStart = T0
      ;(b[5] as Member).rampStart = T0
      for (let i = 0; i < 2000; i++) {
        const x = calm.pick(a, ctxOf(i), a)
        const y = ramped.pick(b, ctxOf(i), b)
        ensure(a.indexOf(x as Member) === b.indexOf(y as Member), `pick ${i}: the key went to ${name(y)} instead of ${name(x)} while members ramp: a hash scheduler must use the configured weight`)
      }
    },
    clock() {
      const s = create()
      const all = makeMembers(8, (i) => 1 + (i % 2))
      const steps: [string, (i: number) => PickContext][] = [
        ['without ctx.now', (i) => ctxOf(i, undefined)],
        ['with a clock stepping back', (i) => ctxOf(i, T0 - i * 1000)],
      ]
      for (const [what, ctx] of steps) {
        for (let i = 0; i < 20; i++) ensure(contains(all, s.pick(all, ctx(i), all)), `${what}, pick ${i}: not a candidate`)
      }
      for (const m of all) s.record?.(m, { bytesIn: 1e9, bytesOut: 0, durationMs: 100, now: T0 })
      for (let i = 0; i < 20; i++) ensure(contains(all, s.pick(all, ctxOf(i, T0 + 1e12 + i), all)), `after a jump far ahead, pick ${i}: not a candidate`)
      for (let i = 0; i < 20; i++) ensure(contains(all, s.pick(all, ctxOf(i, Number.NaN), all)), `with now = NaN, pick ${i}: not a candidate`)
    },
    record() {
      const s = create()
      const all = makeMembers(8)
      const odd = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]
      for (let i = 0; i < 200; i++) {
        const picked = s.pick(all, ctxOf(i), all)
        ensure(contains(all, picked), `after odd records, pick ${i}: picked ${name(picked)}, not a candidate`)
        const v = odd[i % odd.length] as number
        s.record?.(picked, { bytesIn: v, bytesOut: v, durationMs: v, now: T0 + i * 10 })
      }
    },
  }

  const violations: SchedulerViolation[] = []
  for (const check of Object.keys(SCHEDULER_CHECKS) as SchedulerCheck[]) {
    if (options.only !== undefined && !options.only.includes(check)) continue
    if (skip[check] !== undefined || (!weighted && WEIGHT_CHECKS.includes(check))) continue
    try {
      checks[check]()
    } catch (err) {
      const message = err instanceof Violation ? err.message : `threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`
      violations.push({ check, message })
    }
  }
  return violations
}
