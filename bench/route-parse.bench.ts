/**
 * Cost of session-route parsing and of one scheduler pick.
 *
 *   npx tsx bench/route-parse.bench.ts
 *
 * Prints ns per operation (median of 7 rounds) and bytes allocated per operation. Absolute numbers
 * depend on the machine; compare rows taken in the same run. `npm run bench:route` runs it with a
 * young generation large enough that no scavenge falls inside the allocation measurement.
 */
import type { IncomingMessage } from 'node:http'
import { Member } from '../lib/members/member.js'
import { createByRequests } from '../lib/schedulers/by-requests.js'
import { createConsistentHash } from '../lib/schedulers/consistent-hash.js'
import { createIpHash } from '../lib/schedulers/ip-hash.js'
import type { Scheduler } from '../lib/schedulers/scheduler.js'
import { parseSessionRoutes } from '../lib/session/session-route.js'
import { resolveSticky } from '../lib/session/sticky-resolver.js'
import { resolveStickyOptions } from '../lib/session/sticky-options.js'
import { bytesPerCall, nsPerCall, sinkCount } from './lib/micro.js'

function bench(name: string, iterations: number, fn: (i: number) => unknown): { name: string; ns: number; bytes: number } {
  return { name, ns: nsPerCall(fn, iterations), bytes: bytesPerCall(fn, Math.min(iterations, 20_000)) }
}

const hex = '8F3A06C2D1E4B5A6978812345ABCDEF0'
const sticky = resolveStickyOptions()
const typical = { url: '/shop/cart', cookieHeader: `JSESSIONID=${hex}.TomcatA; other=1` }
const inPath = { url: `/shop/cart;jsessionid=${hex}.TomcatA?item=42`, cookieHeader: 'theme=dark; lang=en' }
const noSession = { url: '/static/app.css', cookieHeader: 'theme=dark; lang=en' }
const pairs: string[] = []
for (let i = 0, size = 0; size < 16 * 1024; i++) {
  const p = i % 3 === 0 ? `JSESSIONI${i}=v` : i % 3 === 1 ? 'JSESSIONID ' : `k${i}=JSESSIONID`
  pairs.push(p)
  size += p.length + 2
}
const hostile = { url: '/' + ';jsessionid'.repeat(745), cookieHeader: pairs.join('; ') }

const rows: { name: string; ns: number; bytes: number }[] = []
rows.push(bench('parse: typical cookie', 1_000_000, () => parseSessionRoutes(typical, sticky)))
rows.push(bench('parse: ;jsessionid= in path', 1_000_000, () => parseSessionRoutes(inPath, sticky)))
rows.push(bench('parse: no session', 1_000_000, () => parseSessionRoutes(noSession, sticky)))
rows.push(bench(`parse: hostile (${(hostile.cookieHeader.length / 1024).toFixed(0)} KiB cookie, ${(hostile.url.length / 1024).toFixed(0)} KiB path)`, 500, () => parseSessionRoutes(hostile, sticky)))

function members(n: number): Member[] {
  return Array.from({ length: n }, (_, i) => new Member({ url: new URL(`http://10.0.0.${i + 1}:8080`), route: `Tomcat${i}`, weight: 1 + (i % 3), admin: 'active' }))
}

for (const n of [2, 16]) {
  const all = members(n)
  const routes = ['Tomcat1']
  rows.push(bench(`resolve sticky route, ${n} members`, 1_000_000, () => resolveSticky(routes, all, { now: 0 })))
}

const requests: IncomingMessage[] = Array.from({ length: 1024 }, (_, i) => ({
  socket: { remoteAddress: `${(i * 7) % 223 + 1}.${(i * 13) % 256}.${i % 256}.9` },
  headers: { 'x-user': `user-${i}` },
  url: `/api/items/${i}`,
})) as unknown as IncomingMessage[]

const schedulers: [string, () => Scheduler][] = [
  ['byrequests', () => createByRequests()],
  ['ip_hash', () => createIpHash()],
  ['consistent hash (header)', () => createConsistentHash({ key: 'header:x-user' })],
  ['consistent hash, bounded 1.25', () => createConsistentHash({ key: 'header:x-user', balanceFactor: 1.25 })],
]
for (const [name, create] of schedulers) {
  for (const n of [2, 16]) {
    const all = members(n)
    const scheduler = create()
    rows.push(bench(`pick: ${name}, ${n} members`, 1_000_000, (i) => scheduler.pick(all, { req: requests[i & 1023] }, all)))
  }
}

// The balancer's whole pick path, as it composes these parts: parse the routes, resolve them,
// and (for a request without a session) ask the scheduler.
for (const n of [2, 16]) {
  const all = members(n)
  const scheduler = createByRequests()
  const choose = (input: typeof typical, i: number) => {
    const routes = parseSessionRoutes(input, sticky).map((r) => r.route)
    const verdict = resolveSticky(routes, all, { now: 0 })
    return verdict.kind === 'member' ? verdict.member : scheduler.pick(all, { req: requests[i & 1023] }, all)
  }
  const stickyInput = { url: '/shop/cart', cookieHeader: `JSESSIONID=${hex}.Tomcat1; other=1` }
  rows.push(bench(`pick path: sticky request, ${n} members`, 1_000_000, (i) => choose(stickyInput, i)))
  rows.push(bench(`pick path: new request, ${n} members`, 1_000_000, (i) => choose(noSession, i)))
}

const width = Math.max(...rows.map((r) => r.name.length))
console.log(`${'operation'.padEnd(width)}   ns/op  bytes/op`)
console.log(`${'-'.repeat(width)}  ------  --------`)
for (const r of rows) {
  const bytes = Number.isNaN(r.bytes) ? 'n/a' : r.bytes.toFixed(0)
  console.log(`${r.name.padEnd(width)}  ${r.ns.toFixed(r.ns < 100 ? 1 : 0).padStart(6)}  ${bytes.padStart(8)}`)
}
console.log(`\nnode ${process.version}, ${sinkCount() > 0 ? 'ok' : ''}`)
