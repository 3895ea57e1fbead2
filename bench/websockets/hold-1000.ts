/**
 * 1,000 concurrent WebSocket connections through the balancer, held open for 30 s, then closed:
 * the balancer process (a child running the built package) must end with no leaked sockets and
 * its RSS back near the baseline.
 *
 *   npm run build && node --import tsx bench/websockets/hold-1000.ts [connections] [holdSeconds]
 *
 * Two in-process WebSocket echo members; the clients are the test suite's RFC 6455 client. Prints
 * the balancer's RSS and open file descriptors at each step; exits 1 on a leak.
 */
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { openWs } from '../../test/upgrade/support/ws-client.js'
import type { WsClient } from '../../test/upgrade/support/ws-client.js'
import { startWsUpstream } from '../../test/upgrade/support/ws-upstream.js'

const connections = Number(process.argv[2] ?? 1000)
const holdSeconds = Number(process.argv[3] ?? 30)
const root = join(import.meta.dirname, '..', '..')

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:')) ?? ''
  return Number(line.replace(/\D+/g, '')) / 1024
}
const [a, b] = await Promise.all([startWsUpstream('A'), startWsUpstream('B')])
const child = spawn(process.execPath, ['--input-type=module', '-e', `
  import http from 'node:http'
  import { createBalancer } from ${JSON.stringify(join(root, 'dist', 'index.js'))}
  const balancer = createBalancer({ members: [{ url: ${JSON.stringify(a.url)}, route: 'A' }, { url: ${JSON.stringify(b.url)}, route: 'B' }], logger: false })
  const server = http.createServer((req, res) => balancer.handle(req, res))
  balancer.attachUpgrades(server)
  server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
  setInterval(() => { const u = balancer.upgrades?.() ?? {}; console.log('upgrades ' + JSON.stringify(u)) }, 5000).unref()
`], { stdio: ['ignore', 'pipe', 'inherit'] })
const port = await new Promise<number>((resolve) => child.stdout.on('data', (d: Buffer) => {
  const m = /port (\d+)/.exec(d.toString())
  if (m) resolve(Number(m[1]))
}))
const pid = child.pid as number
const base = `http://127.0.0.1:${port}`
const rows: string[] = []
const sample = (step: string): void => {
  const fds = readdirSync(`/proc/${pid}/fd`).length
  rows.push(`| ${step} | ${rssMiB(pid).toFixed(1)} | ${fds} |`)
}

// warm-up: a few connections opened and closed
for (let i = 0; i < 20; i++) await (await openWs(`${base}/echo`)).close()
await new Promise((r) => setTimeout(r, 500))
sample('baseline (after 20 warm-up connections)')
const baselineRss = rssMiB(pid)
const baselineFds = readdirSync(`/proc/${pid}/fd`).length

const clients: WsClient[] = []
const started = Date.now()
for (let i = 0; i < connections; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, connections - i) }, (_, k) => openWs(`${base}/echo`, { headers: { cookie: `JSESSIONID=x${i + k}.${(i + k) % 2 ? 'A' : 'B'}` } })))
  clients.push(...batch)
}
sample(`${clients.length} open (${((Date.now() - started) / 1000).toFixed(1)} s to open)`)
let echoed = 0
await Promise.all(clients.map(async (c, i) => {
  c.sendText(`hello ${i}`)
  if ((await c.next(10_000)).data.toString() === `hello ${i}`) echoed++
}))
sample(`${echoed} echoed`)
for (let s = 0; s < holdSeconds; s += 10) {
  await new Promise((r) => setTimeout(r, Math.min(10, holdSeconds - s) * 1000))
  sample(`held ${Math.min(s + 10, holdSeconds)} s`)
}
await Promise.all(clients.map((c) => c.close()))
await new Promise((r) => setTimeout(r, 2_000))
sample('2 s after all closed')
const finalRss = rssMiB(pid)
const finalFds = readdirSync(`/proc/${pid}/fd`).length
child.kill('SIGTERM')
await Promise.all([a.close(), b.close()])

console.log(`\n${connections} WebSocket connections through the balancer, held ${holdSeconds} s (node ${process.version})\n`)
console.log('| step | balancer RSS MiB | balancer open fds |\n|---|---:|---:|')
for (const r of rows) console.log(r)
const leak = finalFds > baselineFds + 2
console.log(`\nechoed ${echoed}/${connections}; fds ${baselineFds} → ${finalFds}${leak ? ' (LEAK)' : ''}; RSS ${baselineRss.toFixed(1)} → ${finalRss.toFixed(1)} MiB`)
process.exit(leak || echoed !== connections ? 1 : 0)
