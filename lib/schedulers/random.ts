/**
 * `random`: power of two choices. Draw `draws` distinct candidates at random, each with probability
 * proportional to its weight, and take the one with the fewest requests in flight per unit of
 * weight (the first drawn on ties).
 *
 * Peers: nginx `random two` (two weighted draws, then `least_conn` between them; plain `random` is
 * `draws: 1`) and HAProxy `balance random(<draws>)` (default 2). Sampling two instead of scanning all
 * avoids the herd that "least loaded" causes when load information is stale, and is almost as good
 * as scanning (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001).
 *
 * The random source is injectable (`random`), so tests can use a seeded PRNG
 * (`createSeededRandom`) and golden sequences.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import { int } from '../validate.js'
import type { Scheduler } from './scheduler.js'
import { pickTime, resolveRandom, WeightedDraws } from './shared.js'

/**
 * Options of {@link createRandom}.
 *
 * @example
 * ```ts
 * createBalancer({ members, scheduler: createRandom({ draws: 1 }) })   // plain weighted random (nginx `random`)
 * createRandom({ random: createSeededRandom(42) })                    // repeatable picks, for tests
 * ```
 */
export interface RandomOptions {
  /**
   * Candidates drawn per pick (an integer 1–100); the least loaded of them wins. `1` is plain
   * weighted random (nginx `random`).
   *
   * Default: `2` (nginx `random two`, HAProxy `random(2)`).
   */
  draws?: number
  /**
   * The random source: a function returning a number in [0, 1).
   *
   * Default: `Math.random`.
   */
  random?: () => number
}

/**
 * Validates a `draws` option.
 *
 * @throws {InvalidOptionError} naming `draws`.
 * @internal
 */
export function resolveDraws(value: unknown, fallback: number): number {
  return int('draws', value, { min: 1, max: 100, default: fallback })
}

/** Requests in flight per unit of weight; a weight-0 member loses to any other. */
function loadOf(member: Member, weight: number): number {
  const inFlight = member.counters.inFlight
  return weight <= 0 ? Infinity : (inFlight > 0 ? inFlight : 0) / weight
}

/**
 * Creates a power-of-two-choices scheduler.
 *
 * @throws {InvalidOptionError} naming `draws` or `random`.
 *
 * @example
 * ```ts
 * const scheduler = createRandom() // random two
 * const seeded = createRandom({ draws: 2, random: createSeededRandom(7) })
 * ```
 */
export function createRandom(options: RandomOptions = {}): Scheduler {
  const draws = resolveDraws(options.draws, 2)
  const sampler = new WeightedDraws(resolveRandom(options.random))
  return {
    name: 'random',
    pick(candidates, ctx) {
      return sampler.lowestOf(candidates, draws, pickTime(ctx), loadOf)
    },
  }
}
