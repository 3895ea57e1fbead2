import { describe, expect, it } from 'vitest'
import { recoveryCandidate } from './force-recovery.js'
import type { RecoveryTarget } from './force-recovery.js'

type T = RecoveryTarget & { readonly id: string }
const m = (id: string, admin: T['admin'], health: T['health'], retryAt = 0): T => ({ id, admin, health, retryAt: health === 'error' ? retryAt : 0 })

describe('recoveryCandidate: which member is forced when none is usable', () => {
  const A = m('A', 'active', 'error', 2_000)
  const B = m('B', 'active', 'error', 1_000)
  const C = m('C', 'active', 'error', 1_000)
  const S = m('S', 'standby', 'error', 500)
  const D = m('D', 'draining', 'error', 100)
  const X = m('X', 'stopped', 'error', 100)
  const ok = m('ok', 'active', 'ok')
  const rec = m('rec', 'active', 'recovering')

  it.each([
    { name: 'the active member out the longest (earliest retry end)', all: [A, B], tried: [], owner: undefined, want: 'B' },
    { name: 'ties in member order', all: [A, B, C], tried: [], owner: undefined, want: 'B' },
    { name: 'skips members already tried', all: [A, B], tried: [B], owner: undefined, want: 'A' },
    { name: 'none left once all were tried', all: [A, B], tried: [A, B], owner: undefined, want: undefined },
    { name: 'the session owner first, even when not out the longest', all: [A, B], tried: [], owner: A, want: 'A' },
    { name: 'a draining owner keeps its session', all: [A, D], tried: [], owner: D, want: 'D' },
    { name: 'a stopped owner is never forced', all: [A, X], tried: [], owner: X, want: 'A' },
    { name: 'a tried owner is skipped', all: [A, B], tried: [A], owner: A, want: 'B' },
    { name: 'an owner that is not in error is not forced (it was usable or is probed already)', all: [ok, A], tried: [], owner: ok, want: 'A' },
    { name: 'standby only when no active member is in error', all: [S, ok], tried: [], owner: undefined, want: 'S' },
    { name: 'active before standby whatever the retry end', all: [S, A], tried: [], owner: undefined, want: 'A' },
    { name: 'never draining or stopped members for new requests', all: [D, X], tried: [], owner: undefined, want: undefined },
    { name: 'never members that are ok or recovering (they were usable)', all: [ok, rec], tried: [], owner: undefined, want: undefined },
    { name: 'no members', all: [], tried: [], owner: undefined, want: undefined },
  ] as { name: string; all: T[]; tried: T[]; owner: T | undefined; want: string | undefined }[])('$name', ({ all, tried, owner, want }) => {
    expect(recoveryCandidate(all, tried, owner)?.id).toBe(want)
  })
})
