import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Member } from '../members/member.js'
import { HealthChecker } from './health-checker.js'
import { parseStatusSet, resolveHealthCheckOptions } from './health-check-options.js'

function members(...ids: string[]): Member[] {
  return ids.map((id, i) => new Member({ url: new URL(`http://127.0.0.1:${i + 1}`), route: id, weight: 1, admin: 'active', slowStartMs: 10_000 }))
}

describe('health-check options', () => {
  it('has defaults and validates with the option name', () => {
    expect(resolveHealthCheckOptions(undefined)).toBe(false)
    expect(resolveHealthCheckOptions(true)).toMatchObject({ interval: 10_000, timeout: 2_000, passes: 1, fails: 1, method: 'GET', path: '/', expect: '200-399' })
    expect(() => resolveHealthCheckOptions({ interval: 5 })).toThrow('health.interval')
    expect(() => resolveHealthCheckOptions({ method: 'POST' as 'GET' })).toThrow('health.method')
    expect(() => resolveHealthCheckOptions({ path: 'x' })).toThrow('health.path')
    expect(() => resolveHealthCheckOptions({ expect: '2xx' })).toThrow('health.expect')
    expect(() => resolveHealthCheckOptions({ timeout: 0 })).toThrow('health.timeout')
    expect(() => resolveHealthCheckOptions({ nope: 1 } as never)).toThrow('health.nope is not a known option (known: interval, timeout, passes, fails, method, path, expect)')
  })

  it('parses status sets', () => {
    const ok = parseStatusSet('200-204, 302') as (s: number) => boolean
    expect([200, 204, 205, 302, 301].map(ok)).toEqual([true, true, false, true, false])
    expect(parseStatusSet('399-200')).toBeUndefined()
  })
})

describe('HealthChecker (fake timers, injected probe)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('puts a member in error after `fails` failed probes and brings it back after `passes`', async () => {
    const [a, b] = members('A', 'B') as [Member, Member]
    const down = new Set<Member>([a])
    const options = resolveHealthCheckOptions({ interval: 1_000, timeout: 500, fails: 2, passes: 3 }) as Exclude<ReturnType<typeof resolveHealthCheckOptions>, false>
    const checker = new HealthChecker(() => [a, b], options, async (m) => {
      if (down.has(m)) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })
    })
    checker.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(a.health).toBe('ok') // one failure of the two needed
    await vi.advanceTimersByTimeAsync(1_000)
    expect(a.health).toBe('error')
    expect(a.lastError?.code).toBe('ECONNREFUSED')
    expect(a.isUsable(Date.now() + 10 ** 9)).toBe(false) // no time-based recovery while checks run
    expect(b.health).toBe('ok')

    down.clear()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(a.health).toBe('error') // two passes of the three needed
    await vi.advanceTimersByTimeAsync(1_000)
    expect(a.health).toBe('ok')
    expect(a.rampStart).toBeGreaterThan(0) // slow start begins on recovery
    checker.stop()
  })

  it('counts a probe that does not answer within `timeout` as failed, and never overlaps probes of a member', async () => {
    const [a] = members('A') as [Member]
    let started = 0
    const options = resolveHealthCheckOptions({ interval: 1_000, timeout: 300 }) as Exclude<ReturnType<typeof resolveHealthCheckOptions>, false>
    const checker = new HealthChecker(() => [a], options, () => {
      started++
      return new Promise(() => {}) // never settles
    })
    checker.start()
    await vi.advanceTimersByTimeAsync(300)
    expect(a.health).toBe('error')
    expect(a.lastError?.code).toBe('LB_ERR_HEALTH_CHECK_TIMEOUT')
    await vi.advanceTimersByTimeAsync(3_000)
    expect(started).toBe(4) // one per interval; each timed out before the next
    checker.stop()
  })

  it('does not probe stopped members', async () => {
    const [a, b] = members('A', 'B') as [Member, Member]
    b.setAdmin('stopped')
    const probed: string[] = []
    const options = resolveHealthCheckOptions({ interval: 1_000 }) as Exclude<ReturnType<typeof resolveHealthCheckOptions>, false>
    const checker = new HealthChecker(() => [a, b], options, async (m) => {
      probed.push(m.id)
    })
    await checker.runOnce()
    expect(probed).toEqual(['A'])
  })
})
