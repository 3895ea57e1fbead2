import { describe, expect, it } from 'vitest'
import { createBalancer } from '../balancer.js'
import type { ConfiguredMember, TargetMember } from './member-merge.js'
import type { MemberOp } from './member-diff.js'
import { applyMemberOps, diffMembers } from './member-diff.js'
import { fileMembers, memberRecord } from './member-records.js'

const cur = (id: string, over: Partial<ConfiguredMember> = {}): ConfiguredMember => ({
  id, url: `http://127.0.0.1:${id === 'A' ? 8081 : id === 'B' ? 8082 : 8083}`, route: id, weight: 1, state: 'active', redirect: undefined, domain: undefined, fixed: '', ...over,
})
const tgt = (id: string, over: Partial<ConfiguredMember> = {}, source: TargetMember['source'] = 'file'): TargetMember => {
  const c = cur(id, over)
  return { ...c, options: { url: c.url, route: c.route!, weight: c.weight, state: c.state, ...(c.redirect ? { redirect: c.redirect } : {}) }, source }
}

const CASES: { name: string; current: ConfiguredMember[]; target: TargetMember[]; ops: MemberOp[] }[] = [
  { name: 'the same members: nothing', current: [cur('A'), cur('B')], target: [tgt('A'), tgt('B')], ops: [] },
  {
    name: 'a weight and a state: update and state, in place',
    current: [cur('A'), cur('B')], target: [tgt('A', { weight: 3 }), tgt('B', { state: 'draining' })],
    ops: [{ op: 'update', id: 'A', changes: { weight: 3 } }, { op: 'state', id: 'B', state: 'draining' }],
  },
  {
    name: 'a new member that others redirect to: added first, redirects after',
    current: [cur('A')], target: [tgt('A', { redirect: 'C' }), tgt('C', { redirect: 'A' })],
    ops: [
      { op: 'add', id: 'C', options: { url: 'http://127.0.0.1:8083', route: 'C', weight: 1, state: 'active' }, source: 'file' },
      { op: 'update', id: 'A', changes: { redirect: 'C' } },
      { op: 'update', id: 'C', changes: { redirect: 'A' } },
    ],
  },
  {
    name: 'removals last, so the last member is never removed first',
    current: [cur('A')], target: [tgt('B')],
    ops: [{ op: 'add', id: 'B', options: { url: 'http://127.0.0.1:8082', route: 'B', weight: 1, state: 'active' }, source: 'file' }, { op: 'remove', id: 'A' }],
  },
  {
    name: 'a new URL or other options: replaced',
    current: [cur('A'), cur('B', { fixed: '{"group":0}' })], target: [tgt('A', { url: 'http://127.0.0.1:9091' }), tgt('B', { fixed: '{"group":1}' })],
    ops: [
      { op: 'replace', id: 'A', options: { url: 'http://127.0.0.1:9091', route: 'A', weight: 1, state: 'active' }, source: 'file' },
      { op: 'replace', id: 'B', options: { url: 'http://127.0.0.1:8082', route: 'B', weight: 1, state: 'active' }, source: 'file' },
    ],
  },
  {
    name: 'a cleared redirect and domain are updates to undefined',
    current: [cur('A', { redirect: 'B', domain: 'd' }), cur('B')], target: [tgt('A'), tgt('B')],
    ops: [{ op: 'update', id: 'A', changes: { redirect: undefined, domain: undefined } }],
  },
]

describe('diffMembers', () => {
  for (const c of CASES) it(c.name, () => expect(diffMembers(c.current, c.target)).toEqual(c.ops))
})

describe('applyMemberOps', () => {
  it('turns a balancer\'s members into the target in place, keeping the Member objects it does not replace', async () => {
    const options = { members: [{ url: 'http://127.0.0.1:8081', route: 'A' }, { url: 'http://127.0.0.1:8082', route: 'B' }] }
    const balancer = createBalancer({ ...options, logger: false, health: false })
    const a = balancer.member('A')
    const updated: string[] = []
    balancer.on('member:updated', (m) => updated.push(`${m.id} weight ${m.weight}`))
    const current = fileMembers(options)
    const target = [tgt('A', { weight: 5, state: 'draining', redirect: 'C' }), tgt('C')]
    const failures = applyMemberOps(balancer, diffMembers(current, target))
    expect(failures).toEqual([])
    expect(balancer.members.map(memberRecord)).toEqual([
      { id: 'A', url: 'http://127.0.0.1:8081', route: 'A', weight: 5, state: 'draining', redirect: 'C', domain: undefined },
      { id: 'C', url: 'http://127.0.0.1:8083', route: 'C', weight: 1, state: 'active', redirect: undefined, domain: undefined },
    ])
    expect(balancer.member('A')).toBe(a)
    expect(updated).toEqual(['A weight 5']) // member:updated, once for the one update (weight and redirect)
    await balancer.close()
  })

  it('reports a refused command and applies the others', async () => {
    const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:8081', route: 'A' }], logger: false, health: false })
    const failures = applyMemberOps(balancer, [{ op: 'remove', id: 'A' }, { op: 'update', id: 'A', changes: { weight: 2 } }])
    expect(failures.map((f) => f.op.op)).toEqual(['remove'])
    expect(failures[0]?.error.message).toMatch(/could not be removed/)
    expect(balancer.member('A')?.weight).toBe(2)
    await balancer.close()
  })
})
