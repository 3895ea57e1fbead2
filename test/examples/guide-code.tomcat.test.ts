/**
 * The code in the guides runs as written: every JavaScript block of the guides below is an
 * example file of examples/, included verbatim (checked here, character for character), and each
 * of those files is run as users run it (`node <file>`, importing the built package) in front of
 * the Tomcat nodes, and does what the guide says.
 *
 * pino and winston are not dependencies of this package: the logging examples run against
 * stand-ins (test/support/fake-packages/) that keep their calling conventions and output, in a
 * scratch directory whose node_modules holds them next to this package and express.
 */
import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { REPO_ROOT, TOMCAT_NODES, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'

/** The guides whose JavaScript blocks must each be an example file, included verbatim. */
const GUIDES = ['docs/guide/changing-requests.md', 'docs/guide/logging.md', 'docs/guide/migration-http-proxy-middleware.md']

interface Block {
  guide: string
  /** The file named by the `<!-- file: … -->` comment on the line before the block's fence, if any. */
  file: string | undefined
  code: string
}

function blocksOf(guide: string): Block[] {
  const lines = readFileSync(join(REPO_ROOT, guide), 'utf8').split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)/.exec(lines[i] as string)
    if (!open) continue
    let end = i + 1
    while (end < lines.length && lines[end] !== '```') end++
    if (['js', 'javascript', 'ts', 'typescript', 'mjs'].includes(open[1] as string)) {
      const marker = /^<!-- file: (\S+) -->$/.exec(lines[i - 1] ?? '')
      blocks.push({ guide, file: marker?.[1], code: lines.slice(i + 1, end).join('\n') })
    }
    i = end
  }
  return blocks
}

const BLOCKS = GUIDES.flatMap(blocksOf)

describe('the guides include their examples verbatim', () => {
  it('has blocks to check', () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(4)
  })

  it.each(BLOCKS.map((b, i) => [`${b.guide} block ${i + 1} (${b.file ?? 'no file'})`, b] as const))('%s', (_name, block) => {
    expect(block.file, 'each block names its example file on the line before it: <!-- file: examples/… -->').toBeDefined()
    const file = readFileSync(join(REPO_ROOT, block.file as string), 'utf8')
    expect(block.code).toBe(file.replace(/\n$/, ''))
  })
})

// ---------------------------------------------------------------------------------------------
// running them

let scratch: string

beforeAll(async () => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  await ensureTomcatNodes()
  scratch = mkdtempSync(join(tmpdir(), 'sb-guide-code-'))
  cpSync(join(REPO_ROOT, 'examples'), join(scratch, 'examples'), { recursive: true })
  const modules = join(scratch, 'node_modules')
  mkdirSync(modules)
  symlinkSync(REPO_ROOT, join(modules, 'sticky-balancer'), 'dir')
  symlinkSync(join(REPO_ROOT, 'node_modules', 'express'), join(modules, 'express'), 'dir')
  for (const name of ['pino', 'winston']) cpSync(join(REPO_ROOT, 'test', 'support', 'fake-packages', name), join(modules, name), { recursive: true })
})

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

interface Running {
  base: string
  output(): string
}

/** Runs `examples/<file>` from the scratch directory and waits for its `listening on` line. */
function run(file: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(process.execPath, [join(scratch, file)], { cwd: scratch, env: { ...process.env, NODE_DEBUG: '', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  onTestFinished(() => {
    child.kill('SIGTERM')
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), 15_000)
    const take = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+?)\/testapp/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve({ base: match[1], output: () => output })
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('exit', (code) => reject(new Error(`${file} exited with ${code}: ${output}`)))
  })
}

const httpMembers = (): string => TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(',')

async function deadUrl(): Promise<string> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

describe('examples/hooks/server.mjs', () => {
  it('adds the backend token and member, removes x-debug, rewrites the path and the response headers', async () => {
    const { base } = await run('examples/hooks/server.mjs', { MEMBERS: httpMembers(), BACKEND_TOKEN: 'token-from-env' })
    const res = await fetch(`${base}/testapp/api/v1/orders?page=2`, { headers: { 'x-debug': '1' } })
    const echo = (await res.json()) as TestappEchoJson
    expect(echo.requestURI).toBe('/testapp/echo/orders')
    expect(echo.queryString).toBe('page=2')
    expect(echo.headers.authorization).toEqual(['Bearer token-from-env'])
    expect(echo.headers['x-backend-member']).toEqual([echo.node])
    expect(echo.headers['x-debug']).toBeUndefined()
    expect(res.headers.get('x-node')).toBeNull()
    expect(res.headers.get('x-served-by')).toBe(echo.node)
  })
})

describe.each([
  ['examples/logging/pino.mjs', (output: string) => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'member exchange failed'), { level: 40, member: 'Dead', code: 'LB_ERR_UPSTREAM_CONNECT' }],
  ['examples/logging/winston.mjs', (output: string) => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'member exchange failed'), { level: 'warn', member: 'Dead', code: 'LB_ERR_UPSTREAM_CONNECT' }],
  ['examples/logging/console.mjs', (output: string) => /sticky-balancer: member exchange failed \{\s+member: 'Dead',\s+code: 'LB_ERR_UPSTREAM_CONNECT'/.exec(output) ? { found: true } : undefined, { found: true }],
])('%s', (file, find, expected) => {
  it('logs a member failure with its message and context', async () => {
    const app = await run(file, { MEMBERS: `Dead=${await deadUrl()},${TOMCAT_NODES[0]!.route}=${TOMCAT_NODES[0]!.httpUrl}` })
    let line: Record<string, unknown> | undefined
    for (let i = 0; i < 6 && line === undefined; i++) {
      expect((await fetch(`${app.base}/testapp/echo.jsp`)).status).toBe(200)
      for (let wait = 0; wait < 20 && line === undefined; wait++) {
        line = find(app.output())
        if (line === undefined) await new Promise((r) => setTimeout(r, 25))
      }
    }
    expect(line, app.output()).toMatchObject(expected)
  })
})
