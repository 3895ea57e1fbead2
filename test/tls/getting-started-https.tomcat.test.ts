/**
 * The "HTTPS members" block of docs/guide/getting-started.md, run as written against a Tomcat
 * node with an HTTPS connector that requires a client certificate. Only what names this machine
 * changes: the member port (8443 → the node's) and the listen port (8080 → one of this file's),
 * and `sticky-balancer` resolves to lib/. The certificates come through the block's own PKI_DIR.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Balancer } from '../../lib/balancer.js'
import { REPO_ROOT, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappEchoJson, TomcatNodeSpec } from '../support/tomcat.js'
import { makeTestCertificates } from '../support/tls-certificates.js'
import type { TestCertificates } from '../support/tls-certificates.js'
import { until } from '../upgrade/support/front.js'

const SPEC: TomcatNodeSpec = { name: 'TlsDoc', httpPort: 8460, ajpPort: 8461, httpsPort: 8462, mtlsPort: 8463 }
const LISTEN_PORT = 8464

let certs: TestCertificates

beforeAll(async () => {
  certs = makeTestCertificates()
  process.env.TOMCAT_HTTPS_CERT = certs.path('server.pem')
  process.env.TOMCAT_HTTPS_KEY = certs.path('server.key')
  process.env.TOMCAT_HTTPS_CLIENT_CA = certs.path('ca.pem')
  await stopTomcatNode(SPEC)
  await ensureTomcatNodes([SPEC])
}, 180_000)

afterAll(async () => {
  await stopTomcatNode(SPEC)
  certs?.remove()
}, 60_000)

/** The fenced block that follows the marker comment in the guide. */
function guideBlock(): string {
  const guide = readFileSync(join(REPO_ROOT, 'docs/guide/getting-started.md'), 'utf8')
  const marker = guide.indexOf('<!-- This block is run by test/tls/getting-started-https.tomcat.test.ts')
  expect(marker, 'the marker before the HTTPS members block').toBeGreaterThan(0)
  const match = /```js\n([\s\S]*?)```/.exec(guide.slice(marker))
  expect(match).not.toBeNull()
  return match![1]!
}

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(`http://127.0.0.1:${LISTEN_PORT}${path}`, { agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
    }).on('error', reject)
  })
}

it('runs the getting-started HTTPS members block: both members answer over mTLS, the probes pass', async () => {
  const block = guideBlock()
  expect(block).toContain("from 'sticky-balancer'")
  expect(block.match(/:8443'/g)).toHaveLength(2)
  expect(block).toContain('.listen(8080,')
  const code = block
    .replace("from 'sticky-balancer'", `from ${JSON.stringify(pathToFileURL(join(REPO_ROOT, 'lib/index.ts')).href)}`)
    .replaceAll(":8443'", `:${SPEC.mtlsPort}'`)
    .replace('.listen(8080,', `.listen(${LISTEN_PORT},`)
  const file = join(certs.dir, 'getting-started-https.mts')
  writeFileSync(file, `${code}\nexport { balancer, server }\n`)
  process.env.PKI_DIR = certs.dir
  const { balancer, server } = (await import(/* @vite-ignore */ pathToFileURL(file).href)) as { balancer: Balancer; server: http.Server }
  try {
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())))
    const seen = new Set<string>()
    for (let i = 0; i < 6; i++) {
      const { status, body } = await get('/testapp/echo.jsp')
      expect(status, body).toBe(200)
      const json = JSON.parse(body) as TestappEchoJson
      expect(json).toMatchObject({ node: 'TlsDoc', scheme: 'https', secure: true })
      expect(json.tls?.certSubjects[0]).toMatch(/CN=balancer client/)
      seen.add(json.headers.host?.[0] ?? '')
    }
    // Both members took requests (one by name, one by address with servername).
    expect([...seen].sort()).toEqual([`127.0.0.1:${SPEC.mtlsPort}`, `localhost:${SPEC.mtlsPort}`])
    await until(() => balancer.members.every((m) => m.health === 'ok' && m.lastError === undefined), 10_000, 'members healthy')
  } finally {
    await balancer.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})
