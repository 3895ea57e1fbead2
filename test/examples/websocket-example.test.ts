/**
 * examples/websocket, as users start it (`node examples/websocket/server.mjs`), in front of two
 * in-process WebSocket echo members: plain requests and upgrades through one server, echoed
 * messages, and a session cookie keeping the socket on its member. (The same flows against
 * Tomcat's own echo endpoints are in test/upgrade/websocket.tomcat.test.ts.)
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { openWs } from '../upgrade/support/ws-client.js'
import { startWsUpstream } from '../upgrade/support/ws-upstream.js'

const root = join(import.meta.dirname, '..', '..')

async function startExample(members: string): Promise<string> {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  const child = spawn(process.execPath, [join(root, 'examples', 'websocket', 'server.mjs')], {
    env: { ...process.env, PORT: '0', MEMBERS: members },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onTestFinished(() => {
    child.kill('SIGTERM')
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start: ${output}`)), 15_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[^/\s]+)\//.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => reject(new Error(`example exited with ${code}: ${output}`)))
  })
}

describe('examples/websocket', () => {
  it('echoes through the balancer and keeps a session\'s socket on its member', async () => {
    const [a, b] = await Promise.all([startWsUpstream('A'), startWsUpstream('B')])
    const base = await startExample(`A=${a.url},B=${b.url}`)
    const plain = await fetch(`${base}/x`)
    expect(plain.status).toBe(200)
    for (let i = 0; i < 3; i++) {
      const ws = await openWs(`${base.replace('http', 'ws')}/echo`, { headers: { cookie: 'JSESSIONID=abc.B' } })
      ws.sendText(`hello ${i}`)
      expect((await ws.next()).data.toString()).toBe(`hello ${i}`)
      await ws.close()
    }
    expect(b.seen.length).toBe(3)
    expect(a.seen.length).toBe(0)
  })
})
