/**
 * Body parsers mounted before the balancer, against real Tomcat over every HTTP transport and
 * AJP, on Express 5 and Koa 3 (the repository's) and Express 4 and Koa 2 (their own installs,
 * test/support/framework-versions.ts).
 *
 * A parser reads the client's stream to its end; without the balancer's help the member would
 * wait for a body that never comes, and the client would get a 504 after `timeout`. The balancer
 * sends what the parser left instead, framed by its own exact length (JSON and urlencoded data
 * serialised again, text and raw bodies byte for byte, a kept `rawBody` as it is), and fails at
 * once with `LB_ERR_BODY_CONSUMED` (500) for what it cannot rebuild (here: multipart).
 */
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, RequestListener } from 'node:http'
import type { NextFunction, Request, Response } from 'express'
import express from 'express'
import Koa from 'koa'
import type { Context, Next } from 'koa'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import type { BalancerOptions } from '../../lib/index.js'
import { httpRequest, json, startFront } from '../support/fake-upstream.js'
import type { ExpressModule, KoaClass } from '../support/framework-apps.js'
import { importFrom, installFramework } from '../support/framework-versions.js'
import { AJP_SECRET, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNode } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]

const MEMBER_KINDS: [string, Partial<BalancerOptions> & { protocol: 'http' | 'ajp' }][] = [
  ['HTTP (http-proxy-3)', { protocol: 'http' }],
  ['HTTP (node)', { protocol: 'http', http: { transport: 'node' } }],
  ['HTTP (undici)', { protocol: 'http', http: { transport: 'undici' } }],
  ['AJP', { protocol: 'ajp', ajp: { secret: AJP_SECRET } }],
]

function balancerOptions(kind: Partial<BalancerOptions> & { protocol: 'http' | 'ajp' }): BalancerOptions {
  const { protocol, ...rest } = kind
  const url = (n: TomcatNode) => (protocol === 'http' ? n.httpUrl : n.ajpUrl)
  // A short timeout: a body the member waits for in vain would be a 504 after it, not a hang.
  return { logger: false, closeTimeout: 500, timeout: 4_000, members: [{ url: url(A), route: A.route }, { url: url(B), route: B.route }], ...rest }
}

/** Reads a whole stream, as every body parser does. */
function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** What multer or busboy leave of a multipart body: the stream read, fields in req.body, no bytes. */
async function multipartFields(req: IncomingMessage): Promise<Record<string, string> | undefined> {
  if (!req.headers['content-type']?.startsWith('multipart/')) return undefined
  await readAll(req)
  return { field: 'value' }
}

interface Framework {
  readonly name: string
  /** Whether the parser keeps the body's bytes (koa-bodyparser's `rawBody`): JSON then arrives as the client wrote it. */
  readonly keepsRaw: boolean
  app(options: BalancerOptions): { listener: RequestListener; close(): Promise<void> }
}

function expressFramework(name: string, load: () => ExpressModule): Framework {
  return {
    name,
    keepsRaw: false,
    app(options) {
      const e = load()
      const app = e()
      // As existing apps mount them: first, for every path.
      app.use(e.json({ type: ['application/json', 'application/problem+json'] }))
      app.use(e.json({ type: 'application/vnd.exact+json', verify: (req, _res, buf) => void ((req as { rawBody?: Buffer }).rawBody = Buffer.from(buf)) }))
      app.use(e.urlencoded({ extended: false }))
      app.use(e.text())
      app.use(e.raw({ limit: '1mb' }))
      app.use((req: Request, _res: Response, next: NextFunction) => {
        multipartFields(req).then((fields) => {
          if (fields) req.body = fields
          next()
        }, next)
      })
      const lb = expressBalancer(options)
      app.use('/testapp', lb)
      app.use((err: { statusCode?: number; code?: string }, _req: Request, res: Response, _next: NextFunction) => {
        res.status(err.statusCode ?? 500).json({ code: err.code })
      })
      return { listener: app, close: () => lb.balancer.close() }
    },
  }
}

/**
 * What koa-bodyparser does: JSON, form and text bodies read in full, `ctx.request.body` parsed and
 * `ctx.request.rawBody` the text (not installed here). `x-test-drop-raw` leaves `rawBody` out, as a
 * parser that keeps only the parsed body would.
 */
async function koaBodyParser(ctx: Context, next: Next): Promise<void> {
  const type = ctx.request.type
  const request = ctx.request as { body?: unknown; rawBody?: string }
  if (type === 'application/json' || type === 'application/x-www-form-urlencoded' || type === 'text/plain') {
    const raw = (await readAll(ctx.req)).toString('utf8')
    request.body = type === 'application/json' ? JSON.parse(raw) : type === 'text/plain' ? raw : formFields(raw)
    if (ctx.get('x-test-drop-raw') === '') request.rawBody = raw
  } else {
    const fields = await multipartFields(ctx.req)
    if (fields) request.body = fields
  }
  await next()
}

function formFields(raw: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of new URLSearchParams(raw)) {
    const prior = out[k]
    out[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v]
  }
  return out
}

function koaFramework(name: string, load: () => KoaClass): Framework {
  return {
    name,
    keepsRaw: true,
    app(options) {
      const app = new (load())()
      app.on('error', () => {})
      app.use(async (ctx, next) => {
        try {
          await next()
        } catch (err) {
          ctx.status = (err as { statusCode?: number }).statusCode ?? 500
          ctx.body = { code: (err as { code?: string }).code }
        }
      })
      app.use(koaBodyParser)
      const lb = koaBalancer(options)
      app.use(lb)
      return { listener: app.callback(), close: () => lb.balancer.close() }
    },
  }
}

let express4: ExpressModule
let koa2: KoaClass

beforeAll(async () => {
  const [e, k] = await Promise.all([installFramework('express@4'), installFramework('koa@2')])
  express4 = await importFrom<ExpressModule>(e)
  koa2 = await importFrom<KoaClass>(k)
}, 240_000)

const FRAMEWORKS: Framework[] = [
  expressFramework('Express 5', () => express),
  expressFramework('Express 4', () => express4),
  koaFramework('Koa 3', () => Koa),
  koaFramework('Koa 2', () => koa2),
]

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex')

/** Chunks of `text`, sent chunked (no Content-Length). */
async function* chunked(text: string): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text)
  for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7)
}

describe.each(FRAMEWORKS)('$name with body parsers before the balancer', (framework) => {
  describe.each(MEMBER_KINDS)('to %s members', (_kind, kind) => {
    async function front(): Promise<string> {
      const app = framework.app(balancerOptions(kind))
      onTestFinished(() => app.close())
      return (await startFront(app.listener)).url
    }

    async function post(url: string, contentType: string, body: string | Buffer | AsyncIterable<Buffer>, headers: Record<string, string> = {}) {
      const r = await httpRequest(`${url}/testapp/echo.jsp`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body, timeoutMs: 15_000 })
      return r
    }

    function expectFramedBy(echo: TestappEchoJson, bytes: Buffer, contentType: string): void {
      expect({ length: echo.bodyLength, sha: echo.bodySha256, contentLength: echo.contentLength, contentType: echo.contentType })
        .toEqual({ length: bytes.length, sha: sha256(bytes), contentLength: bytes.length, contentType })
      expect(echo.headers['transfer-encoding']).toBeUndefined()
    }

    it('JSON: sent again as the parser read it, with its exact Content-Length', async () => {
      const url = await front()
      const payload = '{ "name": "Zoë",\n  "items": [1, 2.5, "x"], "nested": { "a": null } }'
      const r = await post(url, 'application/json; charset=utf-8', payload)
      expect(r.status).toBe(200)
      const sent = framework.keepsRaw ? payload : JSON.stringify(JSON.parse(payload))
      const echo = json<TestappEchoJson>(r)
      expectFramedBy(echo, Buffer.from(sent), 'application/json; charset=utf-8')
      expect(JSON.parse(echo.bodyText ?? '')).toEqual(JSON.parse(payload))
    })

    it('JSON sent chunked: the member gets a Content-Length, never the client\'s chunked framing', async () => {
      const url = await front()
      const payload = JSON.stringify({ list: Array.from({ length: 50 }, (_, i) => `item-${i}`) })
      const r = await post(url, 'application/json', chunked(payload))
      expect(r.status).toBe(200)
      expectFramedBy(json<TestappEchoJson>(r), Buffer.from(payload), 'application/json')
    })

    it('urlencoded: the fields sent again, form-encoded', async () => {
      const url = await front()
      const r = await post(url, 'application/x-www-form-urlencoded', 'a=1&b=x%20y&b=%C3%A9&c=%26%3D', { 'x-test-drop-raw': '1' })
      expect(r.status).toBe(200)
      const echo = json<TestappEchoJson>(r)
      expectFramedBy(echo, Buffer.from('a=1&b=x+y&b=%C3%A9&c=%26%3D'), 'application/x-www-form-urlencoded')
    })

    it('text: byte for byte', async () => {
      const url = await front()
      const text = 'héllo wörld — ✓\nline two\n'
      const r = await post(url, 'text/plain; charset=utf-8', text)
      expect(r.status).toBe(200)
      expectFramedBy(json<TestappEchoJson>(r), Buffer.from(text), 'text/plain; charset=utf-8')
    })

    it('JSON parsed without its raw text: serialised again', async () => {
      const url = await front()
      const payload = '{"z": 1,   "a": [true, false]}'
      const r = await post(url, 'application/json', payload, { 'x-test-drop-raw': '1' })
      expect(r.status).toBe(200)
      expectFramedBy(json<TestappEchoJson>(r), Buffer.from(JSON.stringify(JSON.parse(payload))), 'application/json')
    })

    it('a body no parser took streams as before', async () => {
      const url = await front()
      const body = '<doc>not parsed by anyone</doc>'
      const r = await post(url, 'application/xml', body)
      expect(r.status).toBe(200)
      expectFramedBy(json<TestappEchoJson>(r), Buffer.from(body), 'application/xml')
    })

    it('multipart a parser consumed: 500 LB_ERR_BODY_CONSUMED at once, not a 504 after the member timeout', async () => {
      const url = await front()
      const body = '--xyz\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n--xyz--\r\n'
      const r = await post(url, 'multipart/form-data; boundary=xyz', body)
      expect([r.status, json(r)]).toEqual([500, { code: 'LB_ERR_BODY_CONSUMED' }])
      // The balancer still serves the next request on the same front.
      const ok = await post(url, 'application/xml', '<x/>')
      expect(ok.status).toBe(200)
    })

    if (framework.name.startsWith('Express')) {
      it('raw: a 300 KiB binary body byte for byte', async () => {
        const url = await front()
        const body = randomBytes(300 * 1024)
        const r = await post(url, 'application/octet-stream', body)
        expect(r.status).toBe(200)
        expectFramedBy(json<TestappEchoJson>(r), body, 'application/octet-stream')
      })

      it('JSON whose bytes a verify hook kept (req.rawBody): exactly as the client wrote it', async () => {
        const url = await front()
        const payload = '{ "kept":   "exactly",\n "n": 1.50 }'
        const r = await post(url, 'application/vnd.exact+json', payload)
        expect(r.status).toBe(200)
        expectFramedBy(json<TestappEchoJson>(r), Buffer.from(payload), 'application/vnd.exact+json')
      })
    }
  })
})
