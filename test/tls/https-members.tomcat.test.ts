/**
 * `https://` members against a real Tomcat with two HTTPS connectors, on certificates this file
 * makes with openssl: one connector with a server certificate issued by a test CA, one that also
 * requires a client certificate issued by that CA. Requests on every HTTP transport, active health
 * probes and WebSocket upgrades (Tomcat's examples echo over wss) use the `tls` option: the CA is
 * trusted, a client certificate is shown, the name sent and checked is the configured one, never
 * the client's Host.
 *
 * Own node (TlsA on 8450-8453), started with TOMCAT_EXAMPLES=1 and stopped afterwards.
 */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BalancerOptions, MemberOptions } from '../../lib/options.js'
import { ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNodeSpec } from '../support/tomcat.js'
import { makeTestCertificates } from '../support/tls-certificates.js'
import type { TestCertificates } from '../support/tls-certificates.js'
import { startFront, until } from '../upgrade/support/front.js'
import { connectWs, openWs, WsClient } from '../upgrade/support/ws-client.js'

const SPEC: TomcatNodeSpec = { name: 'TlsA', httpPort: 8450, ajpPort: 8451, httpsPort: 8452, mtlsPort: 8453 }
const HTTPS_IP = `https://127.0.0.1:${SPEC.httpsPort}`
const HTTPS_NAME = `https://localhost:${SPEC.httpsPort}`
const MTLS = `https://localhost:${SPEC.mtlsPort}`
const ECHO_WS = '/examples/websocket/echoAnnotation'

let certs: TestCertificates

beforeAll(async () => {
  certs = makeTestCertificates()
  process.env.TOMCAT_EXAMPLES = '1'
  process.env.TOMCAT_HTTPS_CERT = certs.path('server.pem')
  process.env.TOMCAT_HTTPS_KEY = certs.path('server.key')
  process.env.TOMCAT_HTTPS_CLIENT_CA = certs.path('ca.pem')
  // A node left running by an interrupted run serves certificates of an earlier CA.
  await stopTomcatNode(SPEC)
  await ensureTomcatNodes([SPEC])
}, 180_000)

afterAll(async () => {
  await stopTomcatNode(SPEC)
  certs?.remove()
}, 60_000)

const TRANSPORTS = ['http-proxy-3', 'node', 'undici'] as const

function member(url: string, extra: Partial<MemberOptions> = {}): MemberOptions {
  return { url, route: 'TlsA', ...extra }
}

/** GET /testapp/echo.jsp through the front (node:http, so that a test can send any Host). */
function echo(base: string, headers: Record<string, string> = {}): Promise<{ status: number; json?: TestappEchoJson; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/testapp/echo.jsp`, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        const status = res.statusCode ?? 0
        resolve({ status, text, json: status === 200 ? (JSON.parse(text) as TestappEchoJson) : undefined })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

describe.each(TRANSPORTS)('requests over %s', (transport) => {
  const options = (o: Partial<BalancerOptions> & Pick<BalancerOptions, 'members'>): BalancerOptions => ({ http: { transport }, retryMs: 0, ...o })

  it('trusts the member issued by tls.ca: 200, Tomcat sees a secure https request (IP and host-name URLs)', async () => {
    for (const url of [HTTPS_IP, HTTPS_NAME]) {
      const front = await startFront(options({ members: [member(url)], tls: { ca: certs.read('ca.pem') } }))
      const { status, json } = await echo(front.url)
      expect(status, url).toBe(200)
      expect(json).toMatchObject({ node: 'TlsA', scheme: 'https', secure: true })
      expect(json?.requestURL.startsWith('https://')).toBe(true)
      expect(json?.tls?.cipherSuite).toBeTruthy()
      expect(front.warnings).toEqual([])
    }
  })

  it('refuses a member whose certificate no trusted CA issued: 502 LB_ERR_UPSTREAM_TLS, the cause logged, the member in error', async () => {
    const front = await startFront(options({ members: [member(HTTPS_NAME)] }))
    const first = await echo(front.url)
    expect(first.status).toBe(502)
    expect(first.text).not.toMatch(/BEGIN|localhost:8452/)
    const line = front.warnings.find((w) => w.startsWith('member exchange failed'))
    expect(line).toContain('"code":"LB_ERR_UPSTREAM_TLS"')
    expect(line).toContain('"cause":"UNABLE_TO_VERIFY_LEAF_SIGNATURE"')
    const m = front.balancer.member('TlsA')!
    expect(m.health).toBe('error')
    expect(m.lastError?.code).toBe('LB_ERR_UPSTREAM_TLS')
    // Still serving (no crash): the next request is answered too.
    expect((await echo(front.url)).status).toBeGreaterThanOrEqual(500)
  })

  it('a CA that did not issue the member certificate is not enough', async () => {
    const front = await startFront(options({ members: [member(HTTPS_NAME)], tls: { ca: certs.read('other-ca.pem') } }))
    expect((await echo(front.url)).status).toBe(502)
    expect(front.balancer.member('TlsA')!.lastError?.code).toBe('LB_ERR_UPSTREAM_TLS')
  })

  it('a failed handshake sends nothing: even a POST with a body goes on to the next member', async () => {
    // https:// to the node's plain HTTP port: the handshake fails (ERR_SSL_WRONG_VERSION_NUMBER).
    const wrong = { url: `https://127.0.0.1:${SPEC.httpPort}`, route: 'Wrong' }
    const front = await startFront(options({ members: [wrong, member(HTTPS_NAME)], scheduler: 'byrequests', sticky: false, retryMs: 60_000, tls: { ca: certs.read('ca.pem') } }))
    const bodies = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${front.url}/testapp/echo.jsp`, { method: 'POST', body: `payload ${i}`, headers: { 'content-type': 'text/plain' } })
      const json = (await res.json()) as TestappEchoJson
      expect(res.status).toBe(200)
      expect(json.bodyText).toBe(`payload ${i}`)
      bodies.add(json.bodyText ?? '')
    }
    expect(bodies.size).toBe(4)
    const bad = front.balancer.member('Wrong')!
    expect(bad.health).toBe('error')
    expect(bad.lastError?.code).toBe('LB_ERR_UPSTREAM_TLS')
    expect(front.warnings.find((w) => w.startsWith('member exchange failed') && w.includes('"member":"Wrong"')), front.warnings.join('\n')).toMatch(/"cause":"(ERR_SSL_WRONG_VERSION_NUMBER|EPROTO)"/)
  })

  it('minVersion and maxVersion reach the handshake', async () => {
    const tls12 = await startFront(options({ members: [member(HTTPS_NAME, { tls: { maxVersion: 'TLSv1.2' } })], tls: { ca: certs.read('ca.pem') } }))
    expect((await echo(tls12.url)).json?.tls?.cipherSuite).toMatch(/^TLS_ECDHE_/)
    const tls13 = await startFront(options({ members: [member(HTTPS_NAME, { tls: { minVersion: 'TLSv1.3' } })], tls: { ca: certs.read('ca.pem') } }))
    expect((await echo(tls13.url)).json?.tls?.cipherSuite).toMatch(/^TLS_AES_|^TLS_CHACHA20_/)
  })

  it('rejectUnauthorized: false connects without a trusted CA', async () => {
    const front = await startFront(options({ members: [member(HTTPS_NAME, { tls: { rejectUnauthorized: false } })] }))
    const { status, json } = await echo(front.url)
    expect(status).toBe(200)
    expect(json?.secure).toBe(true)
  })

  it('checks the certificate against tls.servername: a name the certificate has passes, another fails', async () => {
    const good = await startFront(options({ members: [member(HTTPS_IP, { tls: { servername: 'localhost' } })], tls: { ca: certs.read('ca.pem') } }))
    expect((await echo(good.url)).status).toBe(200)
    const bad = await startFront(options({ members: [member(HTTPS_IP, { tls: { servername: 'tomcat.example' } })], tls: { ca: certs.read('ca.pem') } }))
    expect((await echo(bad.url)).status).toBe(502)
    expect(bad.warnings.find((w) => w.startsWith('member exchange failed'))).toContain('"cause":"ERR_TLS_CERT_ALTNAME_INVALID"')
  })

  it('with preserveHost, the client\'s Host is neither the name sent nor the name checked', async () => {
    const front = await startFront(options({ members: [member(HTTPS_NAME)], preserveHost: true, tls: { ca: certs.read('ca.pem') } }))
    for (const host of ['attacker.example', 'public.example:8443', 'localhost']) {
      const { status, json } = await echo(front.url, { host })
      expect(status, host).toBe(200)
      expect(json?.headers.host).toEqual([host])
    }
    // An IP member: no SNI; the client's Host does not become one.
    const ip = await startFront(options({ members: [member(HTTPS_IP)], preserveHost: true, tls: { ca: certs.read('ca.pem') } }))
    expect((await echo(ip.url, { host: 'attacker.example' })).status).toBe(200)
  })

  it('mTLS: without a client certificate the connector refuses; with tls.cert/key Tomcat sees it', async () => {
    const ca = certs.read('ca.pem')
    const without = await startFront(options({ members: [member(MTLS)], tls: { ca } }))
    expect((await echo(without.url)).status).toBe(502)
    // TLS 1.3 asks for the client certificate after the handshake: Tomcat's alert comes after the
    // request was written, and is still what the client's 502 and the log say.
    expect(without.balancer.member('TlsA')!.lastError?.code).toBe('LB_ERR_UPSTREAM_TLS')
    // OpenSSL's reason as Node spells it: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED (Node 20),
    // ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE (Node 24).
    expect(without.warnings.find((w) => w.startsWith('member exchange failed'))).toMatch(/"cause":"ERR_SSL_[A-Z0-9_/]+"/)

    const stranger = await startFront(options({ members: [member(MTLS, { tls: { cert: certs.read('other-client.pem'), key: certs.read('other-client.key') } })], tls: { ca } }))
    expect((await echo(stranger.url)).status).toBe(502)

    // Balancer-wide CA, the member's own client certificate.
    const front = await startFront(options({ members: [member(MTLS, { tls: { cert: certs.read('client.pem'), key: certs.read('client.key') } })], tls: { ca } }))
    for (let i = 0; i < 3; i++) {
      const { status, json } = await echo(front.url)
      expect(status).toBe(200)
      expect(json?.secure).toBe(true)
      expect(json?.tls?.certSubjects[0]).toMatch(/CN=balancer client/)
    }
  })
})

describe('active health probes', () => {
  it('probe https members with the tls option: the CA passes, no CA fails with the certificate error', async () => {
    const health = { interval: 100, path: '/testapp/static.txt', fails: 1, passes: 1 }
    const trusted = await startFront({ members: [member(HTTPS_NAME)], tls: { ca: certs.read('ca.pem') }, health, logger: false })
    const untrusted = await startFront({ members: [member(HTTPS_NAME)], health, logger: false })
    const mtls = await startFront({ members: [member(MTLS)], tls: { ca: certs.read('ca.pem'), cert: certs.read('client.pem'), key: certs.read('client.key') }, health, logger: false })
    await until(() => untrusted.balancer.member('TlsA')!.health === 'error', 10_000, 'the untrusted member in error')
    expect(untrusted.balancer.member('TlsA')!.lastError?.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    // Several probe rounds later the trusted members are still fine.
    await new Promise((r) => setTimeout(r, 500))
    expect(trusted.balancer.member('TlsA')!.health).toBe('ok')
    expect(mtls.balancer.member('TlsA')!.health).toBe('ok')
    expect(trusted.balancer.member('TlsA')!.lastError).toBeUndefined()
  })
})

describe('WebSocket to Tomcat\'s examples over wss', () => {
  it.each(TRANSPORTS)('echoes through a tls-configured member (%s), and refuses an untrusted one with 502', async (transport) => {
    const front = await startFront({ members: [member(HTTPS_NAME)], http: { transport }, tls: { ca: certs.read('ca.pem') } })
    const ws = await openWs(front.ws + ECHO_WS)
    ws.sendText('over wss')
    expect((await ws.next()).data.toString()).toBe('over wss')
    await ws.close()

    const mtls = await startFront({ members: [member(MTLS, { tls: { cert: certs.read('client.pem'), key: certs.read('client.key') } })], http: { transport }, tls: { ca: certs.read('ca.pem') } })
    const ws2 = await openWs(mtls.ws + ECHO_WS)
    ws2.sendText('with a client certificate')
    expect((await ws2.next()).data.toString()).toBe('with a client certificate')
    await ws2.close()

    const untrusted = await startFront({ members: [member(HTTPS_NAME)], http: { transport }, retryMs: 0 })
    const answer = await connectWs(untrusted.ws + ECHO_WS)
    expect(answer).not.toBeInstanceOf(WsClient)
    expect((answer as { status: number }).status).toBe(502)
    expect(untrusted.balancer.member('TlsA')!.lastError?.code).toBe('LB_ERR_UPSTREAM_TLS')
  })
})
