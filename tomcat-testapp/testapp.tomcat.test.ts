/**
 * Smoke test of the test nodes themselves (no balancer involved): the contract the Tomcat tests
 * rely on. Run with `npm run test:tomcat`.
 */
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  TOMCAT_NODES,
  ensureTomcatNodes,
  patternBytes,
  readNodeLog,
  startTomcatNode,
  stopTomcatNode,
  type TestappEchoJson,
  type TestappIndexJson,
} from '../test/support/tomcat.js'
import { staleWebappHint } from '../test/support/testapp-deployment.js'

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex')

/** AJP13 CPing -> CPong: the connector is up and speaks AJP (no secret needed for CPing). */
function ajpCping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.from([0x12, 0x34, 0x00, 0x01, 0x0a])))
    let got = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk])
      if (got.length >= 5) {
        socket.destroy()
        resolve(got.subarray(0, 5).equals(Buffer.from([0x41, 0x42, 0x00, 0x01, 0x09])))
      }
    })
    socket.on('error', () => resolve(false))
    socket.setTimeout(3000, () => {
      socket.destroy()
      resolve(false)
    })
  })
}

function portClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy()
      resolve(false)
    })
    socket.on('error', () => resolve(true))
  })
}

beforeAll(async () => {
  await ensureTomcatNodes()
})

describe.each(TOMCAT_NODES.map((n) => [n.name, n] as const))('test node %s', (_name, node) => {
  const app = `${node.httpUrl}/testapp`

  it('index.jsp names the node, routes the session and counts hits in it', async () => {
    const first = await fetch(`${app}/index.jsp?format=json`)
    expect(first.status).toBe(200)
    const a = (await first.json()) as TestappIndexJson
    expect(a.node).toBe(node.name)
    expect(a.sessionId.endsWith(`.${node.route}`)).toBe(true)
    expect(a.hits).toBe(1)
    expect(first.headers.get('x-node')).toBe(node.name)
    expect(first.headers.get('x-session-id')).toBe(a.sessionId)
    expect(first.headers.get('set-cookie')).toMatch(new RegExp(`^JSESSIONID=${a.sessionId.replace('.', '\\.')}; Path=/testapp`))

    const second = await fetch(`${app}/index.jsp?format=json`, { headers: { cookie: `JSESSIONID=${a.sessionId}` } })
    const b = (await second.json()) as TestappIndexJson
    expect(b).toMatchObject({ node: node.name, sessionId: a.sessionId, created: a.created, hits: 2, isNew: false })

    expect(b.maxInactive).toBe(1800)
    const short = (await (await fetch(`${app}/index.jsp?format=json&ttl=2`)).json()) as TestappIndexJson
    expect(short).toMatchObject({ isNew: true, maxInactive: 2 })

    const html = await (await fetch(`${app}/index.jsp`)).text()
    expect(html).toContain(node.name)
    expect(html).toContain('Session ID')
  })

  it('index.jsp links to /balancer-manager/ only when reached through a balancer (X-Forwarded-Host)', async () => {
    expect(await (await fetch(`${app}/index.jsp`)).text()).not.toContain('balancer-manager')
    const proxied = await (await fetch(`${app}/index.jsp`, { headers: { 'x-forwarded-host': '127.0.0.1:8080' } })).text()
    expect(proxied, `no balancer-manager link${staleWebappHint('index.jsp', [node])}`).toContain('<a id="balancer-manager" href="/balancer-manager/">')
    expect(proxied).toContain(node.name)
  })

  it('echo.jsp hashes a 5 MiB body, fixed-length and chunked, without creating a session', async () => {
    const body = randomBytes(5 * 1024 * 1024)
    const fixed = (await (await fetch(`${app}/echo.jsp?x=1`, { method: 'POST', body })).json()) as TestappEchoJson
    expect(fixed).toMatchObject({ node: node.name, method: 'POST', queryString: 'x=1', contentLength: body.length })
    expect(fixed.bodyLength).toBe(body.length)
    expect(fixed.bodySha256).toBe(sha256(body))
    expect(fixed.sessionId).toBeNull()

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let off = 0; off < body.length; off += 300_000) controller.enqueue(body.subarray(off, off + 300_000))
        controller.close()
      },
    })
    const init = { method: 'PUT', body: stream, duplex: 'half' } as RequestInit
    const res = await fetch(`${app}/echo/a%20b?session=1`, init)
    expect(res.headers.get('set-cookie')).toMatch(/^JSESSIONID=/)
    const chunked = (await res.json()) as TestappEchoJson
    expect(chunked).toMatchObject({ method: 'PUT', servletPath: '/echo', pathInfo: '/a b', contentLength: -1 })
    expect(chunked.headers['transfer-encoding']).toEqual(['chunked'])
    expect(chunked.bodySha256).toBe(sha256(body))
    expect(chunked.sessionId?.endsWith(`.${node.route}`)).toBe(true)
  })

  it('ledger.jsp records each execution in <node>/logs/ledger.log before it answers', async () => {
    const id = `smoke-${randomBytes(4).toString('hex')}`
    for (const method of ['POST', 'PUT']) {
      const res = await fetch(`${app}/ledger.jsp?id=${id}`, { method, body: 'order=1' })
      expect(await res.json()).toEqual({ node: node.name, id })
    }
    const lines = readNodeLog(node.name, 'ledger.log').split('\n')
    expect(lines.filter((l) => l.startsWith(`${id} `))).toEqual([`${id} POST`, `${id} PUT`])
  })

  it('redirect.jsp answers with an absolute Location of the node itself', async () => {
    const res = await fetch(`${app}/redirect.jsp`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(`${app}/index.jsp`)
  })

  it('serves the deterministic 1m.bin and big.jsp pattern', async () => {
    const file = Buffer.from(await (await fetch(`${app}/1m.bin`)).arrayBuffer())
    expect(file.equals(patternBytes(1024 * 1024))).toBe(true)
    const big = Buffer.from(await (await fetch(`${app}/big.jsp?bytes=300001`)).arrayBuffer())
    expect(big.equals(patternBytes(300_001))).toBe(true)
  })

  it('answers AJP CPing on its AJP port', async () => {
    expect(await ajpCping(node.ajpPort)).toBe(true)
  })
})

describe('dedicated failover node', () => {
  const spec = { name: 'SmokeFail', httpPort: 8189, ajpPort: 8119 }

  it('starts, stops (ports closed) and starts again', async () => {
    const node = await startTomcatNode(spec)
    const a = (await (await fetch(`${node.httpUrl}/testapp/index.jsp?format=json`)).json()) as TestappIndexJson
    expect(a.node).toBe('SmokeFail')
    await stopTomcatNode(spec)
    expect(await portClosed(spec.httpPort)).toBe(true)
    expect(await portClosed(spec.ajpPort)).toBe(true)
    await startTomcatNode(spec)
    const b = (await fetch(`${node.httpUrl}/testapp/index.jsp?format=json`, {
      headers: { cookie: `JSESSIONID=${a.sessionId}` },
    }).then((r) => r.json())) as TestappIndexJson
    expect(b.sessionId).not.toBe(a.sessionId) // sessions do not survive a restart
    await stopTomcatNode(spec)
  })
})
