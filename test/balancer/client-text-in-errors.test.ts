/**
 * Client-controlled text (session routes, Upgrade values, header names) never reaches an error's
 * message: messages may be shown to clients (`expose`), logged, or printed on a terminal. Where the
 * text helps an operator it sits, bounded and escaped, in a property of its own.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import { LbError } from '../../lib/errors.js'
import type { BalancerOptions } from '../../lib/options.js'
import { forEachHttpTransport, guardProcess, httpRequest, startBalancer, startUpstream, withTestedHttpTransport } from '../support/fake-upstream.js'

beforeEach(guardProcess)

/** A balancer whose errors go to `next`, where the test collects them (an Express-like host). */
async function withNext(options: BalancerOptions): Promise<{ url: string; errors: LbError[] }> {
  const balancer = createBalancer({ logger: false, closeTimeout: 500, ...withTestedHttpTransport(options) })
  const errors: LbError[] = []
  const server = http.createServer((req, res) => {
    void balancer.handle(req, res, (err?: unknown) => {
      if (err instanceof LbError) errors.push(err)
      res.statusCode = err instanceof LbError ? err.statusCode : 500
      res.end(err instanceof LbError && err.expose ? err.message : 'error')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await balancer.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, errors }
}

const HOSTILE_ROUTES: [string, string][] = [
  ['markup', 'Evil<script>alert(1)</script>'],
  ['5,000 characters', 'x'.repeat(5_000)],
  ['encoded CR LF', '%0d%0aSet-Cookie:%20a=b'],
  ['quotes and backslashes', "ro'ute\\\"q"],
  ['Latin-1 letters', '\u00e9\u00e8'],
]

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('session routes from the client', () => {
  it.each(HOSTILE_ROUTES)('sticky.force with a route of %s: 503, the route in err.route (bounded, escaped), never in the message', async (_label, route) => {
    const a = await startUpstream('A')
    const { url, errors } = await withNext({ members: [{ url: a.url, route: 'A' }], sticky: { force: true } })
    const r = await httpRequest(`${url}/x`, { headers: { cookie: `JSESSIONID=abc.${route}` } })
    expect(r.status).toBe(503)
    expect(errors).toHaveLength(1)
    const err = errors[0] as LbError & { route?: string }
    expect(err.code).toBe('LB_ERR_STICKY_MEMBER_UNAVAILABLE')
    expect(err.message).toBe("the session's member is unavailable and sticky.force is on")
    expect(err.message).not.toContain(route.slice(0, 3))
    expect(err.route!.length).toBeLessThanOrEqual(64 * 4 + 1)
    expect(err.route).toMatch(/^[\x20-\x7e…]*$/)
    expect(err.route).not.toContain('"')
    expect(a.seen).toEqual([])
  })
})

describe('routes in log lines', () => {
  it('a refused request logs at most four routes, each bounded and escaped', async () => {
    const a = await startUpstream('A')
    const lines: { msg?: string | undefined; obj: { routes?: string[] } }[] = []
    const logger = { debug: () => {}, info: () => {}, warn: (obj: object, msg?: string) => void lines.push({ obj, msg }), error: () => {} }
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }], sticky: { force: true }, logger })
    const cookie = Array.from({ length: 10 }, (_, i) => `JSESSIONID=s${i}.${'"R'.repeat(400)}`).join('; ')
    const r = await httpRequest(`${url}/x`, { headers: { cookie } })
    expect(r.status).toBe(503)
    const line = lines.find((l) => l.msg === 'no member can take the request')
    expect(line).toBeDefined()
    const routes = line!.obj.routes!
    expect(routes.length).toBeGreaterThan(0)
    expect(routes.length).toBeLessThanOrEqual(4)
    for (const route of routes) {
      expect(route.length).toBeLessThanOrEqual(64 * 4 + 1)
      expect(route).not.toContain('"')
    }
  })
})

describe('Upgrade values from the client', () => {
  it.each(['<img src=x onerror=alert(1)>', 'websocket'])('a request with Upgrade %j to an AJP member: 501 whose body repeats nothing of it', async (upgrade) => {
    const { url } = await startBalancer({ members: [{ url: 'ajp://127.0.0.1:1', route: 'J' }] })
    const r = await httpRequest(`${url}/x`, { headers: { upgrade, connection: 'upgrade' } })
    expect(r.status).toBe(501)
    expect(r.body.toString()).not.toContain(upgrade)
    expect(r.body.toString()).toContain('cannot be forwarded over AJP')
  })
})
})
