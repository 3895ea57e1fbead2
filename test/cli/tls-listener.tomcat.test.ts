/**
 * `sticky-balancer --tls-cert --tls-key`: the site listener over HTTPS in front of real Tomcat.
 * Tomcat must see the request as secure (`isSecure()`, scheme `https`) over an HTTP member (a node
 * of this file with RemoteIpValve, which believes the balancer's X-Forwarded-Proto) and over an AJP
 * member (a shared node: `is_ssl`); a wss upgrade goes through; a bad pair is refused at start; on
 * SIGHUP a renewed certificate is served and a broken one leaves the old one in place.
 */
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { copyFileSync } from 'node:fs'
import https from 'node:https'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, listening, outputMatches, tempFile } from '../support/cli-process.js'
import { makeTestCertificates } from '../support/tls-certificates.js'
import type { TestCertificates } from '../support/tls-certificates.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNodeSpec } from '../support/tomcat.js'
import { startWsUpstream } from '../upgrade/support/ws-upstream.js'
import { FrameParser, OP, encodeFrame } from '../upgrade/support/ws-frames.js'

/** A node whose RemoteIpValve believes X-Forwarded-Proto from 127.0.0.1 (the HTTP member). */
const VALVE_NODE: TomcatNodeSpec = { name: 'CliTls', httpPort: 18200, ajpPort: 18201 }
const AJP_NODE = TOMCAT_NODES[0]!

let certs: TestCertificates

beforeAll(async () => {
  certs = makeTestCertificates()
  // A renewed certificate for the SIGHUP test: self-signed, so its fingerprint is its own.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'renewed.key', '-out', 'renewed.pem', '-days', '2',
    '-subj', '/CN=renewed', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: certs.dir, stdio: ['ignore', 'ignore', 'pipe'] })
  process.env.TOMCAT_REMOTE_IP = '1'
  try {
    await ensureTomcatNodes([VALVE_NODE])
  } finally {
    delete process.env.TOMCAT_REMOTE_IP
  }
  await ensureTomcatNodes([AJP_NODE.name])
}, 180_000)

afterAll(async () => {
  await stopTomcatNode(VALVE_NODE)
  certs?.remove()
}, 60_000)

/** A configuration with one balancer per member kind; the AJP secret comes from the environment. */
function config(wsUpstream: string): string {
  return tempFile('balancer.json', JSON.stringify({
    balancers: [
      { name: 'http', mount: '/http', options: { members: [{ url: `http://127.0.0.1:${VALVE_NODE.httpPort}`, route: VALVE_NODE.name }], upstreamPath: '/testapp' } },
      { name: 'ajp', mount: '/ajp', options: { members: [{ url: AJP_NODE.ajpUrl, route: AJP_NODE.route, secret: '${AJP_SECRET}' }], upstreamPath: '/testapp' } },
      { name: 'ws', mount: '/ws', options: { members: [{ url: wsUpstream }] } },
    ],
  }))
}

interface Answer {
  readonly status: number
  readonly body: string
  /** SHA-256 fingerprint of the certificate the listener showed. */
  readonly fingerprint: string
}

/** A GET over TLS; `ca` given: verified against it (the name is 127.0.0.1), else not verified. */
function get(url: string, ca?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false, ...(ca ? { ca } : { rejectUnauthorized: false }) }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }))
    })
    req.on('error', reject)
  })
}

function fingerprintOf(pem: Buffer): string {
  return new X509Certificate(pem).fingerprint256
}

describe('--tls-cert/--tls-key in front of Tomcat', () => {
  it('serves https; Tomcat sees a secure https request over an HTTP member and over an AJP member; a wss upgrade goes through', async () => {
    const ws = await startWsUpstream('ws')
    const run = cli(['--config', config(ws.url), '--listen', '127.0.0.1:0', '--tls-cert', certs.path('server.pem'), '--tls-key', certs.path('server.key')],
      { env: { ...process.env, AJP_SECRET } })
    const origin = await listening(run)
    expect(origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const ca = certs.read('ca.pem')

    for (const [mount, node] of [['/http', VALVE_NODE.name], ['/ajp', AJP_NODE.name]] as const) {
      const { status, body } = await get(`${origin}${mount}/echo.jsp`, ca)
      expect(status, body).toBe(200)
      const echo = JSON.parse(body) as TestappEchoJson
      expect({ mount, node: echo.node, scheme: echo.scheme, secure: echo.secure, url: echo.requestURL.split(':')[0] })
        .toEqual({ mount, node, scheme: 'https', secure: true, url: 'https' })
      // Over AJP the TLS facts of the client's connection come along (Tomcat's cipher attribute).
      if (mount === '/ajp') expect(echo.tls?.cipherSuite).toMatch(/^TLS_/)
    }

    // wss: the upgrade is tunnelled to the member, which hears that the client came over https.
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const req = https.request(`${origin}/ws/chat`, {
        ca, agent: false,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' },
      })
      req.on('upgrade', (res, upgraded) => (res.statusCode === 101 ? resolve(upgraded as TLSSocket) : reject(new Error(`status ${res.statusCode}`))))
      req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)))
      req.on('error', reject)
      req.end()
    })
    try {
      const parser = new FrameParser()
      const echoed = new Promise<string>((resolve) => socket.on('data', (chunk: Buffer) => {
        const frame = parser.push(chunk).find((f) => f.opcode === OP.text)
        if (frame) resolve(frame.payload.toString())
      }))
      socket.write(encodeFrame(OP.text, Buffer.from('over wss'), true))
      expect(await echoed).toBe('over wss')
      expect(ws.seen[0]?.url).toBe('/ws/chat')
      expect(ws.seen[0]?.headers['x-forwarded-proto']).toBe('https')
    } finally {
      socket.destroy()
    }
  })

  it('on SIGHUP serves a renewed certificate, and keeps it when the next pair is broken', async () => {
    const dir = certs.dir
    const cert = join(dir, 'live.pem')
    const key = join(dir, 'live.key')
    copyFileSync(certs.path('server.pem'), cert)
    copyFileSync(certs.path('server.key'), key)
    const ws = await startWsUpstream('ws')
    const run = cli(['--config', config(ws.url), '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key], { env: { ...process.env, AJP_SECRET } })
    const origin = await listening(run)
    const first = await get(`${origin}/ajp/echo.jsp`)
    expect(first.fingerprint).toBe(fingerprintOf(certs.read('server.pem')))

    copyFileSync(certs.path('renewed.pem'), cert)
    copyFileSync(certs.path('renewed.key'), key)
    run.child.kill('SIGHUP')
    await outputMatches(run, (_, err) => err.includes('read the certificate'))
    const renewed = await get(`${origin}/ajp/echo.jsp`)
    expect(renewed.status, renewed.body).toBe(200)
    expect(renewed.fingerprint).toBe(fingerprintOf(certs.read('renewed.pem')))

    // A certificate whose key is not there: reported, the renewed one kept.
    copyFileSync(certs.path('server.pem'), cert)
    run.child.kill('SIGHUP')
    await outputMatches(run, (_, err) => err.includes('keeping the certificate in use'))
    expect(run.err()).toContain(`the key ${key} is not the key of the certificate ${cert}`)
    const kept = await get(`${origin}/ajp/echo.jsp`)
    expect(kept.status, kept.body).toBe(200)
    expect(kept.fingerprint).toBe(fingerprintOf(certs.read('renewed.pem')))
    expect(run.child.exitCode).toBeNull()
  })
})

describe('--tls-cert/--tls-key refused', () => {
  const configFile = (): string => tempFile('balancer.json', JSON.stringify({ members: [{ url: `http://127.0.0.1:${VALVE_NODE.httpPort}` }] }))

  it('a key that is not the certificate\'s: exit 1 naming both files, also with --check', async () => {
    for (const extra of [[], ['--check']]) {
      const run = cli(['--config', configFile(), '--listen', '127.0.0.1:0', '--tls-cert', certs.path('server.pem'), '--tls-key', certs.path('client.key'), ...extra])
      expect(await run.exit, run.err()).toBe(1)
      expect(run.err()).toContain(`sticky-balancer: the key ${certs.path('client.key')} is not the key of the certificate ${certs.path('server.pem')}`)
      expect(run.out()).not.toContain('listening')
    }
  })

  it('an unreadable file, a file that is not PEM, a key with a passphrase: exit 1 naming the file', async () => {
    const notPem = tempFile('cert.pem', 'not a certificate\n')
    const encrypted = join(certs.dir, 'encrypted.key')
    execFileSync('openssl', ['pkey', '-in', certs.path('server.key'), '-aes256', '-passout', 'pass:secret', '-out', encrypted], { stdio: ['ignore', 'ignore', 'pipe'] })
    const cases: [string, string, RegExp][] = [
      [join(certs.dir, 'missing.pem'), certs.path('server.key'), /--tls-cert .*missing\.pem: ENOENT/],
      [notPem, certs.path('server.key'), /is not a PEM certificate or key/],
      [certs.path('server.pem'), encrypted, /--tls-key .*encrypted\.key: the key is protected by a passphrase, which is not supported/],
    ]
    for (const [cert, key, message] of cases) {
      const run = cli(['--config', configFile(), '--listen', '127.0.0.1:0', '--tls-cert', cert, '--tls-key', key])
      expect(await run.exit, run.err()).toBe(1)
      expect(run.err()).toMatch(message)
    }
  })

  it('one flag without the other: exit 2', async () => {
    for (const flags of [['--tls-cert', certs.path('server.pem')], ['--tls-key', certs.path('server.key')]]) {
      const run = cli(['--config', configFile(), '--listen', '127.0.0.1:0', ...flags])
      expect(await run.exit).toBe(2)
      expect(run.err()).toContain('--tls-cert and --tls-key go together')
    }
  })
})
