/**
 * The conformance suite every scheduler of ours runs (in the style of hono's `common.case.test.ts`):
 * each `*.test.ts` calls {@link runSchedulerSuite} with a factory, which registers one vitest test per
 * check of the shipped, framework-free {@link checkScheduler} (what users run on their own
 * schedulers). vitest never runs this file on its own (it is not named `*.test.ts`).
 *
 * @module
 * @internal
 */
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { Member } from '../members/member.js'
import { checkScheduler, SCHEDULER_CHECKS, type SchedulerCheck } from './check-scheduler.js'
import type { Scheduler } from './scheduler.js'

export type SuiteCase = SchedulerCheck

export interface SchedulerSuiteOptions {
  /** Shown in the test names. */
  name: string
  /** A fresh scheduler (seed any randomness here so runs are reproducible). */
  create: () => Scheduler
  /** The request of the i-th pick, for schedulers that hash on it. Default: none. */
  request?: (i: number) => IncomingMessage
  /** Whether shares follow weights over many picks (`false`: hash schedulers). Default: `true`. */
  weighted?: boolean
  /** Largest allowed difference between a member's share and weight ÷ total. Default: `0.01`. */
  tolerance?: number
  /** Cases to skip, each with the reason. */
  skip?: Partial<Record<SuiteCase, string>>
}

const T0 = 1_700_000_000_000

let port = 20_000

/** Members named by route with the given weights, in order: `testMembers({ A: 3, B: 1 })`. */
export function testMembers(weights: Record<string, number>): Member[] {
  return Object.entries(weights).map(([route, weight]) => new Member({ url: new URL(`http://127.0.0.1:${port++}`), route, weight, admin: 'active' }))
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

/**
 * Registers the conformance suite for one scheduler: one test per check of {@link checkScheduler}.
 *
 * @example
 * ```ts
 * runSchedulerSuite({ name: 'leastconn', create: () => createLeastConn() })
 * runSchedulerSuite({ name: 'random', create: () => createRandom({ random: createSeededRandom(1) }), tolerance: 0.03 })
 * ```
 */
export function runSchedulerSuite(options: SchedulerSuiteOptions): void {
  const { name, create, skip = {}, ...checkOptions } = options
  const weighted = options.weighted ?? true
  describe(`${name}: scheduler conformance`, () => {
    for (const [check, title] of Object.entries(SCHEDULER_CHECKS) as [SchedulerCheck, string][]) {
      const reason = skip[check] ?? (!weighted && (check === 'weights' || check === 'weight-zero') ? 'not weight-proportional by design (weighted: false)' : undefined)
      if (reason !== undefined) {
        it.skip(`${title} (skipped: ${reason})`, () => {})
        continue
      }
      it(title, () => {
        expect(checkScheduler(create, { ...checkOptions, only: [check] })).toEqual([])
      })
    }
  })
}
