/**
 * docs/guide/cluster.md and examples/cluster/server.mjs, as users start it: two node:cluster
 * workers sharing one port in front of the two Tomcat nodes. Nothing is shared between the
 * workers, and none needs to be: a session reaches its node whichever worker accepts its
 * connection. SIGTERM to the primary stops the workers and the process exits 0.
 * Needs dist/ (`npm test` builds it first).
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappIndexJson } from '../support/tomcat.js'

/** In this test's own port range: cluster workers share one fixed port (port 0 is not printed usefully). */
const PORT = 18_610

/** One request on a connection of its own, so the primary hands each to the next worker. */
function get(path: string, cookie?: string): Promise<{ body: TestappIndexJson; setCookie: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: PORT, path, agent: false, headers: cookie ? { cookie } : {} }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        try {
          resolve({ body: JSON.parse(text) as TestappIndexJson, setCookie: res.headers['set-cookie']?.[0]?.split(';')[0] })
        } catch (err) {
          reject(new Error(`not JSON (${res.statusCode}): ${text.slice(0, 200)}`, { cause: err }))
        }
      })
    })
    req.on('error', reject)
  })
}

describe('examples/cluster (docs/guide/cluster.md)', () => {
  it('keeps each session on its node whichever worker takes the connection; SIGTERM stops every worker and exits 0', async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
    const members = TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(',')
    const child = spawn(process.execPath, [join(REPO_ROOT, 'examples', 'cluster', 'server.mjs')], {
      env: { ...process.env, PORT: String(PORT), WORKERS: '2', MEMBERS: members },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    onTestFinished(() => {
      child.kill('SIGKILL')
    })
    let output = ''
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the cluster did not start: ${output}`)), 20_000)
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (/listening on http:\/\/127\.0\.0\.1:\d+\/testapp\/index\.jsp \(2 workers\)/.test(output)) {
          clearTimeout(timer)
          resolve()
        }
      })
      void exited.then((code) => reject(new Error(`the cluster exited with ${code}: ${output}`)))
    })

    // New sessions, each on a new connection: spread over both nodes.
    const sessions: { cookie: string; node: string }[] = []
    for (let i = 0; i < 6; i++) {
      const { body, setCookie } = await get('/testapp/index.jsp?format=json')
      expect(setCookie, output).toMatch(/^JSESSIONID=.+\.Tomcat[AB]$/)
      sessions.push({ cookie: setCookie as string, node: body.node })
    }
    expect(new Set(sessions.map((s) => s.node))).toEqual(new Set(TOMCAT_NODES.map((n) => n.route)))
    // Every follow-up, each on a new connection (so on both workers in turn), reaches the session's node.
    for (const { cookie, node } of sessions) {
      for (let i = 0; i < 4; i++) {
        const { body } = await get('/testapp/index.jsp?format=json', cookie)
        expect(body).toMatchObject({ node, isNew: false })
      }
    }

    child.kill('SIGTERM')
    const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))])
    expect(code, output).toBe(0)
    await expect(get('/testapp/index.jsp?format=json')).rejects.toThrow(/ECONNREFUSED/)
  }, 90_000)
})
