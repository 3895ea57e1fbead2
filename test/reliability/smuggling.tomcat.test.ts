/**
 * Request smuggling against a real Tomcat, on every transport (http-proxy-3, node, undici, AJP)
 * and through the Express, Koa and bare hosts: each shape of test/reliability/support/smuggling-cases.ts
 * is sent with a body that is (the start of) a request for `echo.jsp?smuggled`, then a victim
 * request with a session cookie, over one pooled member connection (`http.maxSockets` 1,
 * `ajp.maxConnections` 1). Tomcat must answer the attack with exactly the body bytes sent (echo.jsp),
 * the victim with its own answer and its own cookie, and its access log must show the attack and
 * the victim and nothing smuggled.
 *
 * Against the unfixed http-proxy-3 and node transports the victim got the `smuggled` response,
 * with its cookie inside the attacker's request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/fake-upstream.js'
import { AJP_SECRET, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../support/tomcat.js'
import { accessLog } from './support/access-log.js'
import { HOST_KINDS, sendForFinalResponse, startHost } from './support/hosts.js'
import type { Host, RawResponse } from './support/hosts.js'
import { smuggleCases } from './support/smuggling-cases.js'
import type { SmuggleCase } from './support/smuggling-cases.js'

/** A node of our own, so that its access log can be switched on. */
const NODE = { name: 'FramingA', httpPort: 8310, ajpPort: 8311 }
const TRANSPORTS = ['http-proxy-3', 'node', 'undici', 'ajp'] as const
type TransportKind = (typeof TRANSPORTS)[number]

const SMUGGLED = {
  prefix: 'GET /testapp/echo.jsp?smuggled=1 HTTP/1.1\r\nX-Ignore: ',
  complete: 'GET /testapp/echo.jsp?smuggled=2 HTTP/1.1\r\nHost: front\r\n\r\n',
}
const CASES = smuggleCases(SMUGGLED)

let node: TomcatNode

beforeAll(async () => {
  const before = process.env.TOMCAT_ACCESS_LOG
  process.env.TOMCAT_ACCESS_LOG = '1'
  try {
    await stopTomcatNode(NODE) // a fresh node with the access log on
    ;[node] = (await ensureTomcatNodes([NODE])) as [TomcatNode]
  } finally {
    if (before === undefined) delete process.env.TOMCAT_ACCESS_LOG
    else process.env.TOMCAT_ACCESS_LOG = before
  }
}, 180_000)
afterAll(async () => {
  await stopTomcatNode(NODE)
}, 60_000)

const send = (port: number, bytes: string, timeoutMs = 10_000): Promise<RawResponse | undefined> => sendForFinalResponse(port, bytes, timeoutMs)

function echoOf(response: RawResponse | undefined): TestappEchoJson {
  return JSON.parse(response?.body ?? '{}') as TestappEchoJson
}

/** undici closes its connection after a HEAD, and after a body on a method that expects none. */
function closesAfter(transport: TransportKind, c: SmuggleCase): boolean {
  return transport === 'undici' && (c.method === 'HEAD' || (!['POST', 'PUT', 'PATCH'].includes(c.method) && c.framing !== 'none'))
}

let tags = 0

describe.each(TRANSPORTS)('request smuggling against Tomcat over %s', (transport) => {
  describe.each(HOST_KINDS)('through the %s host', (hostKind) => {
    let host: Host

    beforeAll(async () => {
      host = await startHost(hostKind, {
        members: [{ url: transport === 'ajp' ? node.ajpUrl : node.httpUrl, route: node.route }],
        ...(transport === 'ajp' ? {} : { http: { transport, maxSockets: 1 } }),
        ajp: { secret: AJP_SECRET, maxConnections: 1, pingAfterIdle: Infinity },
        health: false,
        maxFails: 1000,
        timeout: 10_000,
      })
    })
    afterAll(async () => {
      await host.close()
    })

    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const log = accessLog(node.name)
      const offset = log.size()
      const tag = `${transport}-${hostKind}-${++tags}-${process.pid}`
      const secret = `victim-${tag}`
      const attack = await send(host.port, `${c.method} /testapp/echo.jsp?attack=${tag} HTTP/1.1\r\nHost: front\r\n${c.headers}\r\n${c.wireBody}`)
      expect(attack?.status, 'the attack\'s answer').toBe(c.status)
      const victim = await send(host.port, `GET /testapp/echo.jsp?victim=${tag} HTTP/1.1\r\nHost: front\r\nCookie: session=${secret}\r\nConnection: close\r\n\r\n`)
      expect(victim?.status, 'the victim\'s answer').toBe(200)
      const victimEcho = echoOf(victim)
      expect([victimEcho.method, victimEcho.queryString, victimEcho.cookies.session], 'the victim gets its own answer').toEqual(['GET', `victim=${tag}`, [secret]])
      expect(victim?.body).not.toContain('smuggled')

      if (c.status === 200 && c.method !== 'HEAD') {
        const echo = echoOf(attack)
        expect([echo.method, echo.queryString], 'the attack as Tomcat saw it').toEqual([c.method, `attack=${tag}`])
        expect([echo.bodyLength, echo.bodyText], 'exactly the body bytes sent').toEqual([c.body?.length, c.body])
        expect(JSON.stringify(echo)).not.toContain(secret)
        for (const name of c.kept ?? []) expect(echo.headers[name], name).toBeDefined()
        for (const name of c.dropped ?? []) expect(echo.headers[name], name).toBeUndefined()
        if (transport !== 'ajp' && !closesAfter(transport, c)) {
          expect(victimEcho.remotePort, 'the victim came on the attack\'s pooled connection').toBe(echo.remotePort)
        }
      }

      // Tomcat's access log: the attack (when forwarded) and the victim, nothing smuggled.
      expect(await eventually(() => log.since(offset).some((l) => l.includes(`victim=${tag}`)), 5_000), 'the victim in the access log').toBe(true)
      if (c.status === 200) expect(await eventually(() => log.since(offset).some((l) => l.includes(`attack=${tag}`)), 5_000), 'the attack in the access log').toBe(true)
      await new Promise((r) => setTimeout(r, 20))
      const lines = log.since(offset).filter((l) => l.includes(tag) || l.includes('smuggled'))
      expect(lines.join('\n')).not.toContain('smuggled')
      const expected = c.status === 200
        ? [`"${c.method} /testapp/echo.jsp?attack=${tag} HTTP/1.1" 200`, `"GET /testapp/echo.jsp?victim=${tag} HTTP/1.1" 200`]
        : [`"GET /testapp/echo.jsp?victim=${tag} HTTP/1.1" 200`]
      expect(lines.map((l) => /"[^"]*" \d{3}/.exec(l)?.[0])).toEqual(expected)
    })
  })
})
