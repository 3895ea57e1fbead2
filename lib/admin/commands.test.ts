import { afterAll, describe, expect, it } from 'vitest'
import { createBalancer } from '../balancer.js'
import type { BalancerControl } from '../control.js'
import { AdminError } from '../errors.js'
import { applyCommand, parseJkCommand, parseJsonChanges, parseManagerForm } from './commands.js'

const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:9251', route: 'A' }, { url: 'http://127.0.0.1:9252', route: 'B' }], logger: false, health: false })
afterAll(() => balancer.close())

function refusal(run: () => unknown): AdminError {
  try {
    run()
  } catch (err) {
    if (err instanceof AdminError) return err
    throw err
  }
  throw new Error('not refused')
}

describe('admin refusals never carry raw client text', () => {
  it.each([
    ['an unknown JSON key', () => parseJsonChanges(balancer, 'A', { 'x\r\nX-Evil': 1 }), 'x\\x0d\\x0aX-Evil'],
    ['a bad state', () => parseJsonChanges(balancer, 'A', { state: 'on\u001b[31m' }), '"on\\x1b[31m"'],
    ['an unknown member in a form', () => parseManagerForm(balancer, 'balancer', { w: 'Z\u0000' }), '"Z\\x00"'],
    ['an unknown balancer in jkstatus', () => parseJkCommand(balancer, 'balancer', new URLSearchParams({ cmd: 'update', w: 'b\nx' })), '"b\\x0ax"'],
  ])('%s', (_name, run, shown) => {
    const err = refusal(run)
    expect(err.message).toContain(shown)
    expect(err.message).not.toMatch(/[\r\n\u0000\u001b]/)
    expect(err.field ?? '').not.toMatch(/[\r\n\u0000\u001b]/)
  })
})

describe('commands go through the balancer', () => {
  it('reset and recover use resetCounters and recoverMember', async () => {
    const a = balancer.member('A')!
    const calls: string[] = []
    const spies: Record<string, unknown> = {
      resetCounters: (id?: string) => void calls.push(`reset ${id ?? '*'}`),
      recoverMember: (id: string) => void calls.push(`recover ${id}`),
    }
    const control = new Proxy(balancer, {
      get(target, prop) {
        if (typeof prop === 'string' && prop in spies) return spies[prop]
        const value: unknown = Reflect.get(target, prop)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      },
    }) as BalancerControl
    const reset: string[] = []
    await applyCommand(control, { kind: 'reset' }, { onReset: (m) => reset.push(m.id) })
    await applyCommand(control, { kind: 'update', member: 'A', changes: { recover: true, reset: true } })
    expect(calls).toEqual(['reset *', 'recover A', 'reset A'])
    expect(reset).toEqual(['A', 'B'])
    expect(a.health).toBe('ok')
  })

  it('recoverMember puts a member in error back in service; resetCounters zeroes what was counted', () => {
    const a = balancer.member('A')!
    a.markError(Date.now(), 60_000, { code: 'LB_ERR_UPSTREAM_CONNECT', message: 'refused' })
    a.counters.requests = 7
    a.counters.errors = 1
    a.reasons.set('sticky', 3)
    expect(a.health).toBe('error')
    balancer.recoverMember('A')
    expect(a.health).toBe('ok')
    balancer.resetCounters('A')
    expect([a.counters.requests, a.counters.errors, a.reasons.size, a.lastError]).toEqual([0, 0, 0, undefined])
  })
})

describe('member groups (lbset, distance) are configuration, shown but not changed at run time', () => {
  const grouped = createBalancer({ members: [{ url: 'http://127.0.0.1:9253', route: 'A' }, { url: 'http://127.0.0.1:9254', route: 'B', group: 1 }], logger: false, health: false })
  afterAll(() => grouped.close())

  it('w_ls and vwd accept the member\'s configured group (what the page form sends back) and refuse another', () => {
    expect(parseManagerForm(grouped, 'balancer', { w: 'B', w_ls: '1', w_lf: '2' })).toEqual([{ kind: 'update', member: 'B', changes: { weight: 2 } }])
    expect(parseManagerForm(grouped, 'balancer', { w: 'A', w_ls: '0', w_lf: '2' })).toEqual([{ kind: 'update', member: 'A', changes: { weight: 2 } }])
    expect(refusal(() => parseManagerForm(grouped, 'balancer', { w: 'A', w_ls: '1' })).message).toMatch(/set in the configuration \(members\[\]\.group\)/)
    expect(parseJkCommand(grouped, 'balancer', new URLSearchParams({ cmd: 'update', sw: 'B', vwd: '1', vwf: '3' }))).toEqual([{ kind: 'update', member: 'B', changes: { weight: 3 } }])
    expect(refusal(() => parseJkCommand(grouped, 'balancer', new URLSearchParams({ cmd: 'update', sw: 'B', vwd: '0', vwf: '3' }))).field).toBe('vwd')
  })
})
