/**
 * onRequest, onResponse and pathRewrite against the real Tomcat nodes (echo.jsp reports the
 * headers and request URI Tomcat saw): a balancer mounted at `/app` with `upstreamPath:
 * '/testapp'`, through the Express, Koa and bare node:http hosts, to HTTP members on every HTTP
 * transport and to AJP members.
 *
 * - onRequest adds an auth header naming the member, removes a client header and moves the path;
 *   Tomcat sees exactly that, on the member the hook was told about.
 * - onResponse adds and removes response headers.
 * - What a hook leaves that the balancer refuses (CR, LF, NUL, a bad name, a framing or
 *   connection header, no Host, a path out of the mount or not a path, a throw, a promise) is a
 *   502 of the balancer's own; nothing reaches a member; the next request is served.
 * - pathRewrite: rules and functions, rewritten below the mount, still confined.
 * - Upgrade handshakes get onRequest too.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { BalancerOptions } from '../../lib/options.js'
import type { ProxyRequestContext, ProxyResponseContext } from '../../lib/proxy/hooks.js'
import { mountAt } from '../support/framework-apps.js'
import { listenHost } from '../support/listen-host.js'
import type { ListeningHost } from '../support/listen-host.js'
import { rawRequest } from '../support/raw-http.js'
import type { RawAnswer } from '../support/raw-http.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'

const MOUNT = '/app'
const UPSTREAM = '/testapp'

type MemberKind = 'http-proxy-3' | 'node' | 'undici' | 'ajp'
type HostKind = 'express' | 'koa' | 'bare'
const MEMBER_KINDS: MemberKind[] = ['http-proxy-3', 'node', 'undici', 'ajp']
const HOST_KINDS: HostKind[] = ['express', 'koa', 'bare']

beforeAll(async () => {
  await ensureTomcatNodes()
})

// ---------------------------------------------------------------------------------------------
// raw HTTP on a fresh connection (exact request targets, exact response heads)

type Answer = RawAnswer
const send = rawRequest

const get = (port: number, target: string, extra = ''): Promise<Answer> =>
  send(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}Connection: close\r\n\r\n`)

function echoOf(answer: Answer): TestappEchoJson {
  expect(answer.headers['content-type'] ?? '', `${answer.status} ${answer.body.slice(0, 200)}`).toContain('json')
  return JSON.parse(answer.body) as TestappEchoJson
}

// ---------------------------------------------------------------------------------------------
// hosts

type Host = ListeningHost

function optionsFor(kind: MemberKind, extra: Partial<BalancerOptions>): BalancerOptions {
  const members = kind === 'ajp'
    ? TOMCAT_NODES.map((n) => ({ url: n.ajpUrl, route: n.route, upgradeUrl: n.httpUrl }))
    : TOMCAT_NODES.map((n) => ({ url: n.httpUrl, route: n.route }))
  return {
    members,
    upstreamPath: UPSTREAM,
    logger: false,
    health: false,
    closeTimeout: 500,
    ...(kind === 'ajp' ? { ajp: { secret: AJP_SECRET } } : { http: { transport: kind } }),
    ...extra,
  }
}

async function startHost(host: HostKind, options: BalancerOptions): Promise<Host> {
  let balancer: Balancer
  let server: http.Server
  if (host === 'express') {
    const middleware = expressBalancer(options)
    const app = express()
    app.use(MOUNT, middleware)
    app.use((_req: Request, res: Response) => void res.status(404).type('text').send('next'))
    app.use((err: { statusCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
      res.status(err.statusCode ?? 500).type('text').send(`host error ${String((err as { code?: string }).code)}`)
    })
    balancer = middleware.balancer
    server = http.createServer(app)
    middleware.attachUpgrades(server, { mountPath: MOUNT })
  } else if (host === 'koa') {
    const middleware = koaBalancer(options)
    const app = new Koa()
    app.silent = true
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (err) {
        ctx.status = (err as { statusCode?: number }).statusCode ?? 500
        ctx.type = 'text'
        ctx.body = `host error ${String((err as { code?: string }).code)}`
      }
    })
    app.use(mountAt(MOUNT, middleware))
    app.use((ctx) => {
      ctx.status = 404
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

function requestsSent(balancer: Balancer): number {
  return balancer.members.reduce((sum, m) => sum + m.counters.requests, 0)
}

// ---------------------------------------------------------------------------------------------

describe.each(MEMBER_KINDS)('to %s members', (kind) => {
  describe.each(HOST_KINDS)('through %s', (hostKind) => {
    const seen: { member: string; protocol: string; path: string; attempt: number; upgrade: boolean }[] = []
    /** What the onRequest hook of the shared host does next (one request at a time). */
    let requestHook: (ctx: ProxyRequestContext) => unknown = () => {}
    let responseHook: (ctx: ProxyResponseContext) => unknown = () => {}
    let host: Host

    beforeAll(async () => {
      host = await startHost(hostKind, optionsFor(kind, {
        onRequest: (ctx) => {
          seen.push({ member: ctx.member.id, protocol: ctx.member.protocol, path: ctx.path, attempt: ctx.attempt, upgrade: ctx.upgrade })
          return requestHook(ctx) as void
        },
        onResponse: (ctx) => responseHook(ctx) as void,
        pathRewrite: { '^/old/(\\w+)': '/echo/renamed-$1', '^/escape/': '/../examples/', '^/to-root': '/..' },
      }))
    })
    afterAll(async () => {
      await host?.close()
    })

    const reset = (): void => {
      seen.length = 0
      requestHook = () => {}
      responseHook = () => {}
    }

    it('onRequest adds an auth header for the member, removes a client header and moves the path', async () => {
      reset()
      requestHook = (ctx) => {
        ctx.setHeader('Authorization', `Bearer token-for-${ctx.member.id}`)
        ctx.headers['x-backend-member'] = ctx.member.route ?? ''
        ctx.removeHeader('x-remove-me')
        ctx.path = ctx.path.replace(`${UPSTREAM}/original/`, `${UPSTREAM}/echo/`)
      }
      const answer = await get(host.port, `${host.prefix}/original/x?q=1`, 'X-Remove-Me: secret\r\nX-Keep: kept\r\n')
      expect(answer.status).toBe(200)
      const echo = echoOf(answer)
      expect(echo.requestURI).toBe(`${UPSTREAM}/echo/x`)
      expect(echo.queryString).toBe('q=1')
      expect(echo.headers.authorization).toEqual([`Bearer token-for-${echo.node}`])
      expect(echo.headers['x-backend-member']).toEqual([echo.node])
      expect(echo.headers['x-remove-me']).toBeUndefined()
      expect(echo.headers['x-keep']).toEqual(['kept'])
      expect(seen).toEqual([{ member: echo.node, protocol: kind === 'ajp' ? 'ajp' : 'http', path: `${UPSTREAM}/original/x?q=1`, attempt: 1, upgrade: false }])
    })

    it('onRequest may change Host and a forwarding header', async () => {
      reset()
      requestHook = (ctx) => {
        ctx.headers.host = 'app.example.com:8443'
        ctx.headers['x-forwarded-proto'] = 'https'
      }
      const echo = echoOf(await get(host.port, `${host.prefix}/echo.jsp`))
      expect(echo.headers.host).toEqual(['app.example.com:8443'])
      expect(echo.serverName).toBe('app.example.com')
      expect(echo.headers['x-forwarded-proto']).toEqual(['https'])
    })

    it('onRequest: a path normalised below the mount is forwarded normalised', async () => {
      reset()
      requestHook = (ctx) => {
        ctx.path = `${UPSTREAM}/sub/../echo/a/./b?x=%2e%2e`
      }
      const echo = echoOf(await get(host.port, `${host.prefix}/echo.jsp`))
      expect(echo.requestURI).toBe(`${UPSTREAM}/echo/a/b`)
      expect(echo.queryString).toBe('x=%2e%2e')
    })

    it('onResponse adds and removes response headers', async () => {
      reset()
      responseHook = (ctx) => {
        expect(ctx.status).toBe(200)
        ctx.removeHeader('X-Node')
        delete ctx.headers['cache-control']
        ctx.setHeader('x-served-by', ctx.member.id)
        ctx.headers['set-cookie'] = ['a=1; Path=/', 'b=2; Path=/']
      }
      const answer = await get(host.port, `${host.prefix}/echo.jsp`)
      const echo = echoOf(answer)
      expect(answer.headers['x-node']).toBeUndefined()
      expect(answer.headers['cache-control']).toBeUndefined()
      expect(answer.headers['x-served-by']).toBe(echo.node)
    })

    const refusedRequests: [string, (ctx: ProxyRequestContext) => unknown][] = [
      ['a CR LF in a header value', (ctx) => void (ctx.headers['x-a'] = 'v\r\nx-injected: 1')],
      ['a bare LF in a header value', (ctx) => ctx.setHeader('x-a', 'v\nx-injected: 1')],
      ['a bare CR in a header value', (ctx) => ctx.setHeader('x-a', 'v\rx')],
      ['a NUL in a header value', (ctx) => ctx.setHeader('x-a', 'v\0x')],
      ['a CR LF in one value of a list', (ctx) => ctx.setHeader('x-a', ['ok', 'v\r\nx-injected: 1'])],
      ['a CR LF in the auth header', (ctx) => ctx.setHeader('authorization', 'Bearer x\r\n\r\nGET /smuggled HTTP/1.1')],
      ['a character above 0xFF', (ctx) => ctx.setHeader('x-a', 'caf\u00e9 \u20ac')],
      ['a name with a space', (ctx) => void (ctx.headers['x a'] = 'v')],
      ['a name with a colon', (ctx) => void (ctx.headers['x-a:b'] = 'v')],
      ['a name with CR LF', (ctx) => void (ctx.headers['x-a\r\nx-injected'] = 'v')],
      ['an upper-case name written directly', (ctx) => void (ctx.headers['X-Auth'] = 'v')],
      ['an empty name', (ctx) => void (ctx.headers[''] = 'v')],
      ['a number as value', (ctx) => void ((ctx.headers as Record<string, unknown>)['x-a'] = 42)],
      ['undefined as value', (ctx) => void ((ctx.headers as Record<string, unknown>)['x-a'] = undefined)],
      ['an empty list as value', (ctx) => void (ctx.headers['x-a'] = [])],
      ['a Content-Length', (ctx) => ctx.setHeader('content-length', '0')],
      ['a Transfer-Encoding', (ctx) => ctx.setHeader('transfer-encoding', 'chunked')],
      ['a Connection', (ctx) => ctx.setHeader('connection', 'close')],
      ['a Keep-Alive', (ctx) => ctx.setHeader('keep-alive', 'timeout=5')],
      ['an Upgrade', (ctx) => ctx.setHeader('upgrade', 'websocket')],
      ['a TE', (ctx) => ctx.setHeader('te', 'trailers')],
      ['an Expect', (ctx) => ctx.setHeader('expect', '100-continue')],
      ['no Host', (ctx) => ctx.removeHeader('host')],
      ['two Host values', (ctx) => void (ctx.headers.host = ['a.example', 'b.example'])],
      ['a Host with a space', (ctx) => void (ctx.headers.host = 'a.example b.example')],
      ['a Host with a path', (ctx) => void (ctx.headers.host = 'a.example/x')],
      ['a path climbing out of the mount', (ctx) => void (ctx.path = `${UPSTREAM}/../examples/`)],
      ['a path climbing out with ..;', (ctx) => void (ctx.path = `${UPSTREAM}/..;x=1/examples/`)],
      ['a path climbing out with %2e%2e', (ctx) => void (ctx.path = `${UPSTREAM}/x/%2e%2e/%2E%2e/examples/`)],
      ['a path in another context', (ctx) => void (ctx.path = '/examples/')],
      ['a path sharing the prefix text', (ctx) => void (ctx.path = `${UPSTREAM}x/echo.jsp`)],
      ['a path with an encoded slash', (ctx) => void (ctx.path = `${UPSTREAM}/a%2f..%2f..%2fexamples/`)],
      ['a path with a backslash', (ctx) => void (ctx.path = `${UPSTREAM}/..\\examples/`)],
      ['an absolute-form target', (ctx) => void (ctx.path = 'http://evil.example/testapp/echo.jsp')],
      ['a scheme-relative target', (ctx) => void (ctx.path = '//evil.example/testapp/echo.jsp')],
      ['a path with a space', (ctx) => void (ctx.path = `${UPSTREAM}/echo.jsp HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /x`)],
      ['a path with a fragment', (ctx) => void (ctx.path = `${UPSTREAM}/echo.jsp#x`)],
      ['a path with non-ASCII', (ctx) => void (ctx.path = `${UPSTREAM}/caf\u00e9`)],
      ['an empty path', (ctx) => void (ctx.path = '')],
      ['a path that is not a string', (ctx) => void ((ctx as { path: unknown }).path = 42)],
      ['the headers object replaced', (ctx) => void ((ctx as { headers: unknown }).headers = { authorization: 'Bearer x' })],
      ['a throw', () => { throw new Error('hook broke') }],
      ['a rejected promise', () => Promise.reject(new Error('async hook'))],
      ['a resolved promise', () => Promise.resolve()],
    ]

    it.each(refusedRequests)('onRequest leaving %s: 502, nothing forwarded, next request served', async (_what, hook) => {
      reset()
      requestHook = hook
      const before = requestsSent(host.balancer)
      const answer = await get(host.port, `${host.prefix}/echo.jsp`)
      expect(answer.status).toBe(502)
      expect(answer.body).not.toMatch(/"node"|x-injected|Apache Tomcat/)
      expect(answer.headers['x-injected']).toBeUndefined()
      expect(requestsSent(host.balancer)).toBe(before)
      reset()
      expect(echoOf(await get(host.port, `${host.prefix}/echo.jsp`)).requestURI).toBe(`${UPSTREAM}/echo.jsp`)
    })

    const refusedResponses: [string, (ctx: ProxyResponseContext) => unknown][] = [
      ['a CR LF in a header value', (ctx) => ctx.setHeader('x-a', 'v\r\nset-cookie: stolen=1')],
      ['a NUL in a header value', (ctx) => ctx.setHeader('x-a', 'v\0')],
      ['a CR LF in a set-cookie', (ctx) => void (ctx.headers['set-cookie'] = ['a=1', 'b=2\r\nx: y'])],
      ['a bad name', (ctx) => void (ctx.headers['x a'] = 'v')],
      ['a changed Content-Length', (ctx) => ctx.setHeader('content-length', '1')],
      ['a removed Content-Length', (ctx) => ctx.removeHeader('content-length')],
      ['a Transfer-Encoding', (ctx) => ctx.setHeader('transfer-encoding', 'chunked')],
      ['a Connection', (ctx) => ctx.setHeader('connection', 'close')],
      ['the status changed', (ctx) => void ((ctx as { status: number }).status = 500)],
      ['the headers object replaced', (ctx) => void ((ctx as { headers: unknown }).headers = {})],
      ['a throw', () => { throw new Error('hook broke') }],
      ['a promise', () => Promise.resolve()],
    ]

    it.each(refusedResponses)('onResponse leaving %s: 502, nothing of the answer sent, next request served', async (_what, hook) => {
      reset()
      responseHook = hook
      const answer = await get(host.port, `${host.prefix}/echo.jsp`)
      expect(answer.status).toBe(502)
      expect(answer.body).not.toMatch(/"node"/)
      expect(answer.headers['set-cookie']).toBeUndefined()
      expect(answer.headers['x-node']).toBeUndefined()
      reset()
      expect(echoOf(await get(host.port, `${host.prefix}/echo.jsp`)).requestURI).toBe(`${UPSTREAM}/echo.jsp`)
      // The member answered: it is not counted as failed.
      expect(host.balancer.members.every((m) => m.health !== 'error')).toBe(true)
    })

    it('pathRewrite: a rule with a capture, the query kept', async () => {
      reset()
      const echo = echoOf(await get(host.port, `${host.prefix}/old/page/rest?q=1`))
      expect(echo.requestURI).toBe(`${UPSTREAM}/echo/renamed-page/rest`)
      expect(echo.queryString).toBe('q=1')
      // The hook sees the rewritten path.
      expect(seen[0]?.path).toBe(`${UPSTREAM}/echo/renamed-page/rest?q=1`)
    })

    it('pathRewrite: the path is normalised before the rules see it', async () => {
      reset()
      const echo = echoOf(await get(host.port, `${host.prefix}/x/../old//page`))
      expect(echo.requestURI).toBe(`${UPSTREAM}/echo/renamed-page`)
    })

    it('pathRewrite: paths no rule matches are forwarded as before', async () => {
      reset()
      expect(echoOf(await get(host.port, `${host.prefix}/echo/other`)).requestURI).toBe(`${UPSTREAM}/echo/other`)
    })

    it.each(['/escape/', '/escape/index.html', '/to-root', '/to-root/examples/'])('pathRewrite: a result that climbs out of the mount (%s) is 400, never forwarded', async (path) => {
      reset()
      const before = requestsSent(host.balancer)
      const answer = await get(host.port, `${host.prefix}${path}`)
      expect(answer.status).toBe(400)
      // A refusal reaches the host's error handler like every balancer error (docs/errors.md).
      expect(answer.body).toContain(hostKind === 'bare' ? 'the path leaves the mount' : 'host error LB_ERR_PATH_OUTSIDE_MOUNT')
      expect(requestsSent(host.balancer)).toBe(before)
    })

    it('an upgrade handshake gets onRequest too (header and path)', async () => {
      reset()
      requestHook = (ctx) => {
        ctx.setHeader('authorization', `Bearer ws-${ctx.member.id}`)
        ctx.path = ctx.path.replace(`${UPSTREAM}/ws-original/`, `${UPSTREAM}/echo/`)
      }
      // echo.jsp does not upgrade: it answers the handshake with what it saw.
      const answer = await send(host.port, `GET ${host.prefix}/ws-original/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
      const echo = echoOf(answer)
      expect(echo.requestURI).toBe(`${UPSTREAM}/echo/socket`)
      expect(echo.headers.authorization).toEqual([`Bearer ws-${echo.node}`])
      expect(seen).toEqual([{ member: echo.node, protocol: kind === 'ajp' ? 'ajp' : 'http', path: `${UPSTREAM}/ws-original/socket`, attempt: 1, upgrade: true }])
    })

    it('an upgrade whose onRequest leaves a CR LF or a path out of the mount is 502', async () => {
      for (const hook of [(ctx: ProxyRequestContext) => ctx.setHeader('x-a', 'v\r\nx: y'), (ctx: ProxyRequestContext) => void (ctx.path = `${UPSTREAM}/../examples/`)]) {
        reset()
        requestHook = hook
        const answer = await send(host.port, `GET ${host.prefix}/echo/socket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n')
        expect(answer.status).toBe(502)
        expect(answer.body).not.toMatch(/"node"/)
      }
    })
  })
})

describe('hooks run once per attempt, with the member of that attempt', () => {
  it('a retried request is seen by onRequest twice, once per member', async () => {
    const seen: string[] = []
    // The first member refuses connections (a closed port); the request goes to the second.
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const balancer = createBalancer({
      members: [{ url: `http://127.0.0.1:${deadPort}`, route: 'Dead' }, { url: TOMCAT_NODES[0]!.httpUrl, route: TOMCAT_NODES[0]!.route }],
      scheduler: { name: 'first', pick: (candidates) => candidates[0] },
      upstreamPath: UPSTREAM, logger: false, health: false, closeTimeout: 500,
      onRequest: (ctx) => {
        seen.push(`${ctx.attempt}:${ctx.member.id}`)
        ctx.setHeader('x-member', ctx.member.id)
      },
    })
    const server = http.createServer((req, res) => void balancer.handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const echo = echoOf(await get((server.address() as AddressInfo).port, '/echo.jsp'))
      expect(seen).toEqual(['1:Dead', `2:${TOMCAT_NODES[0]!.route}`])
      expect(echo.headers['x-member']).toEqual([TOMCAT_NODES[0]!.route])
    } finally {
      server.closeAllConnections()
      await balancer.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
