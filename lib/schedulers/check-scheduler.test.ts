import { describe, expect, it } from 'vitest'
import { checkScheduler, createByRequests, SCHEDULER_CHECKS, type Scheduler } from '../index.js'

describe('checkScheduler (shipped for custom schedulers, any test runner)', () => {
  it('returns no violations for a conforming scheduler', () => {
    expect(checkScheduler(() => createByRequests())).toEqual([])
  })

  it('names each broken check with a message', () => {
    // Always the first candidate: ignores weights and slow start; keeps nothing.
    const first = (): Scheduler => ({ name: 'first', pick: (candidates) => candidates[0] })
    expect(checkScheduler(first).map((v) => v.check)).toEqual(['weights', 'weight-zero', 'slow-start'])
    // Keeps the first candidates array it saw and picks from it.
    const keeper = (): Scheduler => {
      let kept: readonly Parameters<Scheduler['pick']>[0][number][] | undefined
      return { name: 'keeper', pick: (candidates) => ((kept ??= candidates)[0]) }
    }
    const violations = checkScheduler(keeper, { only: ['membership', 'reused-array'] })
    expect(violations.map((v) => v.check)).toEqual(['membership', 'reused-array'])
    expect(violations[0]!.message).toMatch(/not a candidate/)
    // A scheduler that throws is a violation, not a crash.
    const thrower = (): Scheduler => ({ name: 'thrower', pick: () => { throw new TypeError('boom') } })
    expect(checkScheduler(thrower, { only: ['single'] })).toEqual([{ check: 'single', message: 'threw TypeError: boom' }])
  })

  it('skips by name, and the weight checks for hash schedulers (weighted: false)', () => {
    const first = (): Scheduler => ({ name: 'first', pick: (candidates) => candidates[0] })
    expect(checkScheduler(first, { skip: { weights: 'x', 'weight-zero': 'x', 'slow-start': 'x' } })).toEqual([])
    expect(checkScheduler(first, { weighted: false })).toEqual([])
    expect(Object.keys(SCHEDULER_CHECKS)).toContain('slow-start')
  })
})
