/**
 * Complexity checks that hold on a loaded machine: they compare the cost of one input with the
 * cost of the same input `factor` times larger, instead of timing one size against a budget.
 * Linear work grows by `factor`, quadratic by `factor²`; a bound in between tells them apart.
 *
 * - {@link countingArray}: counts element reads of an array (through a Proxy), an exact operation
 *   count where the code under test walks an array;
 * - {@link timeGrowth}: the ratio of the fastest wall times of many rounds, sizes measured in
 *   alternation (so a burst of load hits both), each measurement long enough to be above timer
 *   noise. The fastest round is the one least disturbed by other processes and by GC.
 */

/** A view of `items` whose element reads (`view[i]`, and every read array methods make) are counted. */
export function countingArray<T>(items: readonly T[]): { view: T[]; reads: () => number } {
  let reads = 0
  const view = new Proxy(items as T[], {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++
      return Reflect.get(target, key, receiver) as unknown
    },
  })
  return { view, reads: () => reads }
}

/**
 * How much longer `work(n * factor)` takes than `work(n)`: the ratio of the fastest times over
 * `rounds` alternated measurements. `prepare(size)` builds the input outside the timing and returns the work.
 */
export function timeGrowth(prepare: (size: number) => () => void, n: number, factor = 4, rounds = 101): number {
  const small = prepare(n)
  const large = prepare(n * factor)
  // enough calls per measurement that the small size takes at least ~1 ms: short enough that many
  // rounds run without being preempted on a busy machine, long enough for the timer
  let calls = 1
  for (;;) {
    const started = performance.now()
    for (let i = 0; i < calls; i++) small()
    if (performance.now() - started >= 1 || calls >= 1 << 20) break
    calls *= 2
  }
  const measure = (work: () => void): number => {
    const started = performance.now()
    for (let i = 0; i < calls; i++) work()
    return performance.now() - started
  }
  // warm both sizes up (JIT) before measuring
  for (let i = 0; i < Math.min(20, rounds); i++) {
    measure(small)
    measure(large)
  }
  const smallTimes: number[] = []
  const largeTimes: number[] = []
  for (let r = 0; r < rounds; r++) {
    smallTimes.push(measure(small))
    largeTimes.push(measure(large))
  }
  return Math.min(...largeTimes) / Math.max(Math.min(...smallTimes), 1e-3)
}
