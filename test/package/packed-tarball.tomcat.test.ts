/**
 * The packed package as a user gets it: `npm pack` of the repository, installed with `express`
 * from the registry into a scratch project outside the repository, and `examples/express-basic`
 * copied there, importing `sticky-balancer/express` from that installation. It is started in front
 * of the two Tomcat nodes and must keep sessions on their node and serve its balancer-manager.
 *
 * `npm pack` runs with `--ignore-scripts`: it packs the dist/ that `npm test` built instead of
 * rebuilding the shared dist/ under tests that read it.
 */
import { execFile, execFileSync } from 'node:child_process'
import { cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startExampleProcess } from '../support/example-process.js'
import { REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappIndexJson } from '../support/tomcat.js'

const run = promisify(execFile)
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string }

let tmp: string
let scratch: string
let tarball: string

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'sb-packed-')))
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: REPO_ROOT, timeout: 60_000 })
  const [packed] = JSON.parse(stdout) as [{ filename: string }]
  tarball = join(tmp, packed.filename)
  scratch = join(tmp, 'scratch')
  cpSync(join(REPO_ROOT, 'examples', 'express-basic'), join(scratch, 'express-basic'), { recursive: true })
  cpSync(join(REPO_ROOT, 'examples', 'support.mjs'), join(scratch, 'support.mjs'))
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2))
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, 'express@^5'], { cwd: scratch, timeout: 120_000 })
}, 180_000)

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

/** Starts the copied example on port 0 with the given members; resolves with its base URL. */
async function startExample(members: string): Promise<string> {
  return startExampleProcess('the example', join(scratch, 'express-basic', 'server.mjs'), { MEMBERS: members }, scratch)
}

/** The route after the first `.` of a JSESSIONID `Set-Cookie`, and the `name=value` to send back. */
function sessionCookie(res: Response): { cookie: string; route: string } {
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('JSESSIONID='))
  const cookie = setCookie?.split(';')[0] ?? ''
  return { cookie, route: cookie.slice(cookie.indexOf('.') + 1) }
}

describe('the packed package in a scratch project', () => {
  it('installs from the tarball: a real copy of this version, nothing from the repository', () => {
    const installed = join(scratch, 'node_modules', 'sticky-balancer')
    expect(lstatSync(installed).isSymbolicLink()).toBe(false)
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))).toMatchObject({ name: pkg.name, version: pkg.version })
    expect(readFileSync(join(scratch, 'express-basic', 'server.mjs'), 'utf8')).toContain("from 'sticky-balancer/express'")
    // Resolved as the example resolves it: from the scratch project's node_modules.
    const resolved = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('sticky-balancer/express'))"], { cwd: scratch, encoding: 'utf8' }).trim()
    expect(resolved).toBe(`file://${join(installed, 'dist', 'express.js')}`)
  })

  it('runs examples/express-basic against Tomcat: new sessions get a route, sessions stay on it, balancer-manager answers', async () => {
    const base = await startExample(TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(','))
    const routes = new Set(TOMCAT_NODES.map((n) => n.route))

    const sessions: { cookie: string; route: string }[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/testapp/index.jsp?format=json`)
      expect(res.status).toBe(200)
      const body = (await res.json()) as TestappIndexJson
      const session = sessionCookie(res)
      expect(routes.has(session.route), `a new session gets a route: ${session.cookie}`).toBe(true)
      expect(body.node).toBe(session.route)
      sessions.push(session)
    }
    expect(new Set(sessions.map((s) => s.route))).toEqual(routes)

    for (const session of sessions) {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${base}/testapp/index.jsp?format=json`, { headers: { cookie: session.cookie } })
        const body = (await res.json()) as TestappIndexJson
        expect([body.node, `JSESSIONID=${body.sessionId}`, body.isNew]).toEqual([session.route, session.cookie, false])
      }
    }

    const page = await fetch(`${base}/balancer-manager/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await page.text()
    for (const route of routes) expect(html).toContain(route)

    const api = await fetch(`${base}/balancer-manager/api/members`)
    expect(api.status).toBe(200)
    const members = (await api.json()) as { route: string; counters: { requests: number }; reasons: Record<string, number> }[]
    expect(members.map((m) => m.route).sort()).toEqual([...routes].sort())
    for (const m of members) {
      expect(m.counters.requests).toBeGreaterThanOrEqual(2)
      expect(m.reasons.sticky ?? 0).toBeGreaterThanOrEqual(2)
    }
  })
})
