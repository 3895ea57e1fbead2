/**
 * The complete programs of README.md and the guides, run as written (`node <block>.mjs`, importing
 * the built package by its name) in front of the two Tomcat nodes, and doing what the page says.
 * Only the listening port changes (8080 → a port of this file's range), so that nothing else on the
 * machine is disturbed; `AJP_SECRET` holds the nodes' AJP secret, as the blocks expect. Each block is named by `<!-- test: <name> -->` in its page, and type-checked
 * as well by test/docs/code-blocks.test.ts. Needs dist/ (`npm test` builds it first).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { docBlock } from '../support/doc-blocks.js'
import { AJP_SECRET, REPO_ROOT, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'
import { waitForPort } from '../support/port-open.js'

/** This file's ports (18500-18599 belong to it). */
const PORT = 18510

let dir: string

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  await ensureTomcatNodes()
  mkdirSync(join(REPO_ROOT, '.run', 'doc-blocks'), { recursive: true })
  dir = mkdtempSync(join(REPO_ROOT, '.run', 'doc-blocks', 'run-'))
})

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})


/** Runs the block named `name` of `page` with its port 8080 changed to `PORT`; stopped when the test ends. */
async function runBlock(page: string, name: string): Promise<() => string> {
  const code = docBlock(page, name)
  expect(code.match(/\b8080\b/g), `${page} block ${name} listens on 8080, once`).toHaveLength(1)
  const file = join(dir, `${name}.mjs`)
  writeFileSync(file, code.replace(/\b8080\b/, String(PORT)))
  let output = ''
  const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, NODE_DEBUG: '', AJP_SECRET }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  if (!(await waitForPort(PORT, Date.now() + 20_000, () => child.exitCode !== null))) throw new Error(`${page} block ${name} did not listen on ${PORT}:\n${output}`)
  return () => output
}

async function echo(path: string, cookie?: string): Promise<TestappEchoJson> {
  const res = await fetch(`http://127.0.0.1:${PORT}${path}`, { headers: cookie ? { cookie } : {} })
  const body = await res.text()
  expect(res.status, body).toBe(200)
  return JSON.parse(body) as TestappEchoJson
}

/** Requests without a session are spread over both nodes; a session's requests stay on its node. */
async function balancesAndSticks(path: string, expectedURI: string): Promise<void> {
  const nodes = new Set<string>()
  for (let i = 0; i < 4; i++) {
    const seen = await echo(path)
    expect(seen.requestURI).toBe(expectedURI)
    nodes.add(seen.node)
  }
  expect([...nodes].sort()).toEqual(['TomcatA', 'TomcatB'])
  for (const node of ['TomcatA', 'TomcatB']) {
    for (let i = 0; i < 3; i++) expect((await echo(path, `JSESSIONID=0123456789ABCDEF.${node}`)).node).toBe(node)
  }
}

describe('README.md', () => {
  it('Express: /app/… reaches Tomcat\'s /testapp/…, spread over both nodes, sticky by JSESSIONID', async () => {
    await runBlock('README.md', 'readme-express')
    await balancesAndSticks('/app/echo.jsp', '/testapp/echo.jsp')
  })

  it('Koa: the same, mounted at the root', async () => {
    await runBlock('README.md', 'readme-koa')
    await balancesAndSticks('/testapp/echo.jsp', '/testapp/echo.jsp')
  })

  it('plain node:http: the same', async () => {
    await runBlock('README.md', 'readme-node-http')
    await balancesAndSticks('/testapp/echo.jsp', '/testapp/echo.jsp')
  })
})

describe('docs/guide/admin.md', () => {
  it('the admin option: the balancer-manager page at /balancer-manager/ for loopback clients, the site beside it', async () => {
    await runBlock('docs/guide/admin.md', 'admin-option')
    const page = await fetch(`http://127.0.0.1:${PORT}/balancer-manager/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('TomcatA')
    await balancesAndSticks('/testapp/echo.jsp', '/testapp/echo.jsp')
  })
})

describe('docs/guide/websockets.md', () => {
  it('the node:http server with upgrades attached serves requests through both nodes', async () => {
    await runBlock('docs/guide/websockets.md', 'websockets-node-http')
    await balancesAndSticks('/testapp/echo.jsp', '/testapp/echo.jsp')
  })
})
