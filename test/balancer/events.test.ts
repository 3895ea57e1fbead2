/**
 * The events table of docs/guide/metrics.md: each event `Balancer` emits, with the payload fields
 * the guide lists, when the guide says it fires.
 */
import { describe, expect, it } from 'vitest'
import type { BalancerEvents } from '../../lib/types.js'
import { deadUrl, httpRequest, startBalancer, startUpstream } from '../support/fake-upstream.js'
import { openWs } from '../upgrade/support/ws-client.js'
import { startWsUpstream } from '../upgrade/support/ws-upstream.js'

type Payload<K extends keyof BalancerEvents> = BalancerEvents[K][0]

describe('the events of docs/guide/metrics.md', () => {
  it('exchange, member:error and member:state carry the documented fields; a failed exchange has status 0 and error', async () => {
    const dead = await deadUrl()
    const b = await startUpstream('B')
    const { balancer, url } = await startBalancer({ members: [{ url: dead, route: 'D' }, { url: b.url, route: 'B' }], sticky: false })
    const exchanges: Payload<'exchange'>[] = []
    const errors: Payload<'member:error'>[] = []
    const states: Payload<'member:state'>[] = []
    balancer.on('exchange', (e) => exchanges.push(e))
    balancer.on('member:error', (e) => errors.push(e))
    balancer.on('member:state', (e) => states.push(e))
    expect((await httpRequest(`${url}/x?q=1`)).status).toBe(200)

    expect(exchanges.map((e) => [e.member.id, e.status, e.reason, e.error])).toEqual([['D', 0, 'new', 'LB_ERR_UPSTREAM_CONNECT'], ['B', 200, 'new', undefined]])
    for (const e of exchanges) expect(Object.keys(e).sort()).toEqual(expect.arrayContaining(['bytesIn', 'bytesOut', 'durationMs', 'member', 'reason', 'status']))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ member: { id: 'D' }, path: '/x?q=1', willRetry: true })
    expect(errors[0]!.error.code).toBe('LB_ERR_UPSTREAM_CONNECT')
    expect(states).toHaveLength(1)
    expect(states[0]).toMatchObject({ member: { id: 'D' }, admin: 'active', health: 'error', previousAdmin: 'active', previousHealth: 'ok', reason: 'LB_ERR_UPSTREAM_CONNECT' })
    // An admin change is a state change too, with reason "admin".
    balancer.setMemberState('B', 'draining')
    expect(states.at(-1)).toMatchObject({ member: { id: 'B' }, admin: 'draining', previousAdmin: 'active', reason: 'admin' })
  })

  it('member:added and member:removed carry the member', async () => {
    const [a, c] = await Promise.all([startUpstream('A'), startUpstream('C')])
    const { balancer } = await startBalancer({ members: [{ url: a.url, route: 'A' }] })
    const seen: string[] = []
    balancer.on('member:added', (m) => seen.push(`added ${m.id}`))
    balancer.on('member:removed', (m) => seen.push(`removed ${m.id}`))
    balancer.addMember({ url: c.url, route: 'C' })
    await balancer.removeMember('C')
    expect(seen).toEqual(['added C', 'removed C'])
  })

  it('upgrade fires when a handshake ends: status 101 when upgraded, with member, reason, duration and protocol', async () => {
    const ws = await startWsUpstream('W')
    const { balancer, url, server } = await startBalancer({ members: [{ url: ws.url, route: 'W' }] })
    balancer.attachUpgrades(server)
    const upgrades: Payload<'upgrade'>[] = []
    balancer.on('upgrade', (e) => upgrades.push(e))
    const client = await openWs(`${url.replace('http', 'ws')}/echo`)
    await expect.poll(() => upgrades.length).toBe(1)
    expect(upgrades[0]).toMatchObject({ member: { id: 'W' }, status: 101, reason: 'new', protocol: 'websocket' })
    expect(upgrades[0]!.durationMs).toBeGreaterThanOrEqual(0)
    await client.close()
  })
})
