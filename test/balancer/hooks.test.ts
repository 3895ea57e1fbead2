/**
 * onRequest, onResponse and pathRewrite with in-process members, on each HTTP transport (this
 * file runs on each, inside forEachHttpTransport): what the member receives,
 * what the client receives, a POST body still framed by the client, retries, and failed hooks.
 * test/hooks/hooks.tomcat.test.ts does the same against Tomcat, AJP included.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { forEachHttpTransport, deadUrl, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'
import { recordingLogger } from '../reliability/support/hosts.js'
import type { ProxyRequestContext, ProxyResponseContext } from '../../lib/proxy/hooks.js'

beforeEach(guardProcess)

interface Echo {
  node: string
  method: string
  url: string
  headers: Record<string, string | string[]>
  length: number
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('onRequest', () => {
  it('sets and removes headers and moves the path, for the member chosen', async () => {
    const up = await startUpstream('A')
    const { url } = await startBalancer({
      members: [{ url: up.url, route: 'A' }],
      upstreamPath: '/ctx',
      onRequest: (ctx) => {
        ctx.setHeader('Authorization', `Bearer ${ctx.member.id}`)
        ctx.removeHeader('x-secret')
        ctx.path = ctx.path.replace('/ctx/old/', '/ctx/new/')
      },
    })
    const echo = json<Echo>(await httpRequest(`${url}/old/x?y=1`, { headers: { 'x-secret': 's', 'x-keep': 'k' } }))
    expect(echo.url).toBe('/ctx/new/x?y=1')
    expect(echo.headers.authorization).toBe('Bearer A')
    expect(echo.headers['x-secret']).toBeUndefined()
    expect(echo.headers['x-keep']).toBe('k')
  })

  it('leaves the body framed as the client sent it', async () => {
    const up = await startUpstream('A')
    const { url } = await startBalancer({ members: [{ url: up.url }], onRequest: (ctx) => ctx.setHeader('x-a', '1') })
    const body = Buffer.alloc(100_000, 7)
    const echo = json<Echo>(await httpRequest(`${url}/post`, { method: 'POST', body }))
    expect(echo.length).toBe(100_000)
    expect(echo.headers['content-length']).toBe('100000')
    const chunked = json<Echo>(await httpRequest(`${url}/post`, { method: 'POST', body: [Buffer.from('abc'), Buffer.from('def')] }))
    expect(chunked.length).toBe(6)
    expect(chunked.headers['transfer-encoding']).toBe('chunked')
  })

  it('runs again for the next member when the first refuses the connection', async () => {
    const up = await startUpstream('B')
    const seen: string[] = []
    const { url } = await startBalancer({
      members: [{ url: await deadUrl(), route: 'A' }, { url: up.url, route: 'B' }],
      scheduler: { name: 'first', pick: (c) => c[0] },
      onRequest: (ctx) => {
        seen.push(`${ctx.attempt}:${ctx.member.id}`)
        ctx.setHeader('x-member', ctx.member.id)
      },
    })
    const echo = json<Echo>(await httpRequest(`${url}/x`))
    expect(seen).toEqual(['1:A', '2:B'])
    expect(echo.headers['x-member']).toBe('B')
  })

  it.each<[string, (ctx: ProxyRequestContext) => unknown]>([
    ['CR LF in a value', (ctx) => ctx.setHeader('x-a', 'a\r\nx-injected: 1')],
    ['a path out of the mount', (ctx) => void (ctx.path = '/ctx/../other/')],
    ['a Transfer-Encoding', (ctx) => ctx.setHeader('transfer-encoding', 'chunked')],
    ['a throw', () => { throw new Error('boom') }],
  ])('leaving %s: 502 LB_ERR_HOOK, a warn line, nothing forwarded, the member not failed', async (_what, hook) => {
    const up = await startUpstream('A')
    const logger = recordingLogger()
    const { url, balancer } = await startBalancer({ members: [{ url: up.url, route: 'A' }], upstreamPath: '/ctx', logger, onRequest: hook as (ctx: ProxyRequestContext) => void })
    const res = await httpRequest(`${url}/x`)
    expect(res.status).toBe(502)
    expect(up.seen).toEqual([])
    expect(logger.lines.find((l) => l.msg === 'hook failed')).toMatchObject({ level: 'warn', obj: { hook: 'onRequest', member: 'A', code: 'LB_ERR_HOOK' } })
    expect(balancer.member('A')?.health).not.toBe('error')
  })
})

describe('onResponse', () => {
  it('changes response headers; the hook sees the status', async () => {
    const up = await startUpstream('A')
    const statuses: number[] = []
    const { url } = await startBalancer({
      members: [{ url: up.url, route: 'A' }],
      onResponse: (ctx) => {
        statuses.push(ctx.status)
        ctx.removeHeader('x-node')
        ctx.setHeader('x-served-by', ctx.member.id)
      },
    })
    const res = await httpRequest(`${url}/x`)
    expect(res.status).toBe(200)
    expect(res.headers['x-node']).toBeUndefined()
    expect(res.headers['x-served-by']).toBe('A')
    expect(json<Echo>(res).node).toBe('A')
    expect(statuses).toEqual([200])
  })

  it.each<[string, (ctx: ProxyResponseContext) => unknown]>([
    ['CR LF in a value', (ctx) => ctx.setHeader('x-a', 'a\r\nset-cookie: x=1')],
    ['a changed Content-Length', (ctx) => ctx.setHeader('content-length', '1')],
    ['a throw', () => { throw new Error('boom') }],
  ])('leaving %s: 502, nothing of the answer sent, the connection to the member reused', async (_what, hook) => {
    const up = await startUpstream('A')
    let fail = true
    const { url } = await startBalancer({ members: [{ url: up.url, route: 'A' }], onResponse: (ctx) => void (fail ? hook(ctx) : undefined) })
    const res = await httpRequest(`${url}/x`)
    expect(res.status).toBe(502)
    expect(res.headers['x-node']).toBeUndefined()
    expect(res.body.toString()).not.toContain('"node"')
    fail = false
    expect(json<Echo>(await httpRequest(`${url}/x`)).node).toBe('A')
  })
})

describe('pathRewrite', () => {
  it('rewrites below the mount, and a result out of the mount is 400', async () => {
    const up = await startUpstream('A')
    const { url } = await startBalancer({ members: [{ url: up.url }], upstreamPath: '/ctx', pathRewrite: { '^/old/(.*)$': '/new/$1', '^/out': '/../x' } })
    expect(json<Echo>(await httpRequest(`${url}/old/a?b=1`)).url).toBe('/ctx/new/a?b=1')
    expect(json<Echo>(await httpRequest(`${url}/other`)).url).toBe('/ctx/other')
    const out = await httpRequest(`${url}/out`)
    expect(out.status).toBe(400)
    expect(up.seen.map((s) => s.url)).toEqual(['/ctx/new/a?b=1', '/ctx/other'])
  })
})
})
