/**
 * The Connection policy (lib/proxy/connection-options.ts) on upgrade requests: a `Connection`
 * header naming framing, `Host` or a forwarding header is refused with 400 before any member is
 * reached; credentials named in it are still forwarded; other named headers are dropped.
 */
import { describe, expect, it } from 'vitest'
import { startFront } from './support/front.js'
import { WsClient, connectWs, openWs } from './support/ws-client.js'
import { startWsUpstream } from './support/ws-upstream.js'

describe('the Connection header of an upgrade request', () => {
  it.each([
    'Upgrade, Content-Length',
    'Upgrade, X-Forwarded-For',
    'upgrade,x-forwarded-proto',
    'Upgrade, Host',
    'Upgrade, Forwarded',
    'Upgrade, X-Real-IP',
    'Upgrade, Via',
    'Upgrade, Transfer-Encoding',
  ])('Connection: %s is refused with 400; no member sees it', async (connection) => {
    const upstream = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: upstream.url, route: 'A' }], health: false })
    const answer = await connectWs(`${front.ws}/ws`, { headers: { connection, 'x-forwarded-for': '203.0.113.9', 'content-length': '0' } })
    expect(answer instanceof WsClient).toBe(false)
    expect((answer as { status: number }).status).toBe(400)
    expect(upstream.seen).toEqual([])
    await upstream.close()
  })

  it('keeps Cookie and Authorization when named, drops other named headers', async () => {
    const upstream = await startWsUpstream('A')
    const front = await startFront({ members: [{ url: upstream.url, route: 'A' }], health: false })
    const ws = await openWs(`${front.ws}/ws`, {
      headers: { connection: 'Upgrade, Cookie, Authorization, X-Custom', cookie: 'JSESSIONID=abc.A', authorization: 'Basic bWU6cHc=', 'x-custom': '1' },
    })
    const seen = upstream.seen[0]
    expect(seen?.headers.cookie).toBe('JSESSIONID=abc.A')
    expect(seen?.headers.authorization).toBe('Basic bWU6cHc=')
    expect(seen?.headers['x-custom']).toBeUndefined()
    expect(seen?.headers.upgrade).toBe('websocket')
    await ws.close(1000, 'bye')
    await upstream.close()
  })
})
