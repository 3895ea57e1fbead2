#!/usr/bin/env node
// Soak: steady load through a bare host to an HTTP and an AJP member (in-process fakes on
// 127.0.0.1:0), printing RSS, heap, open handles and upstream sockets every few seconds.
// Not part of `npm test`. Run:  node test/reliability/soak.mjs [seconds=60] [connections=32]
// Exits 1 when handles or heap grew beyond the slack at the end (after GC, between bursts).
import { register } from 'tsx/esm/api'

register()
const { startAjpMember, startHost, startHttpMember } = await import('./support/hosts.ts')
const { activeResources, collectGarbage, completed, pause, runLoad, totalResources } = await import('./support/load.ts')

const seconds = Number(process.argv[2] ?? process.env.SOAK_SECONDS ?? 60)
const connections = Number(process.argv[3] ?? 32)
const burstMs = 5_000

const a = await startHttpMember('A')
const b = await startAjpMember('B')
const host = await startHost('bare', { members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }], health: false })

const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`
const rows = []
const started = Date.now()
let total = { sent: 0, ok: 0, hung: 0, aborted: 0 }
console.log(`soak: ${seconds} s, ${connections} connections, bursts of ${burstMs / 1000} s`)
console.log('t(s)   sent     200   hung  aborted  rss        heap       handles  upstream')
while (Date.now() - started < seconds * 1000) {
  const tally = await runLoad({ url: host.url, durationMs: Math.min(burstMs, seconds * 1000 - (Date.now() - started)), connections, requestTimeoutMs: 5_000 })
  total = { sent: total.sent + tally.sent, ok: total.ok + (tally.statuses[200] ?? 0), hung: total.hung + tally.hung, aborted: total.aborted + tally.aborted }
  if (completed(tally) + tally.aborted + tally.hung !== tally.sent) console.log('  counts do not add up:', JSON.stringify(tally))
  await pause(200)
  collectGarbage()
  const mem = process.memoryUsage()
  const upstream = Object.values(host.balancer.sockets()).reduce((n, s) => n + s.open, 0)
  const row = { t: Math.round((Date.now() - started) / 1000), rss: mem.rss, heap: mem.heapUsed, handles: totalResources(), upstream }
  rows.push(row)
  console.log(`${String(row.t).padEnd(6)} ${String(total.sent).padEnd(8)} ${String(total.ok).padEnd(5)} ${String(total.hung).padEnd(5)} ${String(total.aborted).padEnd(8)} ${mb(row.rss).padEnd(10)} ${mb(row.heap).padEnd(10)} ${String(row.handles).padEnd(8)} ${row.upstream}`)
}
await host.close()
await a.close()
await b.close()
await pause(200)
const base = rows[Math.min(1, rows.length - 1)]
const last = rows.at(-1)
const problems = []
if (total.hung > 0) problems.push(`${total.hung} hung requests`)
if (total.ok !== total.sent) problems.push(`${total.sent - total.ok} requests without a 200`)
if (last.handles > base.handles + 8) problems.push(`handles grew ${base.handles} → ${last.handles}`)
if (last.heap > base.heap + 32 * 1024 * 1024) problems.push(`heap grew ${mb(base.heap)} → ${mb(last.heap)}`)
console.log(`after close: handles ${totalResources()} ${JSON.stringify(activeResources())}`)
console.log(problems.length === 0 ? 'soak: OK' : `soak: FAILED: ${problems.join('; ')}`)
process.exit(problems.length === 0 ? 0 : 1)
