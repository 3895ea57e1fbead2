/**
 * Cost of one scheduler pick, for every built-in scheduler at 2, 8 and 64 members.
 *
 *   npx tsx bench/pick.bench.ts
 *   node --expose-gc --max-semi-space-size=64 --import tsx bench/pick.bench.ts   # adds bytes/pick
 *
 * Prints ns per pick (median of 7 rounds) per member count, and bytes allocated per pick at 64
 * members (`n/a` without --expose-gc). Members carry mixed weights (1–3) and a few requests in
 * flight, and the load-aware schedulers have recorded exchanges, so every branch is exercised;
 * each pick's time moves 1 ms forward, so decaying schedulers run their maintenance too. Absolute
 * numbers depend on the machine; compare rows taken in the same run.
 */
import type { IncomingMessage } from 'node:http'
import { Member } from '../lib/members/member.js'
import { createByBusyness } from '../lib/schedulers/by-busyness.js'
import { createByRequests } from '../lib/schedulers/by-requests.js'
import { createByTraffic } from '../lib/schedulers/by-traffic.js'
import { createConsistentHash } from '../lib/schedulers/consistent-hash.js'
import { createIpHash } from '../lib/schedulers/ip-hash.js'
import { createLeastConn } from '../lib/schedulers/least-conn.js'
import { createPeakEwma } from '../lib/schedulers/peak-ewma.js'
import { createRandom } from '../lib/schedulers/random.js'
import type { PickContext, Scheduler } from '../lib/schedulers/scheduler.js'
import { createSeededRandom } from '../lib/schedulers/shared.js'
import { createWrr } from '../lib/schedulers/wrr.js'
import { bytesPerCall, nsPerCall, sinkCount } from './lib/micro.js'

const T0 = 1_700_000_000_000
const SIZES = [2, 8, 64] as const
const ITERATIONS = 500_000

function members(n: number): Member[] {
  return Array.from({ length: n }, (_, i) => {
    const m = new Member({ url: new URL(`http://10.0.${i >> 8}.${(i & 255) + 1}:8080`), route: `Tomcat${i}`, weight: 1 + (i % 3), admin: 'active' })
    m.counters.inFlight = (i * 7) % 4
    return m
  })
}

const contexts: PickContext[] = Array.from({ length: 1024 }, (_, i) => ({
  req: {
    socket: { remoteAddress: `${((i * 7) % 223) + 1}.${(i * 13) % 256}.${i % 256}.9` },
    headers: { 'x-user': `user-${i}` },
    url: `/api/items/${i}`,
  } as unknown as IncomingMessage,
  now: T0 + i,
}))

const schedulers: [string, () => Scheduler][] = [
  ['byrequests', () => createByRequests()],
  ['byrequests (decay 1 s)', () => createByRequests({ decayInterval: 1000 })],
  ['wrr', () => createWrr()],
  ['bytraffic', () => createByTraffic()],
  ['bybusyness', () => createByBusyness()],
  ['leastconn', () => createLeastConn()],
  ['random (two)', () => createRandom({ random: createSeededRandom(1) })],
  ['random (one draw)', () => createRandom({ draws: 1, random: createSeededRandom(1) })],
  ['peakewma', () => createPeakEwma({ random: createSeededRandom(1) })],
  ['ip_hash', () => createIpHash()],
  ['consistent hash (header)', () => createConsistentHash({ key: 'header:x-user' })],
]

const rows: { name: string; ns: number[]; bytes: number }[] = []
for (const [name, create] of schedulers) {
  const ns: number[] = []
  let bytes = Number.NaN
  for (const n of SIZES) {
    const all = members(n)
    const scheduler = create()
    all.forEach((m, i) => scheduler.record?.(m, { bytesIn: 10_000 * (1 + (i % 5)), bytesOut: 300, durationMs: 5 + (i % 11), now: T0 }))
    let tick = 0
    const pick = (i: number) => scheduler.pick(all, { req: contexts[i & 1023]!.req, now: T0 + tick++ }, all)
    const reusedCtx = (i: number) => scheduler.pick(all, contexts[i & 1023]!, all)
    ns.push(nsPerCall(pick, n === 64 ? ITERATIONS / 4 : ITERATIONS))
    if (n === 64) bytes = bytesPerCall(reusedCtx, 20_000)
  }
  rows.push({ name, ns, bytes })
}

const width = Math.max(...rows.map((r) => r.name.length))
const cols = SIZES.map((n) => `${n} members`.padStart(11))
console.log(`${'scheduler'.padEnd(width)}  ${cols.join('  ')}  bytes/pick@64`)
console.log(`${'-'.repeat(width)}  ${cols.map((c) => '-'.repeat(c.length)).join('  ')}  -------------`)
for (const r of rows) {
  const ns = r.ns.map((v) => `${v.toFixed(v < 100 ? 1 : 0)} ns`.padStart(11)).join('  ')
  const bytes = Number.isNaN(r.bytes) ? 'n/a' : r.bytes.toFixed(1)
  console.log(`${r.name.padEnd(width)}  ${ns}  ${bytes.padStart(13)}`)
}
console.log(`\nnode ${process.version}, ns per pick (median of 7 rounds)${sinkCount() > 0 ? '' : ' (no picks?)'}`)
