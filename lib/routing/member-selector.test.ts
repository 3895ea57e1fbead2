/**
 * The selection policy as a golden table: members in given admin, health and group states, the
 * request's session routes and the members already tried → the member chosen and why, or the
 * error code. No sockets: the scheduler is a stub that takes the first candidate and records the
 * candidates it was offered.
 */
import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { LbError } from '../errors.js'
import { Member } from '../members/member.js'
import type { AdminState } from '../members/member-state.js'
import type { Scheduler } from '../schedulers/scheduler.js'
import { MemberSelector } from './member-selector.js'
import type { MemberSelectorOptions } from './member-selector.js'

const NOW = 1_000_000
const RETRY = 60_000
const boom = { code: 'LB_ERR_UPSTREAM_CONNECT', message: 'refused' }
const req = { headers: {}, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage

/** `error`: out until after NOW; `elapsed`: in error, its retry time passed; `recovering`: being probed. */
type Health = 'ok' | 'error' | 'elapsed' | 'recovering'
interface Spec {
  readonly route: string
  readonly admin?: AdminState
  readonly health?: Health
  readonly group?: number
  readonly redirect?: string
  readonly domain?: string
}

function build(specs: readonly Spec[]): Member[] {
  return specs.map((s, i) => {
    const m = new Member({ url: new URL(`http://127.0.0.1:${1000 + i}`), route: s.route, weight: 1, admin: s.admin ?? 'active', group: s.group, redirect: s.redirect, domain: s.domain })
    // Out of error for the oldest failure first: a later spec failed later (forceRecovery's order).
    if (s.health === 'error') m.markError(NOW - RETRY / 2 + i, RETRY, boom)
    if (s.health === 'elapsed') m.markError(NOW - 2 * RETRY + i, RETRY, boom)
    if (s.health === 'recovering') {
      m.markError(NOW - RETRY / 2, RETRY, boom)
      m.forceRecovery()
    }
    return m
  })
}

interface Row {
  readonly name: string
  readonly members: readonly Spec[]
  readonly routes?: readonly string[]
  readonly tried?: readonly string[]
  readonly options?: Partial<MemberSelectorOptions>
  /** `id reason`, or an error code. */
  readonly expected: string
  /** The candidates the scheduler was offered, when it was asked. */
  readonly offered?: readonly string[]
}

const ok = (route: string, extra: Omit<Spec, 'route'> = {}): Spec => ({ route, ...extra })

const TABLE: readonly Row[] = [
  // no session: the scheduler picks among the usable active members
  { name: 'new request: every active member', members: [ok('A'), ok('B')], expected: 'A new', offered: ['A', 'B'] },
  { name: 'new request: members in error are left out', members: [ok('A', { health: 'error' }), ok('B')], expected: 'B new', offered: ['B'] },
  { name: 'new request: an error member past its retry time is probed again', members: [ok('A', { health: 'elapsed' }), ok('B')], expected: 'A new', offered: ['A', 'B'] },
  { name: 'new request: a recovering member is a candidate', members: [ok('A', { health: 'recovering' }), ok('B')], expected: 'A new', offered: ['A', 'B'] },
  { name: 'new request: draining and stopped members take none', members: [ok('A', { admin: 'draining' }), ok('B', { admin: 'stopped' }), ok('C')], expected: 'C new', offered: ['C'] },
  { name: 'tried members are skipped', members: [ok('A'), ok('B')], tried: ['A'], expected: 'B new', offered: ['B'] },
  // groups (mod_proxy lbset)
  { name: 'groups: only the lowest group with a usable member', members: [ok('A', { group: 1 }), ok('B', { group: 0 }), ok('C', { group: 1 })], expected: 'B new', offered: ['B'] },
  { name: 'groups: a higher group when every lower one is unusable', members: [ok('A', { group: 1 }), ok('B', { group: 0, admin: 'stopped' }), ok('C', { group: 1 })], expected: 'A new', offered: ['A', 'C'] },
  { name: 'groups: a lower group in error passes to the next', members: [ok('A', { group: 0, health: 'error' }), ok('B', { group: 2 }), ok('C', { group: 1 })], expected: 'C new', offered: ['C'] },
  // standby
  { name: 'standby: not while an active member is usable', members: [ok('A'), ok('S', { admin: 'standby' })], expected: 'A new', offered: ['A'] },
  { name: 'standby: takes over when no active member is usable', members: [ok('A', { health: 'error' }), ok('S', { admin: 'standby' })], expected: 'S new', offered: ['S'] },
  { name: 'standby: when the active members were tried', members: [ok('A'), ok('S', { admin: 'standby' })], tried: ['A'], expected: 'S new', offered: ['S'] },
  // panic mode
  { name: 'panic off: only the healthy', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' }), ok('C')], expected: 'C new', offered: ['C'] },
  { name: 'panic: 2 of 3 healthy is above 0.5', members: [ok('A', { health: 'error' }), ok('B'), ok('C')], options: { panicThreshold: 0.5 }, expected: 'B new', offered: ['B', 'C'] },
  { name: 'panic: 1 of 3 healthy spreads over every active member', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' }), ok('C'), ok('S', { admin: 'standby' })], options: { panicThreshold: 0.5 }, expected: 'A new', offered: ['A', 'B', 'C'] },
  { name: 'panic: tried members stay out', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' }), ok('C')], tried: ['A'], options: { panicThreshold: 0.5 }, expected: 'B new', offered: ['B', 'C'] },
  // sessions
  { name: 'sticky: the session\'s member, without the scheduler', members: [ok('A'), ok('B')], routes: ['B'], expected: 'B sticky' },
  { name: 'sticky: a draining member keeps its sessions', members: [ok('A'), ok('B', { admin: 'draining' })], routes: ['B'], expected: 'B sticky' },
  { name: 'sticky: a standby member keeps its sessions', members: [ok('A'), ok('B', { admin: 'standby' })], routes: ['B'], expected: 'B sticky' },
  { name: 'sticky: the session\'s member in error → rescheduled', members: [ok('A'), ok('B', { health: 'error' })], routes: ['B'], expected: 'A rescheduled:member-error', offered: ['A'] },
  { name: 'sticky: the session\'s member stopped → rescheduled', members: [ok('A'), ok('B', { admin: 'stopped' })], routes: ['B'], expected: 'A rescheduled:member-stopped', offered: ['A'] },
  { name: 'sticky: an unknown route → rescheduled', members: [ok('A'), ok('B')], routes: ['Z'], expected: 'A rescheduled:unknown-route', offered: ['A', 'B'] },
  { name: 'sticky: the session\'s member past its retry time is probed', members: [ok('A'), ok('B', { health: 'elapsed' })], routes: ['B'], expected: 'B sticky' },
  { name: 'sticky: tried → rescheduled elsewhere', members: [ok('A'), ok('B')], routes: ['B'], tried: ['B'], expected: 'A rescheduled:member-error', offered: ['A'] },
  { name: 'sticky: redirect when the member cannot take it', members: [ok('A'), ok('B', { health: 'error', redirect: 'C' }), ok('C')], routes: ['B'], expected: 'C redirect' },
  { name: 'sticky: domain failover', members: [ok('x.A', { health: 'error' }), ok('y.B'), ok('x.C')], routes: ['x.A'], expected: 'x.C domain', offered: ['x.C'] },
  { name: 'sticky: the second route when the first leads nowhere', members: [ok('A'), ok('B', { health: 'error' }), ok('C')], routes: ['B', 'C'], expected: 'C sticky' },
  { name: 'sticky off: routes are ignored', members: [ok('A'), ok('B')], routes: ['B'], options: { sticky: false }, expected: 'A new', offered: ['A', 'B'] },
  { name: 'sticky.force: the session\'s member in error → 503', members: [ok('A'), ok('B', { health: 'error' })], routes: ['B'], options: { stickyForce: true, forceRecovery: false }, expected: 'LB_ERR_STICKY_MEMBER_UNAVAILABLE' },
  { name: 'sticky.force: forced back only when no member is usable', members: [ok('A'), ok('B', { health: 'error' })], routes: ['B'], options: { stickyForce: true }, expected: 'LB_ERR_STICKY_MEMBER_UNAVAILABLE' },
  { name: 'sticky.force: the session\'s member forced when none is usable', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' })], routes: ['B'], options: { stickyForce: true }, expected: 'B sticky' },
  // no member / forceRecovery
  { name: 'none usable, forceRecovery off → no member', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' })], options: { forceRecovery: false }, expected: 'LB_ERR_NO_MEMBER' },
  { name: 'forceRecovery: the one out the longest', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' })], expected: 'A new' },
  { name: 'forceRecovery: the session\'s member first', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' })], routes: ['B'], expected: 'B sticky' },
  { name: 'forceRecovery: never a tried member', members: [ok('A', { health: 'error' }), ok('B', { health: 'error' })], tried: ['A'], expected: 'B new' },
  { name: 'forceRecovery: never a stopped or draining member', members: [ok('A', { health: 'error', admin: 'stopped' }), ok('B', { health: 'error', admin: 'draining' })], expected: 'LB_ERR_NO_MEMBER' },
  { name: 'forceRecovery: standby members after the active ones', members: [ok('S', { health: 'error', admin: 'standby' }), ok('A', { health: 'error' })], expected: 'A new' },
  { name: 'every member tried → no member', members: [ok('A'), ok('B')], tried: ['A', 'B'], expected: 'LB_ERR_NO_MEMBER' },
]

function selectorFor(options: Partial<MemberSelectorOptions> = {}): { selector: MemberSelector; offered: string[][] } {
  const offered: string[][] = []
  const first: Scheduler = {
    name: 'first',
    pick: (candidates) => {
      offered.push(candidates.map((m) => m.id))
      return candidates[0]
    },
  } as Scheduler
  const selector = new MemberSelector(first, { sticky: true, stickyForce: false, panicThreshold: 0, forceRecovery: true, ...options })
  return { selector, offered }
}

describe('MemberSelector.choose', () => {
  it.each(TABLE.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    const members = build(row.members)
    const tried = (row.tried ?? []).map((id) => members.find((m) => m.id === id) as Member)
    const { selector, offered } = selectorFor(row.options)
    const choice = selector.choose(members, req, row.routes ?? [], tried, NOW)
    expect(choice instanceof LbError ? choice.code : `${choice.member.id} ${choice.reason}`).toBe(row.expected)
    if (row.offered !== undefined) expect(offered.at(-1)).toEqual(row.offered)
    else if (!row.expected.startsWith('LB_ERR')) expect(offered).toEqual([])
  })
})

describe('MemberSelector effects', () => {
  it('moves an error member past its retry time to recovering once per choice, and nothing else', () => {
    const members = build([ok('A', { health: 'elapsed' }), ok('B', { health: 'error' }), ok('C', { health: 'elapsed', admin: 'stopped' })])
    const { selector } = selectorFor()
    selector.choose(members, req, [], [], NOW)
    expect(members.map((m) => m.health)).toEqual(['recovering', 'error', 'error'])
  })

  it('forces a member out of error only when it chooses it', () => {
    const members = build([ok('A', { health: 'error' }), ok('B', { health: 'error' })])
    const { selector } = selectorFor()
    selector.choose(members, req, [], [], NOW)
    expect(members.map((m) => m.health)).toEqual(['recovering', 'error'])
  })

  it('hasCandidate asks without moving the scheduler or any member', () => {
    const members = build([ok('A', { health: 'elapsed' }), ok('B', { health: 'error' })])
    const { selector, offered } = selectorFor()
    expect(selector.hasCandidate(members, [], NOW)).toBe(true)
    expect(selector.hasCandidate(members, members.slice(0, 1), NOW)).toBe(false)
    expect(offered).toEqual([])
    expect(members.map((m) => m.health)).toEqual(['error', 'error'])
  })
})
