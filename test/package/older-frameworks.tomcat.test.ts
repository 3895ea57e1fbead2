/**
 * Express 4 and Koa 2, as the existing servers that run them would add the package: `npm install`
 * of the packed package next to `express@4` or `koa@2` in a scratch project outside the
 * repository (no `--legacy-peer-deps`, no `--force`: a peer range that refused them would fail
 * with ERESOLVE), then the runnable example copied there, in front of the two Tomcat nodes.
 *
 * `npm pack` runs with `--ignore-scripts`: it packs the dist/ that `npm test` built.
 */
import { execFile, execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleProcess } from '../support/example-process.js'
import { REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappEchoJson, TestappIndexJson } from '../support/tomcat.js'

const run = promisify(execFile)

const FRAMEWORKS = [
  { spec: 'express@4', name: 'express', major: '4', example: 'express-basic' },
  { spec: 'koa@2', name: 'koa', major: '2', example: 'koa-basic' },
] as const

let tmp: string
let tarball: string
/** The outcome of each scratch project's `npm install`, by spec. */
const installs = new Map<string, { dir: string; error?: string }>()

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sb-older-frameworks-')))
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: REPO_ROOT, timeout: 60_000 })
  const [packed] = JSON.parse(stdout) as [{ filename: string }]
  tarball = join(tmp, packed.filename)
  await Promise.all(FRAMEWORKS.map(async ({ spec, name, example }) => {
    const dir = join(tmp, name)
    cpSync(join(REPO_ROOT, 'examples', example), join(dir, example), { recursive: true })
    cpSync(join(REPO_ROOT, 'examples', 'support.mjs'), join(dir, 'support.mjs'))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${name}`, private: true, type: 'module' }, null, 2))
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, spec], { cwd: dir, timeout: 150_000 })
      installs.set(spec, { dir })
    } catch (err) {
      installs.set(spec, { dir, error: String((err as { stderr?: string }).stderr || err) })
    }
  }))
}, 240_000)

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe.each(FRAMEWORKS)('the packed package with $spec', ({ spec, name, major, example }) => {
  it(`installs next to ${spec} without ERESOLVE`, () => {
    const install = installs.get(spec)
    expect(install?.error, 'npm install output').toBeUndefined()
    const dir = install?.dir as string
    const version = (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
    expect(version.split('.')[0]).toBe(major)
    // The example resolves the framework the scratch project installed, not the repository's.
    const resolved = execFileSync(process.execPath, ['--input-type=module', '-e', `console.log(import.meta.resolve('${name}'))`], { cwd: dir, encoding: 'utf8' }).trim()
    expect(resolved.startsWith(`file://${join(dir, 'node_modules', name)}/`)).toBe(true)
  })

  it(`runs examples/${example} against Tomcat: sessions spread and stay on their node, bodies arrive intact`, async () => {
    const install = installs.get(spec)
    expect(install?.error).toBeUndefined()
    const dir = install?.dir as string
    const base = await startExampleProcess(example, join(dir, example, 'server.mjs'), { MEMBERS: TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(',') }, dir)
    const sessions: { cookie: string; node: string }[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/testapp/index.jsp?format=json`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as TestappIndexJson
      sessions.push({ cookie: res.headers.getSetCookie()[0]?.split(';')[0] ?? '', node: body.node })
    }
    expect(new Set(sessions.map((s) => s.node))).toEqual(new Set(TOMCAT_NODES.map((n) => n.route)))
    for (const session of sessions) {
      const body = (await (await fetch(`${base}/testapp/index.jsp?format=json`, { headers: { cookie: session.cookie } })).json()) as TestappIndexJson
      expect(body.node).toBe(session.node)
    }
    const payload = JSON.stringify({ framework: spec, items: [1, 2, 3] })
    const echo = (await (await fetch(`${base}/testapp/echo.jsp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload })).json()) as TestappEchoJson
    expect([echo.method, echo.bodyText, echo.contentLength]).toEqual(['POST', payload, Buffer.byteLength(payload)])
  })
})
