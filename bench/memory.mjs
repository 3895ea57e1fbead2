#!/usr/bin/env node
// Memory under large bodies: 1 GiB download and 1 GiB upload through the balancer (bare node:http)
// with one AJP member, then with one HTTP member, sampling the balancer's RSS every 50 ms. A
// streaming proxy keeps RSS flat; buffering shows up as growth of the order of the body.
//
//   node bench/memory.mjs [--bytes 1073741824] [--slow-bytes 134217728] [--dist DIR] [--limit 64]
//                         [--members ajp,http] [--transfers 0]
//
// --members: ajp, http (the default http-proxy-3 transport), http-node, http-undici (the
// http.transport 'node' and 'undici' paths). --transfers N adds two cases per member: N 1 MiB
// downloads and N 1 MiB uploads, 8 at a time on keep-alive connections (the steady state of a
// busy site, where a leak per exchange would show).
//
// Cases per member protocol: download (big.jsp?bytes=N, read as fast as possible), slow download
// (the client reads at ~64 MiB/s, so the balancer must hold Tomcat back), upload (a generated
// stream POSTed to echo.jsp, which reads and hashes it). Exit code 1 when a case fails or grows
// RSS by more than --limit MiB.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { Readable } from 'node:stream'
import { parseArgs } from 'node:util'
import { rssMiB } from './lib/proc.mjs'
import { BENCH_DIR, NODES, REPO, TARGETS, nodesSh, startTarget } from './lib/targets.mjs'

const { values: opts } = parseArgs({
  options: {
    bytes: { type: 'string', default: String(2 ** 30) },
    'slow-bytes': { type: 'string', default: String(2 ** 27) },
    limit: { type: 'string', default: '64' },
    dist: { type: 'string' },
    'keep-tomcat': { type: 'boolean', default: false },
    members: { type: 'string', default: 'ajp,http' },
    transfers: { type: 'string', default: '0' },
  },
})
const TRANSFERS = Number(opts.transfers)
const MEMBER_PORTS = { ajp: 8291, http: 8292, 'http-node': 8293, 'http-undici': 8294 }
const BYTES = Number(opts.bytes)
const SLOW_BYTES = Number(opts['slow-bytes'])
const LIMIT = Number(opts.limit)
const MiB = 2 ** 20

const nodeArgs = []
if (opts.dist) {
  process.env.BENCH_DIST = path.resolve(opts.dist)
  nodeArgs.push('--import', path.join(BENCH_DIR, 'lib', 'dist-hook.mjs'))
}

/** The pattern of big.jsp and 1m.bin: byte i = i % 251. */
function patternStream(total) {
  const block = Buffer.alloc(251 * 256)
  for (let i = 0; i < block.length; i++) block[i] = i % 251
  let sent = 0
  return new Readable({
    read() {
      if (sent >= total) return this.push(null)
      const n = Math.min(block.length, total - sent)
      sent += n
      this.push(n === block.length ? block : block.subarray(0, n))
    },
  })
}

function sampler(pid) {
  let max = 0
  const samples = []
  const tick = () => {
    const rss = rssMiB([pid])
    max = Math.max(max, rss)
    samples.push(rss)
  }
  const timer = setInterval(tick, 50)
  return { stop: () => { clearInterval(timer); tick(); return { max, samples: samples.length } } }
}

function download(port, bytes, mibPerSecond) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    http.get({ host: '127.0.0.1', port, path: `/testapp/big.jsp?bytes=${bytes}`, agent: false }, (res) => {
      let received = 0
      res.on('data', (chunk) => {
        received += chunk.length
        if (mibPerSecond) {
          // Read no faster than mibPerSecond: pause until the schedule catches up.
          const due = started + (received / MiB / mibPerSecond) * 1000
          const wait = due - Date.now()
          if (wait > 5) {
            res.pause()
            setTimeout(() => res.resume(), wait)
          }
        }
      })
      res.on('end', () => resolve({ status: res.statusCode, bytes: received, seconds: (Date.now() - started) / 1000 }))
      res.on('error', reject)
    }).on('error', reject)
  })
}

/** `count` 1 MiB transfers (`kind` download or upload), `parallel` at a time on keep-alive connections. */
async function many(port, kind, count, parallel = 8) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel })
  const started = Date.now()
  let next = 0
  let done = 0
  let bad = 0
  const one = () => new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port, agent, method: kind === 'upload' ? 'POST' : 'GET',
      path: kind === 'upload' ? '/testapp/echo.jsp' : `/testapp/big.jsp?bytes=${MiB}`,
      headers: kind === 'upload' ? { 'content-type': 'application/octet-stream', 'content-length': String(MiB) } : {},
    }, (res) => {
      let received = 0
      res.on('data', (c) => { received += c.length })
      res.on('end', () => {
        if (res.statusCode !== 200 || (kind === 'download' && received !== MiB)) bad++
        resolve()
      })
      res.on('error', () => { bad++; resolve() })
    })
    req.on('error', () => { bad++; resolve() })
    req.end(kind === 'upload' ? UPLOAD_BODY : undefined)
  })
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      next++
      await one()
      done++
    }
  }))
  agent.destroy()
  return { status: bad === 0 ? 200 : 502, bytes: done - bad, seconds: (Date.now() - started) / 1000, megabytes: done }
}
const UPLOAD_BODY = Buffer.alloc(MiB, 7)

function upload(port, bytes) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/testapp/echo.jsp', agent: false,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes) },
    }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        let bodyLength = -1
        try {
          bodyLength = JSON.parse(Buffer.concat(chunks).toString('utf8')).bodyLength
        } catch {
          // not JSON: reported as -1
        }
        resolve({ status: res.statusCode, bytes: bodyLength, seconds: (Date.now() - started) / 1000 })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    patternStream(bytes).pipe(req)
  })
}

nodesSh('start')
const base = TARGETS.find((t) => t.name === 'ours-bare-http')
const rows = []
let failed = false
for (const proto of opts.members.split(',')) {
  const node = NODES[0]
  const target = { ...base, name: `memory-${proto}`, port: MEMBER_PORTS[proto], args: ['ours-bare', proto] }
  // One member only, so every byte goes through the same member.
  const proc = await startTarget(target, { nodeArgs, extraArgs: [`${node.name}=127.0.0.1:${proto === 'ajp' ? node.ajp : node.http}`] })
  try {
    await download(target.port, MiB) // warm up both directions
    await upload(target.port, MiB)
    await new Promise((r) => setTimeout(r, 500))
    const start = rssMiB([proc.pid])
    const cases = [
      ['download', () => download(target.port, BYTES), BYTES],
      ['slow download (64 MiB/s)', () => download(target.port, SLOW_BYTES, 64), SLOW_BYTES],
      ['upload', () => upload(target.port, BYTES), BYTES],
      ...(TRANSFERS > 0 ? [
        [`${TRANSFERS} × 1 MiB downloads`, () => many(target.port, 'download', TRANSFERS), TRANSFERS],
        [`${TRANSFERS} × 1 MiB uploads`, () => many(target.port, 'upload', TRANSFERS), TRANSFERS],
      ] : []),
    ]
    for (const [name, run, expected] of cases) {
      global.gc?.()
      const before = rssMiB([proc.pid])
      const s = sampler(proc.pid)
      let result
      try {
        result = await run()
      } catch (err) {
        result = { status: 0, bytes: -1, seconds: 0, error: err.message }
      }
      const { max } = s.stop()
      const growth = max - start // against the RSS after warm-up, not after the previous case
      const ok = result.status === 200 && result.bytes === expected && growth < LIMIT
      if (!ok) failed = true
      rows.push({
        member: proto, case: name, bytes: expected, status: result.status, transferred: result.bytes, megabytes: result.megabytes, seconds: result.seconds,
        rssStart: start, rssBefore: before, rssMax: max, growth, ok, error: result.error,
      })
      console.log(`${proto} ${name}: ${result.status} ${result.bytes} bytes in ${result.seconds.toFixed(1)} s, RSS after warm-up ${start.toFixed(1)}, before ${before.toFixed(1)}, max ${max.toFixed(1)} MiB (+${growth.toFixed(1)})${ok ? '' : '  FAILED'}`)
    }
  } finally {
    await proc.stop()
  }
}
if (!opts['keep-tomcat']) nodesSh('stop')

const lines = [
  `# Memory under large bodies — ${new Date().toISOString().slice(0, 10)}`, '',
  `Balancer in a bare node:http server (${process.version}), one member, RSS of its process sampled every 50 ms. Growth = largest RSS during the case − RSS after warm-up (1 MiB each way). Target: growth < ${LIMIT} MiB.`, '',
  '| member | case | bytes | status | MiB/s | RSS after warm-up MiB | RSS before the case MiB | RSS max MiB | growth MiB | ok |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map((r) => `| ${r.member} | ${r.case} | ${r.bytes} | ${r.status} | ${r.seconds ? ((r.megabytes ?? r.transferred / MiB) / r.seconds).toFixed(0) : '—'} | ${r.rssStart.toFixed(1)} | ${r.rssBefore.toFixed(1)} | ${r.rssMax.toFixed(1)} | ${r.growth.toFixed(1)} | ${r.ok ? 'yes' : `**no**${r.error ? ` (${r.error})` : ''}`} |`),
]
// Named after the measured build: the commit in <dist>/.source, else HEAD.
const source = opts.dist && existsSync(path.join(opts.dist, '.source')) ? readFileSync(path.join(opts.dist, '.source'), 'utf8') : ''
const sha = /^[0-9a-f]{7,40}\b/.exec(source)?.[0] ?? spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim()
lines[0] += ` — ${sha}`
const out = path.join(BENCH_DIR, 'results', `${new Date().toISOString().slice(0, 10)}-${sha}-memory.md`)
mkdirSync(path.dirname(out), { recursive: true })
writeFileSync(out, lines.join('\n') + '\n')
console.log(`\n${lines.join('\n')}\n\nwritten to ${path.relative(REPO, out)}`)
process.exit(failed ? 1 : 0)
