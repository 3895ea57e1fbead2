/**
 * A bare node:http host that reads the request body itself before handing the request to the
 * balancer (as Connect-style hosts do, leaving `req.body` / `req.rawBody`), on every HTTP
 * transport (the file runs inside forEachHttpTransport).
 */
import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import type { BalancerOptions } from '../../lib/index.js'
import { forEachHttpTransport, guardProcess, httpRequest, json, startFront, startUpstream, withTestedHttpTransport } from '../support/fake-upstream.js'

beforeEach(guardProcess)

interface Echo {
  method: string
  headers: Record<string, string>
  length: number
  sha256: string
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

type Host = (req: IncomingMessage & { body?: unknown; rawBody?: unknown }, raw: Buffer) => void

/** A front that reads every body first, lets `host` set what a parser would, then calls the balancer. */
async function front(host: Host, options: Partial<BalancerOptions> = {}) {
  const a = await startUpstream('A')
  const balancer = createBalancer(withTestedHttpTransport({ logger: false, closeTimeout: 500, timeout: 3_000, members: [{ url: a.url, route: 'A' }], ...options }))
  onTestFinished(() => balancer.close())
  const { url } = await startFront((req: IncomingMessage, res: ServerResponse) => {
    void readAll(req).then((raw) => {
      host(req, raw)
      void balancer.handle(req, res)
    })
  })
  return { url, upstream: a }
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('a body the host read before the balancer', () => {
  it('JSON sent chunked: the member gets the serialised req.body with its exact Content-Length, no chunked framing', async () => {
    const { url } = await front((req, raw) => void (req.body = JSON.parse(raw.toString())))
    const r = await httpRequest(`${url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: [Buffer.from('{ "a" : '), Buffer.from('[1, 2] }')] })
    expect(r.status).toBe(200)
    const echo = json<Echo>(r)
    expect([echo.length, echo.sha256, echo.headers['content-length'], echo.headers['transfer-encoding']]).toEqual([11, sha256('{"a":[1,2]}'), '11', undefined])
  })

  it('a rebuilt body shorter than the client\'s Content-Length is framed by its own length: nothing left over on the member connection', async () => {
    const { url } = await front((req, raw) => void (req.body = JSON.parse(raw.toString())))
    const padded = `{"a":1}${' '.repeat(200)}`
    for (let i = 0; i < 3; i++) {
      const echo = json<Echo>(await httpRequest(`${url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: padded }))
      expect([echo.method, echo.length, echo.headers['content-length']]).toEqual(['POST', 7, '7'])
    }
  })

  it('req.rawBody goes as it is', async () => {
    const { url } = await front((req, raw) => {
      req.body = JSON.parse(raw.toString())
      req.rawBody = raw
    })
    const body = '{ "exact" :   true }'
    const echo = json<Echo>(await httpRequest(`${url}/x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body }))
    expect([echo.length, echo.sha256]).toEqual([body.length, sha256(body)])
  })

  it('an idempotent body under retryBodyLimit is not waited for again', async () => {
    const { url } = await front((req, raw) => void (req.body = raw), { retryBodyLimit: 65536 })
    const echo = json<Echo>(await httpRequest(`${url}/x`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'abcdef' }))
    expect([echo.method, echo.length, echo.sha256]).toEqual(['PUT', 6, sha256('abcdef')])
  })

  it('nothing the balancer can send: 500 LB_ERR_BODY_CONSUMED at once, and the member sees nothing', async () => {
    const { url, upstream } = await front(() => {})
    const r = await httpRequest(`${url}/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
    expect(r.status).toBe(500)
    expect(r.body.toString()).toBe('500 Internal Server Error\n')
    expect(upstream.seen).toHaveLength(0)
  })

  it('a request without a body whose stream the host read is forwarded as usual', async () => {
    const { url } = await front(() => {})
    const echo = json<Echo>(await httpRequest(`${url}/x`))
    expect([echo.method, echo.length, echo.headers['content-length']]).toEqual(['GET', 0, undefined])
  })
})
})
