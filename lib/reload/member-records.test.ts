import { describe, expect, it } from 'vitest'
import { createBalancer } from '../balancer.js'
import { changedOptions, fileMembers, fixedOptions, memberRecord } from './member-records.js'

describe('fixedOptions', () => {
  const CASES: [string, Parameters<typeof fixedOptions>[0], string][] = [
    ['only record keys: none', { url: 'http://a:1', route: 'A', weight: 2, state: 'draining', redirect: 'B', domain: 'd' }, ''],
    ['undefined values are none', { url: 'http://a:1', group: undefined }, ''],
    ['other options, keys sorted', { url: 'http://a:1', ignoreErrors: true, group: 1 }, '{"group":1,"ignoreErrors":true}'],
  ]
  for (const [name, options, fixed] of CASES) it(name, () => expect(fixedOptions(options)).toBe(fixed))

  it('holds no secret, but tells a changed secret (of the same length) apart', () => {
    const one = fixedOptions({ url: 'ajp://a:8009', secret: 'secret-one', ajp: { secret: 'secret-one' } })
    const two = fixedOptions({ url: 'ajp://a:8009', secret: 'secret-two', ajp: { secret: 'secret-two' } })
    expect(one).not.toContain('secret-one')
    expect(one).toMatch(/"secret":"sha256:[0-9a-f]{16}"/)
    expect(one).not.toBe(two)
  })
})

describe('changedOptions', () => {
  const members = [{ url: 'http://a:1' }]
  const CASES: [string, Record<string, unknown>, Record<string, unknown>, string[]][] = [
    ['members only: nothing', { members }, { members: [{ url: 'http://b:2' }] }, []],
    ['the same options in another key order', { members, sticky: { cookie: 'X', force: true } }, { members, sticky: { force: true, cookie: 'X' } }, []],
    ['a changed and an added option, sorted', { members, timeout: 1 }, { members, timeout: 2, retryMs: 5 }, ['retryMs', 'timeout']],
    ['a removed option', { members, scheduler: 'wrr' }, { members }, ['scheduler']],
    ['a RegExp in exclude', { members, exclude: [/^\/a/] }, { members, exclude: [/^\/b/] }, ['exclude']],
    ['a changed balancer-wide AJP secret', { members, ajp: { secret: 'x1' } }, { members, ajp: { secret: 'x2' } }, ['ajp']],
  ]
  for (const [name, a, b, keys] of CASES) it(name, () => expect(changedOptions(a as never, b as never)).toEqual(keys))
})

describe('fileMembers', () => {
  it('names members as the balancer does: route, opaque route under the balancer cookie, else host:port', async () => {
    const CASES = [
      { members: [{ url: 'http://127.0.0.1:8081', route: 'A' }, { url: 'http://127.0.0.1:8082' }] },
      { members: [{ url: 'http://127.0.0.1:8081' }, 'http://127.0.0.1:8082' as never], sticky: { balancerCookie: { name: 'LB' } } },
      { members: [{ url: 'ajp://127.0.0.1', route: 'A', secret: 's' }] },
    ]
    for (const options of CASES) {
      const balancer = createBalancer({ ...options, logger: false, health: false })
      const records = fileMembers(options as never).map(({ options: _o, fixed: _f, ...record }) => record)
      expect(records).toEqual(balancer.members.map(memberRecord))
      await balancer.close()
    }
  })
})

describe('memberIdentity in the balancer', () => {
  it('addMember refuses a second routeless member at the same URL under the balancer cookie (same opaque id)', async () => {
    const options = { members: [{ url: 'http://127.0.0.1:8081' }, { url: 'http://127.0.0.1:8082' }], sticky: { balancerCookie: { name: 'LB' } }, logger: false as const, health: false as const }
    const balancer = createBalancer(options)
    expect(() => balancer.addMember({ url: 'http://127.0.0.1:8081' })).toThrow(/exists already/)
    expect(balancer.members).toHaveLength(2)
    await balancer.close()
  })
})
