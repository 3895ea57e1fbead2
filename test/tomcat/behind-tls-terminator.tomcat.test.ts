/**
 * The balancer behind a real TLS-terminating proxy (Debian's nginx, self-signed certificate made
 * here), in front of real Tomcat, as a load balancer or an ingress deploys it:
 *
 *   client --https--> nginx 127.0.0.1:842x --http--> balancer (Express, Koa, node:http) --> Tomcat
 *
 * With the proxy trusted (`trustProxy`, Express's `trust proxy`, Koa's `app.proxy`), Tomcat must
 * see what the client used: `https`, `isSecure()`, the front's host and port, and build redirects
 * to `https://localhost:<front port>/…`; over HTTP (through Tomcat's RemoteIpValve, which reads the
 * X-Forwarded-* headers the balancer writes) and over AJP (`is_ssl`, `server_port`, Host). The
 * balancer cookie gets `Secure`. The same headers sent straight to the balancer by a client it
 * does not trust are replaced by what the balancer saw.
 */
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import type { Balancer, BalancerOptions } from '../../lib/index.js'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNodeSpec } from '../support/tomcat.js'
import { FORWARDED_HEADER, X_FORWARDED_HEADERS, startTlsFrontProxy } from '../support/tls-front-proxy.js'
import type { FrontServer, TlsFrontProxy } from '../support/tls-front-proxy.js'

/** A node of our own whose RemoteIpValve believes X-Forwarded-* from 127.0.0.1 (HTTP members). */
const TRUSTING_NODE: TomcatNodeSpec = { name: 'TrustFront', httpPort: 8402, ajpPort: 8403 }
/** AJP members go to a default node, which has no valve: only the AJP fields can make it see https. */
const AJP_NODE = TOMCAT_NODES[0] as (typeof TOMCAT_NODES)[0]

type Host = 'express' | 'koa' | 'node:http'
type Protocol = 'http' | 'ajp'

interface Case {
  readonly host: Host
  readonly protocol: Protocol
  readonly frontPort: number
  readonly headers: 'x-forwarded' | 'forwarded'
}

const CASES: readonly Case[] = [
  { host: 'express', protocol: 'http', frontPort: 8420, headers: 'x-forwarded' },
  { host: 'express', protocol: 'ajp', frontPort: 8421, headers: 'x-forwarded' },
  { host: 'node:http', protocol: 'http', frontPort: 8422, headers: 'x-forwarded' },
  { host: 'node:http', protocol: 'ajp', frontPort: 8423, headers: 'x-forwarded' },
  { host: 'koa', protocol: 'http', frontPort: 8424, headers: 'x-forwarded' },
  { host: 'koa', protocol: 'ajp', frontPort: 8425, headers: 'x-forwarded' },
  { host: 'node:http', protocol: 'http', frontPort: 8426, headers: 'forwarded' },
  { host: 'node:http', protocol: 'ajp', frontPort: 8427, headers: 'forwarded' },
]

interface Started {
  readonly balancer: Balancer
  readonly server: http.Server
  readonly port: number
}

const started = new Map<Case, Started>()
let front: TlsFrontProxy | undefined

function memberOf(protocol: Protocol): BalancerOptions['members'][number] {
  return protocol === 'http'
    ? { url: `http://127.0.0.1:${TRUSTING_NODE.httpPort}`, route: TRUSTING_NODE.name }
    : { url: AJP_NODE.ajpUrl, route: AJP_NODE.route, secret: AJP_SECRET }
}

/** The balancer of a case, on its host; the proxy (nginx, at 127.0.0.1) is trusted the host's way. */
async function startHost(c: Case): Promise<Started> {
  const base: BalancerOptions = { members: [memberOf(c.protocol)], logger: false, sticky: { balancerCookie: { name: 'ROUTEID' } } }
  let listener: http.RequestListener
  let balancer: Balancer
  if (c.host === 'express') {
    const app = express()
    app.set('trust proxy', '127.0.0.1') // Express's own setting: no trustProxy option
    const lb = expressBalancer(base)
    app.use(lb)
    listener = app
    balancer = lb.balancer
  } else if (c.host === 'koa') {
    const app = new Koa()
    app.proxy = true // Koa's own setting: no trustProxy option
    const lb = koaBalancer(base)
    app.use(lb)
    listener = app.callback()
    balancer = lb.balancer
  } else {
    balancer = createBalancer({ ...base, trustProxy: '127.0.0.1' })
    listener = (req, res) => void balancer.handle(req, res)
  }
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { balancer, server, port: (server.address() as AddressInfo).port }
}

interface Answer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** A request through the TLS front, as a browser at https://localhost:<port>/ sends it. */
function viaFront(port: number, path: string, extra: http.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, servername: 'localhost', ca: front?.ca, headers: { host: `localhost:${port}`, ...extra }, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A request straight to the balancer, from 127.0.0.2 (not trusted), with forged forwarding headers. */
function direct(port: number, path: string, headers: http.OutgoingHttpHeaders): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, localAddress: '127.0.0.2', headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  process.env.TOMCAT_REMOTE_IP = '1'
  try {
    await ensureTomcatNodes([TRUSTING_NODE])
  } finally {
    delete process.env.TOMCAT_REMOTE_IP
  }
  await ensureTomcatNodes([AJP_NODE.name])
  for (const c of CASES) started.set(c, await startHost(c))
  const servers: FrontServer[] = CASES.map((c) => ({
    listenPort: c.frontPort,
    upstreamPort: (started.get(c) as Started).port,
    headers: c.headers === 'forwarded' ? FORWARDED_HEADER : X_FORWARDED_HEADERS,
  }))
  front = await startTlsFrontProxy(servers)
})

afterAll(async () => {
  await front?.stop()
  for (const s of started.values()) {
    s.server.closeAllConnections()
    await new Promise<void>((resolve) => s.server.close(() => resolve()))
    await s.balancer.close()
  }
  await stopTomcatNode(TRUSTING_NODE)
})

describe.each(CASES)('behind nginx terminating TLS: $host host, $protocol member, $headers headers', (c) => {
  it('Tomcat sees https, isSecure(), the front\'s host and port', async () => {
    const answer = await viaFront(c.frontPort, '/testapp/echo.jsp')
    expect(answer.status, answer.body).toBe(200)
    const echo = JSON.parse(answer.body) as TestappEchoJson
    expect({ scheme: echo.scheme, secure: echo.secure, serverName: echo.serverName, serverPort: echo.serverPort }).toEqual({
      scheme: 'https', secure: true, serverName: 'localhost', serverPort: c.frontPort,
    })
    expect(echo.requestURL).toBe(`https://localhost:${c.frontPort}/testapp/echo.jsp`)
    // What the balancer wrote: the proxy's facts, validated; its own peer appended to X-Forwarded-For.
    expect(echo.headers['x-forwarded-proto']).toEqual(['https'])
    expect(echo.headers['x-forwarded-port']).toEqual([String(c.frontPort)])
    expect(echo.headers['x-forwarded-host']).toEqual([`localhost:${c.frontPort}`])
    // (Over HTTP, Tomcat's RemoteIpValve consumes X-Forwarded-For; over AJP it arrives as sent.)
    if (c.protocol === 'ajp') expect(echo.headers['x-forwarded-for']).toEqual([c.headers === 'x-forwarded' ? '127.0.0.1, 127.0.0.1' : '127.0.0.1'])
  })

  it('a redirect Tomcat builds points to https://<front host>:<front port>/', async () => {
    const answer = await viaFront(c.frontPort, '/testapp/redirect.jsp?to=index.jsp')
    expect(answer.status).toBe(302)
    expect(answer.headers.location).toBe(`https://localhost:${c.frontPort}/testapp/index.jsp`)
  })

  it('the balancer cookie is Secure', async () => {
    const answer = await viaFront(c.frontPort, '/testapp/echo.jsp')
    const cookie = (answer.headers['set-cookie'] ?? []).find((v) => v.startsWith('ROUTEID='))
    expect(cookie).toBeDefined()
    expect(cookie).toMatch(/;\s*Secure/i)
  })
})

describe.each(CASES)('a client forging forwarding headers through the front: $host host, $protocol member, $headers headers', (c) => {
  // nginx replaces the family it is configured to write and passes the other one through.
  const forged = {
    'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example', 'x-forwarded-port': '1',
    forwarded: 'for=198.51.100.66;proto=http;host=evil.example',
  }

  it('never gets its host or port believed', async () => {
    const answer = await viaFront(c.frontPort, '/testapp/echo.jsp', forged)
    expect(answer.status, answer.body).toBe(200)
    const echo = JSON.parse(answer.body) as TestappEchoJson
    expect(echo.serverName).not.toBe('evil.example')
    expect(echo.serverPort).not.toBe(1)
    expect(echo.requestURL).not.toContain('evil.example')
    expect(echo.headers['x-forwarded-host']).not.toContain('evil.example')
    expect(echo.headers['x-forwarded-port']).not.toContain('1')
    // What nginx wrote and what the client's other family claims differ: neither is believed,
    // and the request counts as the balancer saw it (the client can only lose, never choose).
    expect(echo.headers['x-forwarded-port']).toEqual([String(started.get(c)?.port)])
    if (c.protocol === 'ajp') expect(echo.remoteAddr).not.toBe('198.51.100.66')
  })

  it('gets no redirect to its host', async () => {
    const answer = await viaFront(c.frontPort, '/testapp/redirect.jsp?to=index.jsp', forged)
    expect(answer.status).toBe(302)
    expect(answer.headers.location).not.toContain('evil.example')
    expect(answer.headers.location).toMatch(/^https?:\/\/(localhost|127\.0\.0\.1):\d+\/testapp\/index\.jsp$/)
  })
})

const UNTRUSTED = CASES.filter((c) => c.host !== 'koa' && c.headers === 'x-forwarded')

describe.each(UNTRUSTED)('a client the $host host does not trust ($protocol member)', (c) => {
  const forged = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example:8443', 'x-forwarded-port': '8443', 'x-forwarded-for': '198.51.100.7', forwarded: 'for=198.51.100.7;proto=https;host=evil.example' }

  it('has its forwarding headers replaced: Tomcat sees plain http on the balancer\'s port', async () => {
    const { port } = started.get(c) as Started
    const answer = await direct(port, '/testapp/echo.jsp', { host: `127.0.0.1:${port}`, ...forged })
    expect(answer.status, answer.body).toBe(200)
    const echo = JSON.parse(answer.body) as TestappEchoJson
    expect({ scheme: echo.scheme, secure: echo.secure, serverName: echo.serverName }).toEqual({ scheme: 'http', secure: false, serverName: '127.0.0.1' })
    expect(echo.serverPort).toBe(port)
    expect(echo.headers['x-forwarded-proto']).toEqual(['http'])
    expect(echo.headers['x-forwarded-port']).toEqual([String(port)])
    expect(echo.headers['x-forwarded-host']).toEqual([`127.0.0.1:${port}`])
    // Appended, as always: the forged entry stays, the balancer's peer follows it (over HTTP the
    // valve takes that last entry as the client and leaves the rest); the client is that peer.
    expect(echo.headers['x-forwarded-for']).toEqual([c.protocol === 'ajp' ? '198.51.100.7, 127.0.0.2' : '198.51.100.7'])
    expect(echo.remoteAddr).toBe('127.0.0.2')
  })

  it('gets redirects to http:// and a balancer cookie without Secure', async () => {
    const { port } = started.get(c) as Started
    const answer = await direct(port, '/testapp/redirect.jsp?to=index.jsp', { host: `127.0.0.1:${port}`, ...forged })
    expect(answer.status).toBe(302)
    expect(answer.headers.location).toBe(`http://127.0.0.1:${port}/testapp/index.jsp`)
    const cookie = (answer.headers['set-cookie'] ?? []).find((v) => v.startsWith('ROUTEID='))
    expect(cookie).toBeDefined()
    expect(cookie).not.toMatch(/Secure/i)
  })
})
