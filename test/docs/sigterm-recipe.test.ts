/**
 * The graceful-stop recipe of the guides (`process.on('SIGTERM', …)`), run as written with a
 * WebSocket open: the process must end by itself. (The old recipe closed the balancer from
 * `server.close`'s callback, which waits for every connection: with a WebSocket open it never ran.)
 * Every guide that shows the recipe shows the same line. Needs dist/ (`npm test` builds it first).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { REPO_ROOT } from '../support/tomcat.js'
import { openWs } from '../upgrade/support/ws-client.js'
import { startWsUpstream } from '../upgrade/support/ws-upstream.js'

const GUIDES = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs', 'guide')).filter((f) => f.endsWith('.md')).map((f) => `docs/guide/${f}`)]

/** Every `process.on('SIGTERM', …)` line of the guides, with where it is. */
function recipeLines(): { where: string; line: string }[] {
  return GUIDES.flatMap((file) => readFileSync(join(REPO_ROOT, file), 'utf8').split('\n').flatMap((line, i) =>
    /process\.(on|once)\(['"]SIGTERM['"]/.test(line) ? [{ where: `${file}:${i + 1}`, line: line.trim() }] : []))
}

describe('the SIGTERM recipe of the guides', () => {
  it('is the same line wherever it is shown', () => {
    const lines = recipeLines()
    expect(lines.length).toBeGreaterThan(0)
    expect(new Set(lines.map((l) => l.line)), JSON.stringify(lines, null, 1)).toEqual(new Set([lines[0]!.line]))
  })

  it('no guide, example or API example closes the balancer from server.close\'s callback', () => {
    const files = [...GUIDES, 'docs/errors.md', 'lib/balancer.ts', 'adapters/express/index.ts', 'adapters/koa/index.ts',
      ...readdirSync(join(REPO_ROOT, 'examples'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.(mjs|js|ts|md)$/.test(f)).map((f) => `examples/${f}`)]
    const bad = files.flatMap((file) => readFileSync(join(REPO_ROOT, file), 'utf8').split('\n').flatMap((line, i) =>
      /server\.close\(\s*(\(\)|async\s*\(\))\s*=>[^)]*\.close\(\)/.test(line) ? [`${file}:${i + 1}`] : []))
    expect(bad).toEqual([])
  })

  it('ends the process with a WebSocket open: the WebSocket gets a close frame, the process exits by itself', async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
    const recipe = recipeLines()[0]!.line
    const upstream = await startWsUpstream('A')
    const dir = join(REPO_ROOT, '.run', 'doc-blocks')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `sigterm-recipe-${process.pid}.mjs`)
    // The guide's Express setup, reduced to one member, with the recipe line as the guide writes it.
    writeFileSync(file, [
      "import express from 'express'",
      "import { stickyBalancer } from 'sticky-balancer/express'",
      'const app = express()',
      "const lb = stickyBalancer({ members: [{ url: process.env.MEMBER, route: 'A' }], upgrade: { closeGrace: 200 } })",
      'app.use(lb)',
      "const server = app.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`))",
      'lb.attachUpgrades(server)',
      recipe,
      '',
    ].join('\n'))
    const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, MEMBER: upstream.url }, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    onTestFinished(() => {
      child.kill('SIGKILL')
      rmSync(file, { force: true })
    })
    let output = ''
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`did not start: ${output}`)), 15_000)
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (http:\/\/\S+)/.exec(output)
        if (match?.[1]) {
          clearTimeout(timer)
          resolve(match[1])
        }
      })
    })
    const ws = await openWs(`${base.replace('http', 'ws')}/echo`)
    ws.sendText('before')
    expect((await ws.next()).data.toString()).toBe('before')

    child.kill('SIGTERM')
    expect(await ws.next()).toMatchObject({ type: 'close', code: 1001 })
    const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))])
    expect(code, output).toBe(0)
    await ws.closed
  }, 40_000)
})
