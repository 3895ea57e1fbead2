import { describe, expect, it } from 'vitest'
import type { ConfiguredMember, FileMember, MemberChange, MemberRecord } from './member-merge.js'
import { mergeMembers } from './member-merge.js'

const rec = (id: string, over: Partial<MemberRecord> = {}): MemberRecord => ({
  id, url: `http://127.0.0.1:80${id === 'A' ? '81' : id === 'B' ? '82' : '83'}`, route: id, weight: 1, state: 'active', redirect: undefined, domain: undefined, ...over,
})
const conf = (id: string, over: Partial<ConfiguredMember> = {}): ConfiguredMember => ({ ...rec(id), fixed: '', ...over })
const file = (id: string, over: Partial<FileMember> = {}): FileMember => {
  const c = conf(id, over)
  return { ...c, options: { url: c.url, route: id, weight: c.weight, ...(c.state !== 'active' ? { state: c.state } : {}) }, ...over }
}

interface Case {
  name: string
  previous: ConfiguredMember[]
  next: FileMember[]
  running: MemberRecord[]
  /** id → the merged settings that matter */
  expect: Record<string, Partial<MemberRecord>>
  changes: MemberChange[]
}

const CASES: Case[] = [
  {
    name: 'nothing changed anywhere: nothing to report',
    previous: [conf('A'), conf('B')], next: [file('A'), file('B')], running: [rec('A'), rec('B')],
    expect: { A: { state: 'active' }, B: {} }, changes: [],
  },
  {
    name: 'a drain made at run time survives a file that did not change that member',
    previous: [conf('A'), conf('B')], next: [file('A'), file('B')], running: [rec('A', { state: 'draining' }), rec('B')],
    expect: { A: { state: 'draining' }, B: { state: 'active' } },
    changes: [{ kind: 'kept', id: 'A', setting: 'state', runtime: 'draining', file: 'active' }],
  },
  {
    name: 'the file changed the drained member\'s state: the file wins',
    previous: [conf('A'), conf('B')], next: [file('A', { state: 'standby' }), file('B')], running: [rec('A', { state: 'draining' }), rec('B')],
    expect: { A: { state: 'standby' }, B: {} },
    changes: [{ kind: 'overridden', id: 'A', setting: 'state', runtime: 'draining', file: 'standby' }],
  },
  {
    name: 'the file changed another setting of the drained member: the drain stays, the weight follows the file',
    previous: [conf('A'), conf('B')], next: [file('A', { weight: 4 }), file('B')], running: [rec('A', { state: 'draining' }), rec('B')],
    expect: { A: { state: 'draining', weight: 4 }, B: {} },
    changes: [{ kind: 'kept', id: 'A', setting: 'state', runtime: 'draining', file: 'active' }, { kind: 'updated', id: 'A', setting: 'weight', from: 1, to: 4 }],
  },
  {
    name: 'a run-time weight stays when the file changes another member',
    previous: [conf('A'), conf('B')], next: [file('A'), file('B', { weight: 3 })], running: [rec('A', { weight: 9 }), rec('B')],
    expect: { A: { weight: 9 }, B: { weight: 3 } },
    changes: [{ kind: 'kept', id: 'A', setting: 'weight', runtime: 9, file: 1 }, { kind: 'updated', id: 'B', setting: 'weight', from: 1, to: 3 }],
  },
  {
    name: 'a member new in the file is added',
    previous: [conf('A')], next: [file('A'), file('C')], running: [rec('A')],
    expect: { A: {}, C: { url: 'http://127.0.0.1:8083' } },
    changes: [{ kind: 'added', id: 'C', url: 'http://127.0.0.1:8083' }],
  },
  {
    name: 'a member gone from the file is removed',
    previous: [conf('A'), conf('B')], next: [file('A')], running: [rec('A'), rec('B')],
    expect: { A: {} },
    changes: [{ kind: 'removed', id: 'B' }],
  },
  {
    name: 'a member added at run time stays when the file does not define its id',
    previous: [conf('A')], next: [file('A')], running: [rec('A'), rec('C', { weight: 5 })],
    expect: { A: {}, C: { weight: 5 } },
    changes: [{ kind: 'kept-added', id: 'C', url: 'http://127.0.0.1:8083' }],
  },
  {
    name: 'a member added at run time is taken over by the file when it now defines its id',
    previous: [conf('A')], next: [file('A'), file('C', { weight: 2 })], running: [rec('A'), rec('C', { weight: 5, state: 'draining' })],
    expect: { A: {}, C: { weight: 2, state: 'active' } },
    changes: [{ kind: 'overridden', id: 'C', setting: 'state', runtime: 'draining', file: 'active' }, { kind: 'overridden', id: 'C', setting: 'weight', runtime: 5, file: 2 }],
  },
  {
    name: 'a member removed at run time stays removed while the file does not change it',
    previous: [conf('A'), conf('B')], next: [file('A'), file('B')], running: [rec('A')],
    expect: { A: {} },
    changes: [{ kind: 'kept-removed', id: 'B' }],
  },
  {
    name: 'a member removed at run time comes back when the file changes it',
    previous: [conf('A'), conf('B')], next: [file('A'), file('B', { weight: 2 })], running: [rec('A')],
    expect: { A: {}, B: { weight: 2 } },
    changes: [{ kind: 'added', id: 'B', url: 'http://127.0.0.1:8082' }],
  },
  {
    name: 'a new URL for a member replaces it, run-time settings still merged',
    previous: [conf('A')], next: [file('A', { url: 'http://127.0.0.1:9091' })], running: [rec('A', { state: 'draining' })],
    expect: { A: { url: 'http://127.0.0.1:9091', state: 'draining' } },
    changes: [{ kind: 'replaced', id: 'A', why: 'url http://127.0.0.1:8081 → http://127.0.0.1:9091' }, { kind: 'kept', id: 'A', setting: 'state', runtime: 'draining', file: 'active' }],
  },
  {
    name: 'other options changed (group, AJP…): replaced',
    previous: [conf('A', { fixed: '{"group":0}' })], next: [file('A', { fixed: '{"group":1}' })], running: [rec('A')],
    expect: { A: { } },
    changes: [{ kind: 'replaced', id: 'A', why: 'options other than state, weight, route, redirect and domain changed' }],
  },
  {
    name: 'no previous file (first start with a state): the file wins for the members it defines, run-time ones are kept',
    previous: [], next: [file('A')], running: [rec('A', { weight: 7 }), rec('C')],
    expect: { A: { weight: 1 }, C: {} },
    changes: [{ kind: 'overridden', id: 'A', setting: 'weight', runtime: 7, file: 1 }, { kind: 'kept-added', id: 'C', url: 'http://127.0.0.1:8083' }],
  },
  {
    name: 'a run-time redirect is kept; a cleared one too',
    previous: [conf('A', { redirect: 'B' }), conf('B')], next: [file('A', { redirect: 'B' }), file('B')], running: [rec('A', { redirect: undefined }), rec('B', { redirect: 'A' })],
    expect: { A: { redirect: undefined }, B: { redirect: 'A' } },
    changes: [{ kind: 'kept', id: 'A', setting: 'redirect', runtime: undefined, file: 'B' }, { kind: 'kept', id: 'B', setting: 'redirect', runtime: 'A', file: undefined }],
  },
]

describe('mergeMembers', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { members, changes } = mergeMembers(c.previous, c.next, c.running)
      expect(members.map((m) => m.id)).toEqual(Object.keys(c.expect))
      for (const [id, want] of Object.entries(c.expect)) expect(members.find((m) => m.id === id)).toMatchObject(want)
      expect(changes).toEqual(c.changes)
    })
  }

  it('the options of a merged member carry the run-time values that differ from the file', () => {
    const { members } = mergeMembers([conf('A')], [file('A')], [rec('A', { state: 'draining', weight: 3 })])
    expect(members[0]?.options).toEqual({ url: 'http://127.0.0.1:8081', route: 'A', weight: 3, state: 'draining' })
    expect(members[0]?.source).toBe('file')
  })

  it('a member kept from run time is created from its record', () => {
    const { members } = mergeMembers([], [file('A')], [rec('A'), rec('C', { weight: 4, domain: 'd' })])
    expect(members[1]).toMatchObject({ source: 'runtime', fixed: '', options: { url: 'http://127.0.0.1:8083', route: 'C', weight: 4, state: 'active', domain: 'd' } })
  })
})
