import { describe, expect, it } from 'vitest'
import { Member } from '../members/member.js'
import type { AdminState, HealthState } from '../members/member-state.js'
import { domainOf, resolveSticky } from './sticky-resolver.js'
import type { StickyTarget } from './sticky-resolver.js'

class Fake implements StickyTarget {
  constructor(
    readonly route: string | undefined,
    readonly admin: AdminState = 'active',
    readonly health: HealthState = 'ok',
    readonly redirect?: string,
    readonly domain?: string,
  ) {}
  isUsable(_now: number, sticky = false): boolean {
    if (this.health === 'error') return false
    return sticky ? this.admin !== 'stopped' : this.admin === 'active' || this.admin === 'standby'
  }
}

const now = 1_000
const names = (v: { kind: string; reason: string; member?: StickyTarget }) => `${v.kind}:${v.reason}${v.member ? `:${v.member.route}` : ''}`

describe('resolveSticky', () => {
  const n1 = new Fake('n1')
  const n2 = new Fake('n2')
  const drained = new Fake('n3', 'draining')
  const stopped = new Fake('n4', 'stopped')
  const broken = new Fake('n5', 'active', 'error')
  const members = [n1, n2, drained, stopped, broken]

  it.each<[string, string[], string, boolean?]>([
    ['no session → new', [], 'pick:new'],
    ['usable member → sticky', ['n2'], 'member:sticky:n2'],
    ['draining member still takes its sessions', ['n3'], 'member:sticky:n3'],
    ['unknown route → rescheduled', ['zz'], 'pick:rescheduled:unknown-route'],
    ['stopped member → rescheduled', ['n4'], 'pick:rescheduled:member-stopped'],
    ['member in error → rescheduled', ['n5'], 'pick:rescheduled:member-error'],
    ['second route used when the first fails (mod_jk several cookies)', ['n4', 'n1'], 'member:sticky:n1'],
    ['first miss is reported', ['zz', 'n4'], 'pick:rescheduled:unknown-route'],
    ['forced: stopped member → fail', ['n4'], 'fail:forced:member-stopped', true],
    ['forced: unknown route → fail', ['zz'], 'fail:forced:unknown-route', true],
    ['forced: no session still → new', [], 'pick:new', true],
    ['forced: a later route that works wins', ['n4', 'n2'], 'member:sticky:n2', true],
    ['empty route ignored', [''], 'pick:new'],
  ])('%s', (_name, routes, expected, force) => {
    expect(names(resolveSticky(routes, members, { now, force: force ?? false }))).toBe(expected)
  })

  it('follows a redirect chain to a member that takes sticky requests (a draining standby is fine)', () => {
    const a = new Fake('a', 'stopped', 'ok', 'b')
    const b = new Fake('b', 'active', 'error', 'c')
    const c = new Fake('c', 'draining')
    const v = resolveSticky(['a'], [a, b, c], { now })
    expect(names(v)).toBe('member:redirect:c')
    expect(v.kind === 'member' && v.route).toBe('a')
  })

  it('stops on a redirect cycle', () => {
    const a = new Fake('a', 'stopped', 'ok', 'b')
    const b = new Fake('b', 'stopped', 'ok', 'a')
    const c = new Fake('c', 'stopped', 'ok', 'c')
    expect(names(resolveSticky(['a'], [a, b], { now }))).toBe('pick:rescheduled:member-stopped')
    expect(names(resolveSticky(['c'], [c], { now }))).toBe('pick:rescheduled:member-stopped')
  })

  it('redirect to an unknown route falls through to the domain', () => {
    const a = new Fake('a', 'stopped', 'ok', 'nowhere', 'd1')
    const b = new Fake('b', 'active', 'ok', undefined, 'd1')
    expect(names(resolveSticky(['a'], [a, b], { now }))).toBe('member:domain:b')
  })

  it('fails over inside the domain, to members that take new requests only', () => {
    const a = new Fake('a', 'stopped', 'ok', undefined, 'd1')
    const drainingPeer = new Fake('b', 'draining', 'ok', undefined, 'd1')
    const other = new Fake('c', 'active', 'ok', undefined, 'd2')
    const peer = new Fake('d', 'active', 'ok', undefined, 'd1')
    expect(names(resolveSticky(['a'], [a, drainingPeer, other, peer], { now }))).toBe('member:domain:d')
    expect(names(resolveSticky(['a'], [a, drainingPeer, other], { now }))).toBe('pick:rescheduled:member-stopped')
  })

  it('derives the domain from a dotted route (mod_jk), unless domain is set to empty', () => {
    const a = new Fake('dc1.n1', 'stopped')
    const b = new Fake('dc1.n2')
    const c = new Fake('dc2.n1')
    expect(names(resolveSticky(['dc1.n1'], [a, b, c], { now }))).toBe('member:domain:dc1.n2')
    const optedOut = new Fake('dc1.n1', 'stopped', 'ok', undefined, '')
    expect(names(resolveSticky(['dc1.n1'], [optedOut, b, c], { now }))).toBe('pick:rescheduled:member-stopped')
  })

  it('a route that names no member may name a domain (mod_jk find_best_bydomain)', () => {
    const a = new Fake('n1', 'active', 'ok', undefined, 'rack1')
    const b = new Fake('n2', 'active', 'ok', undefined, 'rack2')
    expect(names(resolveSticky(['rack2'], [a, b], { now }))).toBe('member:domain:n2')
    expect(names(resolveSticky(['rack1.gone'], [a, b], { now }))).toBe('member:domain:n1')
  })

  it('lets the caller choose among the domain members', () => {
    const a = new Fake('a', 'stopped', 'ok', undefined, 'd')
    const b = new Fake('b', 'active', 'ok', undefined, 'd')
    const c = new Fake('c', 'active', 'ok', undefined, 'd')
    const seen: string[][] = []
    const v = resolveSticky(['a'], [a, b, c], { now, choose: (list) => (seen.push(list.map((m) => m.route ?? '')), list[1]) })
    expect(seen).toEqual([['b', 'c']])
    expect(names(v)).toBe('member:domain:c')
    expect(names(resolveSticky(['a'], [a, b, c], { now, choose: () => a }))).toBe('pick:rescheduled:member-stopped')
  })

  it('forced stickiness still honours redirect and domain (replicas keep the session)', () => {
    const a = new Fake('a', 'stopped', 'ok', 'b')
    const b = new Fake('b')
    expect(names(resolveSticky(['a'], [a, b], { now, force: true }))).toBe('member:redirect:b')
  })

  it('works on real Member objects', () => {
    const m1 = new Member({ url: new URL('http://127.0.0.1:8081'), route: 'TomcatA', weight: 1, admin: 'active' })
    const m2 = new Member({ url: new URL('http://127.0.0.1:8082'), route: 'TomcatB', weight: 1, admin: 'draining' })
    expect(names(resolveSticky(['TomcatB'], [m1, m2], { now }))).toBe('member:sticky:TomcatB')
    m2.setAdmin('stopped')
    expect(names(resolveSticky(['TomcatB'], [m1, m2], { now }))).toBe('pick:rescheduled:member-stopped')
    m1.markError(now, 10_000, { code: 'ECONNREFUSED', message: 'refused' })
    expect(names(resolveSticky(['TomcatA'], [m1, m2], { now }))).toBe('pick:rescheduled:member-error')
    expect(names(resolveSticky(['TomcatA'], [m1, m2], { now: now + 10_000 }))).toBe('member:sticky:TomcatA')
  })
})

describe('domainOf', () => {
  it('uses domain, else the text before the first dot of the route', () => {
    expect(domainOf(new Fake('dc1.n1.x'))).toBe('dc1')
    expect(domainOf(new Fake('n1'))).toBeUndefined()
    expect(domainOf(new Fake('.n1'))).toBeUndefined()
    expect(domainOf(new Fake(undefined))).toBeUndefined()
    expect(domainOf(new Fake('n1', 'active', 'ok', undefined, 'rack'))).toBe('rack')
    expect(domainOf(new Fake('dc.n1', 'active', 'ok', undefined, ''))).toBeUndefined()
  })
})
