import { describe, expect, it } from 'vitest'
import { effectiveWeight } from './effective-weight.js'
import { Member } from './member.js'
import type { MemberEvents } from './member.js'
import { HEALTH_TRANSITIONS, canTransition } from './member-state.js'

function member(extra: Partial<ConstructorParameters<typeof Member>[0]> = {}): { m: Member; changes: string[] } {
  const m = new Member({ url: new URL('http://127.0.0.1:1'), route: 'A', weight: 10, admin: 'active', ...extra })
  const changes: string[] = []
  m.on('state', (c: MemberEvents['state'][0]) => changes.push(`${c.previousHealth}>${c.health}:${c.reason}`))
  return { m, changes }
}

const boom = { code: 'LB_ERR_UPSTREAM_CONNECT', message: 'refused' }

describe('member health transitions', () => {
  it('follows ok → error → recovering → ok, with an event on each change', () => {
    const { m, changes } = member()
    expect(m.markError(1_000, 500, boom)).toBe(true)
    expect(m.isUsable(1_200)).toBe(false)
    expect(m.retryAt).toBe(1_500)
    expect(m.isUsable(1_500)).toBe(true)
    expect(m.health).toBe('error') // a query: only refresh() moves it
    m.refresh(1_500)
    expect(m.health).toBe('recovering')
    m.markOk(1_600)
    expect(changes).toEqual(['ok>error:LB_ERR_UPSTREAM_CONNECT', 'error>recovering:retry interval elapsed', 'recovering>ok:request succeeded'])
    expect(m.retryAt).toBe(0)
  })

  it('goes back to error when the probe request fails while recovering', () => {
    const { m, changes } = member()
    m.markError(0, 100, boom)
    m.refresh(100)
    m.markError(150, 100, boom)
    expect(m.health).toBe('error')
    expect(m.isUsable(200)).toBe(false)
    expect(changes.at(-1)).toBe('recovering>error:LB_ERR_UPSTREAM_CONNECT')
  })

  it('stays out until an active check passes when retry is Infinity', () => {
    const { m } = member()
    m.markError(0, Infinity, boom)
    m.refresh(10 ** 12)
    expect(m.isUsable(10 ** 12)).toBe(false)
    expect(m.health).toBe('error')
    m.markOk(5, 'active check passed')
    expect(m.health).toBe('ok')
  })

  it('enters error only after maxFails failures in a row; a success resets the count', () => {
    const { m } = member()
    expect(m.markError(0, 1_000, boom, 3)).toBe(false)
    expect(m.markError(0, 1_000, boom, 3)).toBe(false)
    m.markOk(0)
    expect(m.consecutiveFailures).toBe(0)
    m.markError(0, 1_000, boom, 3)
    m.markError(0, 1_000, boom, 3)
    expect(m.markError(0, 1_000, boom, 3)).toBe(true)
    expect(m.health).toBe('error')
  })

  it('never enters error with ignoreErrors (status I), but remembers the failure', () => {
    const { m, changes } = member({ ignoreErrors: true })
    expect(m.markError(7, 1_000, boom)).toBe(false)
    expect(m.health).toBe('ok')
    expect(m.lastError).toMatchObject({ code: 'LB_ERR_UPSTREAM_CONNECT', at: 7 })
    expect(changes).toEqual([])
  })

  it('the transition table allows exactly the documented moves', () => {
    expect(HEALTH_TRANSITIONS).toEqual({ ok: ['error'], error: ['recovering', 'ok'], recovering: ['ok', 'error'] })
    expect(canTransition('ok', 'recovering')).toBe(false)
    expect(canTransition('error', 'ok')).toBe(true)
  })

  it('admin states take the requests they should', () => {
    const { m } = member()
    for (const [admin, fresh, sticky] of [['active', true, true], ['standby', true, true], ['draining', false, true], ['stopped', false, false]] as const) {
      m.setAdmin(admin)
      expect([m.isUsable(0, false), m.isUsable(0, true)]).toEqual([fresh, sticky])
    }
  })
})

describe('slow start', () => {
  it('ramps the effective weight from a tenth to the full weight after recovery', () => {
    const { m } = member({ slowStartMs: 10_000 })
    expect(effectiveWeight(m, 0)).toBe(10)
    m.markError(0, 100, boom)
    m.refresh(100)
    m.markOk(1_000)
    expect(effectiveWeight(m, 1_000)).toBe(1)
    expect(effectiveWeight(m, 2_000)).toBe(1)
    expect(effectiveWeight(m, 6_000)).toBe(5)
    expect(effectiveWeight(m, 11_000)).toBe(10)
    expect(m.rampStart).toBe(1_000) // a pure read
    m.refresh(11_000)
    expect(m.rampStart).toBe(0)
  })

  it('ramps a member added at run time; no ramp when slow start is off', () => {
    const { m } = member({ slowStartMs: 1_000 })
    m.startRamp(500)
    expect(effectiveWeight(m, 1_000)).toBe(5)
    const { m: plain } = member()
    plain.startRamp(500)
    expect(effectiveWeight(plain, 500)).toBe(10)
  })
})

describe('refresh and accounting', () => {
  it('refresh leaves a stopped member in error, and a member before its retry time', () => {
    const { m, changes } = member()
    m.markError(0, 100, boom)
    m.refresh(99)
    expect(m.health).toBe('error')
    m.setAdmin('stopped')
    m.refresh(100)
    expect(m.health).toBe('error')
    m.setAdmin('draining')
    m.refresh(100)
    expect(m.health).toBe('recovering')
    expect(changes.filter((c) => !c.startsWith('error>error'))).toEqual(['ok>error:LB_ERR_UPSTREAM_CONNECT', 'error>recovering:retry interval elapsed'])
  })

  it('counts picks, exchanges and failures, and resets what operators reset', () => {
    const { m } = member()
    m.countPick('sticky')
    m.countPick('new')
    m.countPick('sticky')
    m.beginExchange()
    m.countExchange({ bytesIn: 10, bytesOut: 3, durationMs: 100 })
    m.countExchange({ bytesIn: 5, bytesOut: 0, durationMs: 200 })
    m.countFailure(boom, 42)
    m.countClientAbort()
    expect(m.counters).toMatchObject({ requests: 3, elected: 3, inFlight: 1, bytesIn: 15, bytesOut: 3, errors: 1, clientAborts: 1 })
    expect(Object.fromEntries(m.reasons)).toEqual({ sticky: 2, new: 1 })
    expect(m.latencyEwma).toBeCloseTo(110)
    expect(m.lastError).toEqual({ ...boom, at: 42 })
    m.endExchange()
    m.resetCounters()
    expect(m.counters).toEqual({ requests: 0, elected: 0, inFlight: 0, upgraded: 0, bytesIn: 0, bytesOut: 0, errors: 0, clientAborts: 1 })
    expect([m.reasons.size, m.lastError, m.latencyEwma]).toEqual([0, undefined, 0])
  })
})

describe('whenIdle', () => {
  it('resolves at once when nothing is in flight, else when the last exchange ends', async () => {
    const { m } = member()
    await m.whenIdle()
    m.beginExchange()
    m.beginExchange()
    let idle = false
    const waiting = m.whenIdle().then(() => (idle = true))
    m.endExchange()
    await Promise.resolve()
    expect(idle).toBe(false)
    m.endExchange()
    await waiting
    expect(idle).toBe(true)
  })
})

describe('forced recovery', () => {
  it('ends the retry wait of a member in error with a state event, and does nothing otherwise', () => {
    const { m, changes } = member()
    m.forceRecovery()
    expect(changes).toEqual([])
    m.markError(1_000, 60_000, boom)
    m.forceRecovery()
    expect(m.health).toBe('recovering')
    expect(m.isUsable(1_001)).toBe(true)
    expect(changes.at(-1)).toBe('error>recovering:forced recovery: no member usable')
    m.markError(1_002, 60_000, boom)
    expect(m.isUsable(1_003)).toBe(false)
    expect(m.retryAt).toBe(61_002)
  })
})
