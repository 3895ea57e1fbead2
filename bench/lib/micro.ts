/**
 * Micro-benchmark helpers (no network): time per call and heap bytes per call of a function.
 * Results are counted into a sink so the calls cannot be optimised away.
 */

let sink = 0

/** How many calls returned something (proof the work was done). */
export function sinkCount(): number {
  return sink
}

/** Median ns per call over 7 rounds of `iterations` calls, after a warm-up. */
export function nsPerCall(fn: (i: number) => unknown, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(i)
  const rounds: number[] = []
  for (let r = 0; r < 7; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < iterations; i++) if (fn(i) !== undefined) sink++
    rounds.push(Number(process.hrtime.bigint() - start) / iterations)
  }
  rounds.sort((a, b) => a - b)
  return rounds[3] as number
}

/**
 * Bytes allocated per call: the heap growth over a burst of calls too short to trigger a scavenge
 * (run with `--expose-gc --max-semi-space-size=64`); `NaN` without gc or when a collection still
 * happened inside the burst.
 */
export function bytesPerCall(fn: (i: number) => unknown, calls: number): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return Number.NaN
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < calls; i++) if (fn(i) !== undefined) sink++
  const grown = process.memoryUsage().heapUsed - before
  return grown < 0 ? Number.NaN : grown / calls
}
