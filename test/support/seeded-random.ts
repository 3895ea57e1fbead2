/**
 * Seeded random numbers for tests, so a failure driven by random input can be replayed.
 *
 * Every call to `seededRandom(label)` starts a generator (mulberry32) from one seed: `TEST_SEED`
 * from the environment when set, else a seed drawn once per test file. When a test that drew from
 * it fails, the seed is printed with the command that replays it (`TEST_SEED=<seed> npx vitest …`).
 */
import { randomInt } from 'node:crypto'
import { onTestFailed } from 'vitest'
import { createSeededRandom } from '../../lib/schedulers/shared.js'

/** Parses `TEST_SEED`: a non-negative integer below 2^32; throws on anything else. */
export function parseSeed(text: string): number {
  const seed = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seed) || seed >= 2 ** 32) {
    throw new Error(`TEST_SEED must be an integer from 0 to ${2 ** 32 - 1}, got ${JSON.stringify(text)}`)
  }
  return seed
}

/** The seed of this test file: `TEST_SEED`, or a fresh one. */
export const testSeed: number = process.env.TEST_SEED !== undefined ? parseSeed(process.env.TEST_SEED) : randomInt(2 ** 32 - 1)

/** mulberry32: a small 32-bit generator, uniform in [0, 1); pure given its seed (the one `createRandom` takes). */
export const mulberry32: (seed: number) => () => number = createSeededRandom

/** Labels get distinct streams from one seed, so adding a generator does not shift the others. */
function labelHash(label: string): number {
  let h = 2166136261
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619)
  return h >>> 0
}

/**
 * A generator like `Math.random` for the test running now (or for the file, when called outside a
 * test), seeded from {@link testSeed} and `label`. A failure of the running test prints the seed.
 */
export function seededRandom(label: string): () => number {
  try {
    onTestFailed(() => {
      console.error(`random input "${label}" used seed ${testSeed}; replay with TEST_SEED=${testSeed}`)
    })
  } catch {
    // Outside a running test (a module-level generator): the seed is printed by the reporter below.
    reportSeedAtFileLevel()
  }
  return mulberry32(testSeed ^ labelHash(label))
}

let fileLevelReported = false
function reportSeedAtFileLevel(): void {
  if (fileLevelReported) return
  fileLevelReported = true
  if (process.env.TEST_SEED === undefined) console.info(`random test input seed ${testSeed} (replay with TEST_SEED=${testSeed})`)
}
