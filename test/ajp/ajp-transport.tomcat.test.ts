/**
 * The AJP transport against real Tomcat 10.1 AJP connectors (tomcat-testapp/): a tiny front server
 * builds an Exchange per request and calls `transport.forward`, as the balancer will.
 */
import { createHash } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diagnosticsChannels } from '../../lib/index.js'
import { createAjpTransport, type AjpTransport } from '../../lib/transports/ajp/ajp-transport.js'
import { AJP_SECRET, ensureTomcatNodes, patternBytes, type TestappEchoJson, type TomcatNode } from '../support/tomcat.js'
import { ajpMember, call, startFront, type FrontServer } from './support/exchange-server.js'

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')
const MiB = 1024 * 1024

let node: TomcatNode
let transport: AjpTransport
let front: FrontServer

beforeAll(async () => {
  ;[node] = (await ensureTomcatNodes()) as [TomcatNode]
  const member = ajpMember(node.ajpPort, node.route)
  transport = createAjpTransport(member, { secret: AJP_SECRET })
  front = await startFront(transport, member)
})

afterAll(async () => {
  await front?.close()
  await transport?.close()
})

async function echo(options: Parameters<typeof call>[1]): Promise<{ status: number; json: TestappEchoJson; headers: Record<string, unknown> }> {
  const reply = await call(front.port, options)
  expect(reply.aborted).toBe(false)
  return { status: reply.status, json: JSON.parse(reply.body.toString('utf8')) as TestappEchoJson, headers: reply.headers }
}

/** Waits until no socket is busy; fails the test (here, not at a later line) when one stays busy. */
async function until(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

async function settled(): Promise<void> {
  const end = Date.now() + 10_000
  while (transport.sockets().open !== transport.sockets().idle) {
    if (Date.now() > end) throw new Error(`a socket stayed busy: ${JSON.stringify(transport.sockets())}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('AJP transport → Tomcat', () => {
  it('GET: Tomcat sees the proxy-side facts (remote address/port, server name/port, scheme)', async () => {
    const { status, json, headers } = await echo({ path: '/testapp/echo.jsp?a=1&b=two', headers: { 'x-test': 'yes' } })
    expect(status).toBe(200)
    expect(headers['x-node']).toBe(node.name)
    expect(json.method).toBe('GET')
    expect(json.protocol).toBe('HTTP/1.1')
    expect(json.requestURI).toBe('/testapp/echo.jsp')
    expect(json.queryString).toBe('a=1&b=two')
    expect(json.remoteAddr).toBe('127.0.0.1')
    expect(json.remotePort).toBeGreaterThan(1024)
    expect(json.remotePort).not.toBe(front.port)
    expect(json.localAddr).toBe('127.0.0.1')
    expect(json.serverName).toBe('127.0.0.1')
    expect(json.serverPort).toBe(front.port)
    expect(json.scheme).toBe('http')
    expect(json.secure).toBe(false)
    expect(json.headers['x-test']).toEqual(['yes'])
    expect(json.headers['content-length']).toEqual(['0'])
    expect(json.attributes).not.toHaveProperty('AJP_REMOTE_PORT')
  })

  it('keeps non-ASCII UTF-8 paths and queries percent-encoded, as Tomcat decodes them itself', async () => {
    const { json } = await echo({ path: '/testapp/echo/%C3%A9t%C3%A9/%E6%97%A5?q=%C3%A9&x=%E2%9C%93' })
    expect(json.requestURI).toBe('/testapp/echo/%C3%A9t%C3%A9/%E6%97%A5')
    expect(json.pathInfo).toBe('/été/日')
    expect(json.queryString).toBe('q=%C3%A9&x=%E2%9C%93')
  })

  it('POST form', async () => {
    const { json } = await echo({ method: 'POST', path: '/testapp/echo.jsp', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=%C3%A9' })
    expect(json.method).toBe('POST')
    expect(json.contentType).toBe('application/x-www-form-urlencoded')
    expect(json.contentLength).toBe(12)
    expect(json.bodyText).toBe('a=1&b=%C3%A9')
  })

  it('PATCH and WebDAV-style methods', async () => {
    expect((await echo({ method: 'PATCH', path: '/testapp/echo.jsp', body: 'p' })).json.method).toBe('PATCH')
    expect((await echo({ method: 'DELETE', path: '/testapp/echo.jsp' })).json.method).toBe('DELETE')
  })

  it('20 MiB upload with Content-Length (SHA-256 checked by echo.jsp)', async () => {
    const body = patternBytes(20 * MiB, 7)
    const { json } = await echo({ method: 'PUT', path: '/testapp/echo.jsp', headers: { 'content-type': 'application/octet-stream' }, body })
    expect(json.contentLength).toBe(body.length)
    expect(json.bodyLength).toBe(body.length)
    expect(json.bodySha256).toBe(sha256(body))
  })

  it('chunked upload of unknown length', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => patternBytes(50_000 + i, i))
    async function* gen() {
      for (const p of parts) yield p
    }
    const { json } = await echo({ method: 'POST', path: '/testapp/echo.jsp', headers: { 'content-type': 'application/octet-stream' }, body: gen() })
    const all = Buffer.concat(parts)
    expect(json.contentLength).toBe(-1)
    expect(json.bodyLength).toBe(all.length)
    expect(json.bodySha256).toBe(sha256(all))
  })

  it('20 MiB download', async () => {
    const reply = await call(front.port, { path: `/testapp/big.jsp?bytes=${20 * MiB}` })
    expect(reply.status).toBe(200)
    expect(reply.aborted).toBe(false)
    expect(reply.headers['content-length']).toBe(String(20 * MiB))
    expect(sha256(reply.body)).toBe(sha256(patternBytes(20 * MiB)))
    await settled()
    expect(front.outcomes.some((o) => o.result?.bytesIn === 20 * MiB && o.result.status === 200)).toBe(true)
  })

  it('HEAD and 304 carry no body', async () => {
    const head = await call(front.port, { method: 'HEAD', path: '/testapp/static.txt' })
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe('103')
    expect(head.body.length).toBe(0)
    const etag = head.headers.etag as string
    const notModified = await call(front.port, { path: '/testapp/static.txt', headers: { 'if-none-match': etag } })
    expect(notModified.status).toBe(304)
    expect(notModified.body.length).toBe(0)
    const jsp304 = await call(front.port, { path: '/testapp/status.jsp?code=304' })
    expect(jsp304.status).toBe(304)
    expect(jsp304.headers.etag).toBe('"sb-testapp"')
    const jsp204 = await call(front.port, { path: '/testapp/status.jsp?code=204' })
    expect(jsp204.status).toBe(204)
    const full = await call(front.port, { path: '/testapp/static.txt' })
    expect(full.body.length).toBe(103)
  })

  it('several Set-Cookie headers arrive separately, with the standard reason phrase', async () => {
    const { request } = await import('node:http')
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: front.port, path: '/testapp/cookies.jsp', agent: false }, resolve)
      req.on('error', reject)
      req.end()
    })
    res.resume()
    expect(res.statusMessage).toBe('OK')
    const cookies = res.headers['set-cookie'] ?? []
    expect(cookies.length).toBeGreaterThanOrEqual(4)
    expect(cookies.some((c) => c.startsWith('sb_root=root'))).toBe(true)
    expect(cookies.some((c) => c.startsWith('sb_http=http') && /HttpOnly/i.test(c))).toBe(true)
  })

  it('a redirect built by Tomcat names the public host', async () => {
    const reply = await call(front.port, { path: '/testapp/redirect.jsp' })
    expect(reply.status).toBe(302)
    expect(reply.headers.location).toBe(`http://127.0.0.1:${front.port}/testapp/index.jsp`)
  })

  it('error statuses pass through', async () => {
    const reply = await call(front.port, { path: '/testapp/status.jsp?code=503' })
    expect(reply.status).toBe(503)
    expect(reply.body.toString()).toContain(`status 503 from ${node.name}`)
    expect((await call(front.port, { path: '/testapp/missing.jsp' })).status).toBe(404)
  })

  it('a body Tomcat does not read leaves the socket reusable', async () => {
    // one pooled connection at most, so both requests below must take that very one
    const single = createAjpTransport(ajpMember(node.ajpPort, node.route), { secret: AJP_SECRET, maxConnections: 1 })
    const singleFront = await startFront(single, ajpMember(node.ajpPort, node.route))
    // count the connections opened to Tomcat's AJP port from here on
    const connects: unknown[] = []
    const connect = net.Socket.prototype.connect
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      // net.connect() passes its normalized arguments as one array
      const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { port?: number } | number | undefined
      const port = typeof first === 'object' && first !== null ? Number(first.port) : Number(first)
      if (port === node.ajpPort) connects.push(args)
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args)
    } as typeof connect
    try {
      expect((await call(singleFront.port, { path: '/testapp/echo.jsp' })).status).toBe(200)
      expect(await until(() => single.sockets().idle === 1)).toBe(true)
      expect(connects).toHaveLength(1)
      const reply = await call(singleFront.port, { method: 'POST', path: '/testapp/status.jsp?code=200', body: patternBytes(MiB) })
      expect(reply.status).toBe(200)
      expect(await until(() => single.sockets().idle === 1)).toBe(true)
      expect((await call(singleFront.port, { path: '/testapp/echo.jsp' })).status).toBe(200)
      expect(await until(() => single.sockets().idle === 1)).toBe(true)
      // the same connection served all three: none was destroyed and replaced
      expect(connects).toHaveLength(1)
      expect(single.sockets()).toEqual({ open: 1, idle: 1 })
    } finally {
      net.Socket.prototype.connect = connect
      await singleFront.close()
      await single.close()
    }
  })

  it('CPING works as a health probe', async () => {
    const rtt = await transport.ping()
    expect(rtt).toBeLessThan(1000)
  })

  it('a wrong secret is published on diagnosticsChannels.ajpConfigError (sticky-balancer:ajp:config-error)', async () => {
    expect(diagnosticsChannels.ajpConfigError.name).toBe('sticky-balancer:ajp:config-error')
    const member = ajpMember(node.ajpPort, node.route)
    const wrong = createAjpTransport(member, { secret: 'not-the-secret' })
    const wrongFront = await startFront(wrong, member)
    const seen: { member: unknown; code: unknown }[] = []
    const onMessage = (message: unknown): void => {
      const m = message as { member: unknown; error: { code?: string } }
      seen.push({ member: m.member, code: m.error.code })
    }
    const onWarning = (): void => {}
    process.on('warning', onWarning)
    diagnostics.subscribe(diagnosticsChannels.ajpConfigError.name as string, onMessage)
    try {
      expect((await call(wrongFront.port, { path: '/testapp/echo.jsp' })).status).toBe(502)
      await wrongFront.nextOutcome()
      expect(seen).toEqual([{ member, code: 'AJP_ERR_SECRET_REJECTED' }])
    } finally {
      diagnostics.unsubscribe(diagnosticsChannels.ajpConfigError.name as string, onMessage)
      process.off('warning', onWarning)
      await wrongFront.close()
      await wrong.close()
    }
  })

  it('a wrong secret is a clean 502 configuration error, not a forwarded 403', async () => {
    const member = ajpMember(node.ajpPort, node.route)
    const wrong = createAjpTransport(member, { secret: 'not-the-secret' })
    const wrongFront = await startFront(wrong, member)
    const onWarning = (): void => {}
    process.on('warning', onWarning)
    try {
      const reply = await call(wrongFront.port, { path: '/testapp/echo.jsp' })
      expect(reply.status).toBe(502)
      expect(reply.body.toString()).toBe('AJP_ERR_SECRET_REJECTED')
      const outcome = await wrongFront.nextOutcome()
      expect(outcome.error?.code).toBe('LB_ERR_UPSTREAM_PROTOCOL')
      expect((outcome.error?.cause as { code?: string }).code).toBe('AJP_ERR_SECRET_REJECTED')
      expect(wrong.sockets().open).toBe(0)
      const none = createAjpTransport(member)
      const noneFront = await startFront(none, member)
      expect((await call(noneFront.port, { path: '/testapp/echo.jsp' })).status).toBe(502)
      await noneFront.close()
      await none.close()
    } finally {
      process.off('warning', onWarning)
      await wrongFront.close()
      await wrong.close()
    }
  })

  it('leaks no sockets: every open socket is idle at rest, and close() ends them', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => echo({ path: `/testapp/echo.jsp?n=${i}` })))
    await settled()
    const counts = transport.sockets()
    expect(counts.open).toBeGreaterThan(0)
    expect(counts.idle).toBe(counts.open)
    expect(counts.open).toBeLessThanOrEqual(8)
  })
})
