/**
 * Slow clients. Slowloris (headers trickled byte by byte) is the host server's business: Node's
 * `headersTimeout` bounds the time to a complete head, checked every `connectionsCheckingInterval`
 * (both are `http.createServer` options; Node's defaults are 60 s and 30 s). The balancer never
 * sees such a request, so no member does either. A slow body is bounded by `requestTimeout`.
 */
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { guardProcess } from '../support/fake-upstream.js'
import { HOST_KINDS, aliveStatus, rawExchange, startHost, startHttpMember } from './support/hosts.js'

beforeEach(guardProcess)

describe.each(HOST_KINDS)('slow clients through the %s host', (kind) => {
  it('slowloris: a head trickled slower than headersTimeout gets 408 and the member sees nothing', async () => {
    const member = await startHttpMember('A')
    const host = await startHost(kind, { members: [{ url: member.url, route: 'A' }], health: false }, {
      headersTimeout: 400,
      requestTimeout: 1_000,
      connectionsCheckingInterval: 50,
    })
    onTestFinished(async () => {
      await host.close()
      await member.close()
    })
    // The whole head would take 6 s to arrive; the host must cut it long before (at about 0.45 s;
    // 4 s leaves room for a loaded machine and still tells a cut from a complete head).
    const parts = ['GET /slow HTTP/1.1\r\n', 'Host: front\r\n', ...Array.from({ length: 58 }, (_, i) => `X-Pad-${i}: a\r\n`), '\r\n']
    const started = Date.now()
    const reply = await rawExchange(host.port, parts, { gapMs: 100, timeoutMs: 8_000 })
    expect(reply.closed).toBe(true)
    expect(Date.now() - started).toBeLessThan(4_000)
    expect(reply.responses[0]?.status).toBe(408)
    expect(member.seen).toHaveLength(0)
    expect(await aliveStatus(host.port)).toBe(200)
  })

  it('a slow upload is cut at requestTimeout; the member sees an aborted body, never a complete one', async () => {
    const member = await startHttpMember('A')
    const host = await startHost(kind, { members: [{ url: member.url, route: 'A' }], health: false }, {
      headersTimeout: 400,
      requestTimeout: 800,
      connectionsCheckingInterval: 50,
    })
    onTestFinished(async () => {
      await host.close()
      await member.close()
    })
    const head = 'POST /upload HTTP/1.1\r\nHost: front\r\nContent-Length: 100\r\n\r\n'
    const reply = await rawExchange(host.port, [head, ...Array.from({ length: 30 }, () => 'x')], { gapMs: 100, timeoutMs: 3_000 })
    expect(reply.closed).toBe(true)
    expect(reply.responses.every((r) => r.status !== 200)).toBe(true)
    expect(member.seen.every((s) => s.bodyLength < 100)).toBe(true)
    expect(await aliveStatus(host.port)).toBe(200)
  })
})
