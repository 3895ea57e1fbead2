/**
 * The Express and Koa hosts: requests through the middleware, upgrades through `attachUpgrades`
 * on the same server, with a mount path.
 */
import { describe, expect, it } from 'vitest'
import { frameworkHosts } from './support/hosts.js'
import { until } from './support/front.js'
import { connectWs, openWs } from './support/ws-client.js'
import { startWsUpstream } from './support/ws-upstream.js'

const hosts = frameworkHosts('/app')

describe.each(Object.keys(hosts) as (keyof typeof hosts)[])('%s host', (name) => {
  it('balances upgrades below the mount path, sticky by session, and 404s the others', async () => {
    const a = await startWsUpstream('A')
    const b = await startWsUpstream('B')
    const { balancer, url } = await hosts[name]({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }], logger: false })
    const plain = await fetch(`${url}/app/page`)
    expect(await plain.text()).toMatch(/^plain [AB] \/app\/page$/)
    const ws = await openWs(`${url}/app/ws`, { headers: { cookie: 'JSESSIONID=1.B' } })
    expect(ws.response.headers['x-node']).toBe('B')
    expect(b.seen.at(-1)?.url).toBe('/app/ws')
    ws.sendText(name)
    expect((await ws.next()).data.toString()).toBe(name)
    const fresh = [await openWs(`${url}/app/ws`), await openWs(`${url}/app/ws`)]
    expect(new Set(fresh.map((c) => c.response.headers['x-node']))).toEqual(new Set(['A', 'B']))
    const outside = await connectWs(`${url}/elsewhere`)
    expect((outside as { status: number }).status).toBe(404)
    for (const c of [ws, ...fresh]) await c.close()
    await until(() => balancer.members.every((m) => m.counters.inFlight === 0 && m.counters.upgraded === 0))
  })
})
