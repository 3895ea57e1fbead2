/**
 * docs/guide/getting-started.md, "Behind a load balancer (TLS terminator)": its code block runs
 * as written (`node server.mjs`, importing the built package by its name), behind a real nginx
 * terminating TLS with the `proxy_set_header` lines of the page's nginx block, in front of the
 * two Tomcat nodes. Needs dist/ (`npm test` builds it first).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import type { IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { docBlock } from '../support/doc-blocks.js'
import { startTlsFrontProxy } from '../support/tls-front-proxy.js'
import type { TlsFrontProxy } from '../support/tls-front-proxy.js'
import { AJP_SECRET, REPO_ROOT, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'
import { waitForPort } from '../support/port-open.js'

const GUIDE = 'docs/guide/getting-started.md'
/** The snippet's own port (PORT) and nginx's, in the range this test owns. */
const SNIPPET_PORT = 8428
const FRONT_PORT = 8429

let front: TlsFrontProxy | undefined
let stopSnippet: (() => Promise<void>) | undefined
let output = ''


/** Runs the guide's block as `<repo>/.run/doc-blocks/<name>.mjs`: inside the package, so `sticky-balancer/express` is the built package itself. */
async function runBlock(name: string, env: NodeJS.ProcessEnv): Promise<() => Promise<void>> {
  const dir = join(REPO_ROOT, '.run', 'doc-blocks')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${name}.mjs`)
  writeFileSync(file, docBlock(GUIDE, name))
  const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(file, { force: true })
  }
  if (!(await waitForPort(Number(env.PORT), Date.now() + 15_000, () => child.exitCode !== null))) {
    await stop()
    throw new Error(`${GUIDE} block ${name} did not listen on ${env.PORT}:\n${output}`)
  }
  return stop
}

function viaFront(path: string, cookie?: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { host: `localhost:${FRONT_PORT}`, ...(cookie ? { cookie } : {}) }
    const req = https.request({ host: '127.0.0.1', port: FRONT_PORT, path, servername: 'localhost', ca: front?.ca, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  await ensureTomcatNodes()
  stopSnippet = await runBlock('behind-a-load-balancer', { PORT: String(SNIPPET_PORT), AJP_SECRET })
  // The page's nginx block: its proxy_set_header lines, in front of the snippet's port.
  const headers = docBlock(GUIDE, 'behind-a-load-balancer-nginx').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('proxy_set_header '))
  expect(headers).toHaveLength(4)
  front = await startTlsFrontProxy([{ listenPort: FRONT_PORT, upstreamPort: SNIPPET_PORT, headers }])
})

afterAll(async () => {
  await front?.stop()
  await stopSnippet?.()
})

describe(`${GUIDE}: behind a load balancer (TLS terminator)`, () => {
  it('the nginx block proxies to the port the code block listens on by default', () => {
    expect(docBlock(GUIDE, 'behind-a-load-balancer-nginx')).toContain('proxy_pass http://127.0.0.1:8080;')
    expect(docBlock(GUIDE, 'behind-a-load-balancer')).toContain('process.env.PORT ?? 8080')
  })

  it('the AJP member (TomcatB) sees https, isSecure() and the public port', async () => {
    const answer = await viaFront('/testapp/echo.jsp', 'JSESSIONID=0123456789ABCDEF.TomcatB')
    expect(answer.status, `${answer.body}\n${output}`).toBe(200)
    const echo = JSON.parse(answer.body) as TestappEchoJson
    expect(echo.node).toBe('TomcatB')
    expect({ scheme: echo.scheme, secure: echo.secure, serverName: echo.serverName, serverPort: echo.serverPort }).toEqual({
      scheme: 'https', secure: true, serverName: 'localhost', serverPort: FRONT_PORT,
    })
  })

  it('the HTTP member (TomcatA) gets X-Forwarded-Proto: https and the public host and port', async () => {
    const answer = await viaFront('/testapp/echo.jsp', 'JSESSIONID=0123456789ABCDEF.TomcatA')
    const echo = JSON.parse(answer.body) as TestappEchoJson
    expect(echo.node).toBe('TomcatA')
    expect(echo.headers['x-forwarded-proto']).toEqual(['https'])
    expect(echo.headers['x-forwarded-host']).toEqual([`localhost:${FRONT_PORT}`])
    expect(echo.headers['x-forwarded-port']).toEqual([String(FRONT_PORT)])
  })

  it.each(['TomcatA', 'TomcatB'])('redirects from %s point to https://localhost:<front port>/, and the balancer cookie is Secure', async (node) => {
    const answer = await viaFront('/testapp/redirect.jsp?to=index.jsp', `JSESSIONID=0123456789ABCDEF.${node}`)
    expect(answer.status).toBe(302)
    expect(answer.headers.location).toBe(`https://localhost:${FRONT_PORT}/testapp/index.jsp`)
    const cookie = (answer.headers['set-cookie'] ?? []).find((c) => c.startsWith('ROUTEID='))
    expect(cookie).toMatch(/;\s*Secure/i)
  })
})
