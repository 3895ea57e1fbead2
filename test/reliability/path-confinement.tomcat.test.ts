/**
 * Path confinement against real Tomcat (issue 16, "escape from the mount"): two own nodes with
 * Tomcat's `examples` webapp deployed next to `/testapp`, a balancer mounted at `/app` with
 * `upstreamPath: '/testapp'` (ProxyPass /app balancer://tomcat/testapp), through the Express,
 * Koa, bare node:http and `bypass()` hosts, to HTTP members on every HTTP transport and to AJP
 * members.
 *
 * Whatever path a client sends, it either reaches exactly the resource Tomcat maps for it under
 * the mount (the same status, context, servlet path and path info as Tomcat gives that path
 * directly), or it is refused with 400 by the balancer (never forwarded). It is never a page of
 * another context (`/examples`), and never an `exclude`d path. A table of named shapes, then a
 * seeded fast-check property over paths built from dot segments, encoded dots, path parameters,
 * encoded and literal separators and context names; then WebSocket upgrades.
 *
 * Own nodes (PathA, PathB), so other Tomcat tests are not disturbed.
 */
import http from 'node:http'
import express from 'express'
import type { Request, Response } from 'express'
import fc from 'fast-check'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import { isPathRefusal, requestTarget } from '../../lib/proxy/request-target.js'
import { mountAt } from '../support/framework-apps.js'
import { listenHost } from '../support/listen-host.js'
import type { ListeningHost } from '../support/listen-host.js'
import { rawRequest } from '../support/raw-http.js'
import type { RawAnswer } from '../support/raw-http.js'
import { AJP_SECRET, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode, TomcatNodeSpec } from '../support/tomcat.js'

const SPECS: TomcatNodeSpec[] = [
  { name: 'PathA', httpPort: 8321, ajpPort: 8331 },
  { name: 'PathB', httpPort: 8322, ajpPort: 8332 },
]
const MOUNT = '/app'
const UPSTREAM = '/testapp'
/** Relative to the mount: echo.jsp answers /testapp/echo/private/* too, so it would show a leak. */
const EXCLUDE = ['/echo/private']
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 16_016
const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 40

let nodes: TomcatNode[]

beforeAll(async () => {
  process.env.TOMCAT_EXAMPLES = '1'
  nodes = await ensureTomcatNodes(SPECS)
  // The examples webapp is there: an escape would show it.
  const examples = await raw(nodes[0]!.httpPort, 'GET /examples/index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
  expect(examples.status).toBe(200)
  expect(examples.body).toContain('Apache Tomcat Examples')
})

afterAll(async () => {
  await Promise.all(SPECS.map((s) => stopTomcatNode(s)))
})

// ---------------------------------------------------------------------------------------------
// raw HTTP: fetch() and http.request would resolve dot segments before sending

const raw = rawRequest

const get = (port: number, target: string): Promise<RawAnswer> =>
  raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)

function echoOf(answer: RawAnswer): TestappEchoJson | undefined {
  if (!String(answer.headers['content-type']).includes('json')) return undefined
  try {
    return JSON.parse(answer.body) as TestappEchoJson
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// hosts and members

type MemberKind = 'http-proxy-3' | 'node' | 'undici' | 'ajp'
type HostKind = 'express' | 'koa' | 'bare' | 'bypass'
const MEMBER_KINDS: MemberKind[] = ['http-proxy-3', 'node', 'undici', 'ajp']
const HOST_KINDS: HostKind[] = ['express', 'koa', 'bare', 'bypass']

function optionsFor(kind: MemberKind, upstreamPath = UPSTREAM): BalancerOptions {
  const members = kind === 'ajp'
    ? nodes.map((n) => ({ url: n.ajpUrl, route: n.route }))
    : nodes.map((n) => ({ url: n.httpUrl, route: n.route }))
  return {
    members,
    upstreamPath,
    exclude: EXCLUDE,
    logger: false,
    health: false,
    ...(kind === 'ajp' ? { ajp: { secret: AJP_SECRET } } : { http: { transport: kind } }),
  }
}

type Host = ListeningHost

/**
 * A host with the balancer at `MOUNT` (the bare host: at the root, `upstreamPath` doing the
 * mapping), upgrades attached. Excluded paths end in the host's own 404 (`next`).
 */
async function startHost(host: HostKind, options: BalancerOptions): Promise<Host> {
  let listener: http.RequestListener
  let balancer: Balancer
  let server: http.Server
  if (host === 'express' || host === 'bypass') {
    const middleware = expressBalancer(options)
    const app = express()
    app.use(MOUNT, middleware)
    app.use((_req: Request, res: Response) => void res.status(404).type('text').send('next'))
    listener = host === 'bypass' ? middleware.bypass(app, MOUNT) : app
    balancer = middleware.balancer
    server = http.createServer(listener)
    middleware.attachUpgrades(server, { mountPath: MOUNT })
  } else if (host === 'koa') {
    const middleware = koaBalancer(options)
    const app = new Koa()
    app.use(mountAt(MOUNT, middleware))
    app.use((ctx) => {
      ctx.status = 404
      ctx.type = 'text'
      ctx.body = 'next'
    })
    balancer = middleware.balancer
    server = http.createServer(app.callback())
    middleware.attachUpgrades(server, { mountPath: MOUNT })
  } else {
    balancer = createBalancer(options)
    server = http.createServer((req, res) => void balancer.handle(req, res))
    balancer.attachUpgrades(server)
  }
  return listenHost(server, balancer, host === 'bare' ? '' : MOUNT)
}

// ---------------------------------------------------------------------------------------------
// the oracle

/** Text that only a page of the examples webapp (or Tomcat's own pages) carries. */
const OTHER_CONTEXT = /Apache Tomcat Examples|Request Information|<title>[^<]*Example/

/**
 * Sends `relative` (the path below the mount) through `host` and checks the answer against what
 * Tomcat itself maps: the model (`requestTarget`) decides to refuse or where to go; a refusal is
 * a 400 of the balancer's own (or of Node's parser); a forwarded path gets exactly Tomcat's
 * answer for `/testapp` + the path sent raw, straight to a node; nothing is ever a page of
 * another context or an excluded path.
 */
async function check(host: Host, relative: string): Promise<void> {
  const via = await get(host.port, host.prefix + relative)
  const what = `${host.prefix}${relative} → ${via.status} ${via.body.slice(0, 120)}`
  const echo = echoOf(via)
  // Never another context, never an excluded path, whatever the model says.
  if (echo) {
    expect(echo.contextPath, what).toBe(UPSTREAM)
    expect(echo.servletPath === '/echo' && (echo.pathInfo ?? '').startsWith('/private'), `${what}: excluded path reached Tomcat`).toBe(false)
  } else {
    expect(via.body, what).not.toMatch(OTHER_CONTEXT)
  }
  expect((via.headers.location ?? '').replace(/\?.*/, ''), what).not.toMatch(/examples/)

  const model = requestTarget(UPSTREAM, relative)
  if (isPathRefusal(model)) {
    expect(via.status, what).toBe(400)
    expect(via.body, `${what}: refused by the balancer, not by Tomcat`).not.toMatch(/Apache Tomcat|HTTP Status/)
    if (model.code === 'LB_ERR_BAD_REQUEST') {
      // What the balancer refuses as malformed, Tomcat (default settings) refuses too.
      const direct = await get(nodes[0]!.httpPort, UPSTREAM + relative)
      expect(direct.status, `${what}: Tomcat on its own`).toBe(400)
    }
    return
  }
  if (model.mapped === '/echo/private' || model.mapped.startsWith('/echo/private/')) {
    expect(via.status, what).toBe(404)
    expect(via.body, `${what}: the host's own answer`).toMatch(/^(next|404 Not Found: not found)/)
    return
  }
  // Forwarded: Tomcat maps `/testapp` + the raw path exactly as the balancer decided.
  const direct = await get(nodes[0]!.httpPort, UPSTREAM + relative)
  expect(via.status, `${what}: Tomcat on its own answers ${direct.status}`).toBe(direct.status)
  const directEcho = echoOf(direct)
  expect(Boolean(echo), what).toBe(Boolean(directEcho))
  if (echo && directEcho) {
    expect([echo.contextPath, echo.servletPath, echo.pathInfo], what).toEqual([directEcho.contextPath, directEcho.servletPath, directEcho.pathInfo])
    const q = model.path.indexOf('?')
    expect(echo.requestURI, `${what}: the path the member got`).toBe(q === -1 ? model.path : model.path.slice(0, q))
  }
}

// ---------------------------------------------------------------------------------------------

/** Shapes from the issue and more; each also checked by the oracle. */
const TABLE: [relative: string, expected: 'refused' | 'excluded' | { servletPath: string; pathInfo: string | null }][] = [
  ['/../examples/index.html', 'refused'],
  ['/..;/examples/index.html', 'refused'],
  ['/..;x=1/examples/', 'refused'],
  ['/%2e%2e/examples/index.html', 'refused'],
  ['/%2E%2e/examples/', 'refused'],
  ['/%2E%2E/examples/', 'refused'],
  ['/.%2e/examples/', 'refused'],
  ['/%2e./examples/', 'refused'],
  ['/%2e%2e;p=1/examples/', 'refused'],
  ['/;/../examples/', 'refused'],
  ['/;x=1/..;y=2/examples/', 'refused'],
  ['//../examples/', 'refused'],
  ['/x/../../examples/', 'refused'],
  ['/x/..;/..;/examples/', 'refused'],
  ['/./../examples/', 'refused'],
  ['/.;x/..;y/examples/', 'refused'],
  ['/../examples/servlets/servlet/RequestInfoExample/x', 'refused'],
  ['/../examples/websocket/index.xhtml', 'refused'],
  ['/../manager/html', 'refused'],
  ['/../host-manager/html', 'refused'],
  ['/..', 'refused'],
  ['/../', 'refused'],
  ['/../testapp/echo.jsp', 'refused'],
  ['/..%2fexamples/', 'refused'],
  ['/..%2Fexamples/', 'refused'],
  ['/%2e%2e%2fexamples/', 'refused'],
  ['/..%5cexamples/', 'refused'],
  ['/..%5Cexamples/', 'refused'],
  ['/echo/a%2fb', 'refused'],
  ['/echo/a%zz', 'refused'],
  ['/echo/a%00b', 'refused'],
  ['/echo.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/x/../echo.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/x/%2e%2e/echo.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/x/..;p/echo.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/./echo.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['//echo.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/%65cho.jsp', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/echo.jsp;jsessionid=X.PathA', { servletPath: '/echo.jsp', pathInfo: null }],
  ['/echo/examples/../x', { servletPath: '/echo', pathInfo: '/x' }],
  ['/echo/%2e%2e%2e', { servletPath: '/echo', pathInfo: '/...' }],
  ['/echo/..%3bx', { servletPath: '/echo', pathInfo: '/..;x' }],
  ['/echo/%252e%252e/x', { servletPath: '/echo', pathInfo: '/%2e%2e/x' }],
  ['/echo/a/b/..', { servletPath: '/echo', pathInfo: '/a' }],
  ['/echo/private', 'excluded'],
  ['/echo/private/x', 'excluded'],
  ['/echo/./private', 'excluded'],
  ['/echo/x/..;/private', 'excluded'],
  ['/echo/x/%2e%2e/private/y', 'excluded'],
  ['/echo/%70rivate', 'excluded'],
  ['/echo;x/private', 'excluded'],
  ['/echo//private', 'excluded'],
  ['/echo/.;p/private', 'excluded'],
  ['/echo/private;x', 'excluded'],
  ['/echo/.%2e/echo/private', 'excluded'],
  ['/;p/echo/private', 'excluded'],
]

describe.each(MEMBER_KINDS)('%s members', (kind) => {
  describe.each(HOST_KINDS)('%s host', (hostKind) => {
    let host: Host
    beforeAll(async () => {
      host = await startHost(hostKind, optionsFor(kind))
    })
    afterAll(async () => {
      await host?.close()
    })

    it.each(TABLE)('%s', async (relative, expected) => {
      const answer = await get(host.port, host.prefix + relative)
      if (expected === 'refused') {
        expect(answer.status).toBe(400)
        expect(answer.body).not.toMatch(/Apache Tomcat|HTTP Status/)
      } else if (expected === 'excluded') {
        expect(answer.status).toBe(404)
        expect(answer.body).toMatch(/^(next|404 Not Found: not found)/)
      } else {
        expect(answer.status).toBe(200)
        const echo = echoOf(answer)
        expect([echo?.contextPath, echo?.servletPath, echo?.pathInfo]).toEqual([UPSTREAM, expected.servletPath, expected.pathInfo])
      }
      await check(host, relative)
    })

    it('property: any path reaches what Tomcat maps under the mount, or is refused with 400', async () => {
      await fc.assert(fc.asyncProperty(pathBelowMount, (relative) => check(host, relative)), { numRuns: RUNS, seed: SEED, endOnFailure: true })
    })
  })
})

/** Path segments a client may send: dot segments in every spelling, parameters, separators, names. */
const segment = fc.constantFrom(
  '..', '.', '%2e', '%2E', '%2e%2e', '%2E%2e', '%2E%2E', '.%2e', '%2e.', '..;', '..;x', '..;x=1', '.;p=1', '%2e%2e;p', ';p=1', ';jsessionid=X.PathA', '',
  '%2f', '..%2f', '%5c', '..%5c', '%3b', '..%3bx', '%2e%2e%2e', '%252e%252e', '%00', '%zz',
  'examples', '%65xamples', 'testapp', 'echo.jsp', '%65cho.jsp', 'echo.jsp;jsessionid=X.PathB', 'echo', 'private', '%70rivate', 'private;x', 'manager',
  'index.html', 'servlets', 'servlet', 'RequestInfoExample', 'websocket', 'a', 'a%20b', '%C3%A9',
)
const pathBelowMount = fc.record({
  segments: fc.array(segment, { minLength: 1, maxLength: 7 }),
  trailingSlash: fc.boolean(),
  query: fc.constantFrom('', '?q=1', '?next=/../examples/'),
}).map(({ segments, trailingSlash, query }) => `/${segments.join('/')}${trailingSlash ? '/' : ''}${query}`)

// ---------------------------------------------------------------------------------------------
// upgrades: the same path, the same decision

const HANDSHAKE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
const upgrade = (port: number, target: string): Promise<RawAnswer> =>
  raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${HANDSHAKE}\r\n`, true)

describe.each<HostKind>(['express', 'koa', 'bare'])('WebSocket upgrades through the %s host', (hostKind) => {
  it('an upgrade out of the mount is refused with 400; inside it reaches the endpoint Tomcat maps', async () => {
    // upstreamPath '/testapp': the examples' endpoints are outside.
    const confined = await startHost(hostKind, optionsFor('http-proxy-3'))
    // upstreamPath '/examples': they are inside.
    const examples = await startHost(hostKind, optionsFor('http-proxy-3', '/examples'))
    try {
      for (const relative of ['/../examples/websocket/echoAnnotation', '/..;/examples/websocket/echoAnnotation', '/%2e%2e/examples/websocket/echoAnnotation',
        '/%2E%2e;x/examples/websocket/echoProgrammatic', '/;/../examples/websocket/echoAnnotation', '/x/../../examples/websocket/echoAnnotation',
        '/..%2fexamples/websocket/echoAnnotation', '//../examples/websocket/echoStreamAnnotation']) {
        const answer = await upgrade(confined.port, confined.prefix + relative)
        expect(answer.status, relative).toBe(400)
        const escaped = await upgrade(examples.port, examples.prefix + relative.replace('/examples/', '/testapp/'))
        expect(escaped.status, `${relative} below /examples`).toBe(400)
      }
      for (const relative of ['/websocket/echoAnnotation', '/x/../websocket/echoAnnotation', '/./websocket/%65choAnnotation', '//websocket/echoProgrammatic', '/websocket/x/..;/echoAnnotation']) {
        const answer = await upgrade(examples.port, examples.prefix + relative)
        expect(answer.status, relative).toBe(101)
      }
      expect((await upgrade(examples.port, `${examples.prefix}/websocket/private/../echoAnnotation`)).status).toBe(101)
    } finally {
      await confined.close()
      await examples.close()
    }
  })
})
