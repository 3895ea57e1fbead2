/**
 * The lines a reload writes (bin/cli/reload-report.ts) and the state file's shape check
 * (bin/cli/state-file.ts): pure, table-tested.
 */
import { describe, expect, it } from 'vitest'
import { changeLine, failureLine, rebuildLine } from '../../bin/cli/reload-report.js'
import { STATE_VERSION, stateProblem } from '../../bin/cli/state-file.js'
import type { MemberChange } from '../../lib/reload/member-merge.js'

const LINES: [MemberChange, string][] = [
  [{ kind: 'added', id: 'C', url: 'http://127.0.0.1:8083' }, 'member C: added (http://127.0.0.1:8083)'],
  [{ kind: 'removed', id: 'B' }, 'member B: removed'],
  [{ kind: 'replaced', id: 'A', why: 'url http://a:1 → http://a:2' }, 'member A: replaced by a new member (url http://a:1 → http://a:2)'],
  [{ kind: 'updated', id: 'A', setting: 'weight', from: 1, to: 4 }, 'member A: weight 1 → 4'],
  [{ kind: 'updated', id: 'A', setting: 'redirect', from: undefined, to: 'B' }, 'member A: redirect (none) → B'],
  [{ kind: 'overridden', id: 'A', setting: 'state', runtime: 'draining', file: 'stopped' }, 'member A: state draining → stopped (set at run time; overridden: the file changed it)'],
  [{ kind: 'kept', id: 'A', setting: 'state', runtime: 'draining', file: 'active' }, 'member A: state draining kept (set at run time; the file did not change it, it says active)'],
  [{ kind: 'kept-added', id: 'D', url: 'http://127.0.0.1:8084' }, 'member D: kept (added at run time, http://127.0.0.1:8084)'],
  [{ kind: 'kept-removed', id: 'B' }, 'member B: stays removed (removed at run time; the file did not change it)'],
]

describe('reload report lines', () => {
  for (const [change, line] of LINES) it(`${change.kind}: ${line}`, () => expect(changeLine(change)).toBe(line))

  it('a refused command and a rebuild', () => {
    expect(failureLine({ op: { op: 'state', id: 'A', state: 'draining' }, error: new Error('no member has the id "A"') })).toBe('member A: could not set the state: no member has the id "A"')
    expect(rebuildLine(['sticky', 'timeout'], 2)).toBe('sticky, timeout changed: a new balancer takes the requests; the old one finishes its requests and keeps its 2 upgraded connection(s) until they close')
    expect(rebuildLine(['timeout'], 0)).toBe('timeout changed: a new balancer takes the requests; the old one finishes its requests')
  })
})

const member = { id: 'A', url: 'http://127.0.0.1:8081', route: 'A', weight: 1, state: 'active' }
const STATES: [string, unknown, string | undefined][] = [
  ['a good state', { version: STATE_VERSION, written: 'x', balancers: [{ mount: '/', name: 'b', file: [{ ...member, fixed: '' }], members: [member] }] }, undefined],
  ['no balancers', { version: STATE_VERSION, balancers: [] }, undefined],
  ['not an object', [1], 'not a JSON object'],
  ['another version', { version: 2, balancers: [] }, 'version 2 is not 1'],
  ['no version', { balancers: [] }, 'version undefined is not 1'],
  ['balancers not a list', { version: 1, balancers: {} }, 'balancers is not a list'],
  ['a balancer without mount', { version: 1, balancers: [{ name: 'b', file: [], members: [] }] }, 'balancers[0] has no mount or name'],
  ['a weight out of range', { version: 1, balancers: [{ mount: '/', name: 'b', file: [], members: [{ ...member, weight: 0 }] }] }, 'balancers[0].members is not a list of members'],
  ['an unknown state', { version: 1, balancers: [{ mount: '/', name: 'b', file: [], members: [{ ...member, state: 'gone' }] }] }, 'balancers[0].members is not a list of members'],
  ['a file member without fixed', { version: 1, balancers: [{ mount: '/', name: 'b', file: [member], members: [] }] }, 'balancers[0].file is not a list of members'],
]

describe('stateProblem', () => {
  for (const [name, value, problem] of STATES) it(name, () => expect(stateProblem(value)).toBe(problem))
})
