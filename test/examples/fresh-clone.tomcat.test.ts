/**
 * The README's steps for running an example, from a fresh clone (README.md, block
 * `examples-from-a-clone`): a `git clone` of this checkout's HEAD commit (uncommitted changes are
 * not in it), with node_modules hard-linked from this checkout as npm's cache would supply them
 * (npm runs offline), then every line of the block as written, in the clone; the last one, the
 * example server, in the background (PORT=0, and MEMBERS naming the test nodes). The example must
 * serve and keep sessions: the steps the README names must build what the examples import
 * (`sticky-balancer`, resolved to dist/, which a clone does not have).
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { docBlock } from '../support/doc-blocks.js'
import { REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappIndexJson } from '../support/tomcat.js'

/** The README's commands, one per line, without their comments. */
const commands = docBlock('README.md', 'examples-from-a-clone')
  .split('\n')
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter(Boolean)

// Below the checkout (in .run/, ignored by git): on the same file system as node_modules, for hard links.
const scratch = join(REPO_ROOT, '.run', 'fresh-clone')
mkdirSync(scratch, { recursive: true })
const dir = mkdtempSync(join(scratch, 'clone-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function sh(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 300_000 })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.error?.message ?? result.signal}):\n${result.stdout}\n${result.stderr}`)
  return result.stdout
}

describe('README: an example from a fresh clone', () => {
  it('runs after exactly the steps the README names', async () => {
    expect(commands.at(-1)).toMatch(/^node examples\/\S+\/server\.mjs$/)
    const head = sh('git', ['rev-parse', 'HEAD'], REPO_ROOT).trim()
    const clone = join(dir, 'sticky-balancer')
    sh('git', ['clone', '--quiet', '--no-checkout', REPO_ROOT, clone], dir)
    sh('git', ['checkout', '--quiet', '--detach', head], clone)
    expect(existsSync(join(clone, 'dist')), 'a clone has no dist/').toBe(false)

    // What `npm install` would fetch, from this checkout: hard links, and a real copy of the one
    // file npm rewrites, so that nothing of this checkout's node_modules changes.
    const modules = join(REPO_ROOT, 'node_modules')
    if (spawnSync('cp', ['-al', modules, join(clone, 'node_modules')]).status !== 0) sh('cp', ['-a', modules, join(clone, 'node_modules')], dir)
    const lock = join(clone, 'node_modules', '.package-lock.json')
    if (existsSync(lock)) {
      unlinkSync(lock)
      copyFileSync(join(modules, '.package-lock.json'), lock)
    }

    const env = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
    for (const command of commands.slice(0, -1)) sh('bash', ['-c', command], clone, env)

    const server = spawn('bash', ['-c', `exec ${commands.at(-1)!}`], {
      cwd: clone,
      env: { ...env, PORT: '0', MEMBERS: TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    onTestFinished(() => {
      server.kill('SIGTERM')
    })
    let output = ''
    server.stdout.on('data', (d: Buffer) => (output += d))
    server.stderr.on('data', (d: Buffer) => (output += d))
    const deadline = Date.now() + 20_000
    let origin: string | undefined
    while (!(origin = /listening on (http:\/\/[^/\s]+)/.exec(output)?.[1])) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`${commands.at(-1)} did not start (exit ${server.exitCode}):\n${output}`)
      await new Promise((r) => setTimeout(r, 50))
    }

    const sessions: { cookie: string; node: string }[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${origin}/testapp/index.jsp?format=json`)
      sessions.push({ cookie: res.headers.getSetCookie()[0]?.split(';')[0] ?? '', node: ((await res.json()) as TestappIndexJson).node })
    }
    expect(new Set(sessions.map((s) => s.node))).toEqual(new Set(TOMCAT_NODES.map((n) => n.name)))
    for (const s of sessions) {
      const body = (await (await fetch(`${origin}/testapp/index.jsp?format=json`, { headers: { cookie: s.cookie } })).json()) as TestappIndexJson
      expect(body.node).toBe(s.node)
    }
  }, 600_000)
})
