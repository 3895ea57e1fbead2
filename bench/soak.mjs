#!/usr/bin/env node
// Soak: steady mixed load for N minutes through the balancer to two real Tomcat nodes, over HTTP
// and over AJP, watching the balancer's process for leaks. Not part of `npm test`.
//
//   npm run bench:soak                       # 10 minutes, 24 connections
//   node bench/soak.mjs --minutes 2 --connections 16
//   node bench/soak.mjs --seconds 60 --host express --dist .run/soak-build/dist
//
// What runs: Tomcat nodes SoakA (HTTP 8330, AJP 8430) and SoakB (8331/8431) from tomcat-testapp
// (in .run/bench-tomcat/), and bench/soak-server.mjs in a process of its own: two balancers in
// `--host` servers (bare node:http by default), one with the nodes' HTTP connectors as members, one
// with their AJP connectors. Half of the client connections use each. Every connection is a
// keep-alive connection that sends, one after the other: static files, JSP pages in its session
// (checked to come from the session's node, in the same session), new sessions, 64 KiB uploads
// (checked by SHA-256) and 256 KiB downloads (checked byte by byte); one request in 20 asks for
// `Connection: close`, so client connections come and go too.
//
// Every `--interval` seconds the balancer process reports, after a full GC: RSS, heap used, open
// handles by kind, open file descriptors, client connections, upstream sockets (open/idle) and
// requests in flight. At the end the load stops, the process is sampled idle, then its balancers
// are closed and it is sampled again.
//
// Verdict (exit code 1 when not stable): no failed request; RSS grew less than --rss-limit MiB
// (64) and heap less than --heap-limit MiB (32) after the warm-up (--warmup s, default a fifth of
// the run, at most 60); once idle, handles and file descriptors are back to the baseline taken
// before the load, apart from the upstream sockets the pools keep (and none at all once closed).
//
// The report goes to bench/results/<date>-<commit>-soak.md (runs of 10 minutes or more) or
// bench/results/tmp/ (shorter ones), or --out DIR. By default the sources in lib/ are measured
// (through tsx); --dist DIR measures a build instead (e.g. of a clean checkout of one commit).
import { spawn, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url))
const REPO = path.dirname(BENCH_DIR)
const RUN_DIR = path.join(REPO, '.run', 'bench-tomcat')
const SECRET = process.env.TOMCAT_AJP_SECRET ?? 'sticky-balancer-dev-secret'
const NODES = [
  { route: 'SoakA', http: 8330, ajp: 8430 },
  { route: 'SoakB', http: 8331, ajp: 8431 },
]
const MiB = 2 ** 20

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '24' },
    interval: { type: 'string', default: '5' },
    warmup: { type: 'string' },
    host: { type: 'string', default: 'bare' },
    dist: { type: 'string' },
    out: { type: 'string' },
    'rss-limit': { type: 'string', default: '64' },
    'heap-limit': { type: 'string', default: '32' },
    'keep-tomcat': { type: 'boolean', default: false },
  },
})
const DURATION_S = opts.seconds !== undefined ? Number(opts.seconds) : Number(opts.minutes) * 60
const CONNECTIONS = Number(opts.connections)
const INTERVAL_S = Number(opts.interval)
const WARMUP_S = opts.warmup !== undefined ? Number(opts.warmup) : Math.min(60, Math.round(DURATION_S / 5))
const RSS_LIMIT = Number(opts['rss-limit'])
const HEAP_LIMIT = Number(opts['heap-limit'])
if (!(DURATION_S > 0 && CONNECTIONS >= 2 && INTERVAL_S > 0 && ['bare', 'express', 'koa'].includes(opts.host))) {
  console.error('usage: node bench/soak.mjs [--minutes 10 | --seconds S] [--connections 24] [--interval 5] [--warmup S] [--host bare|express|koa] [--dist DIR] [--out DIR]')
  process.exit(2)
}

// ---------------------------------------------------------------------------- Tomcat

const tomcatEnv = {
  ...process.env,
  TOMCAT_RUN_DIR: RUN_DIR,
  TOMCAT_AJP_SECRET: SECRET,
  // ~5 % of the requests create a session, each kept 30 minutes
  TOMCAT_JAVA_OPTS: '-Xms256m -Xmx1g -Xss512k -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true',
}
const specs = NODES.map((n) => `${n.route}:${n.http}:${n.ajp}`)

function nodesSh(...args) {
  const r = spawnSync('bash', [path.join(REPO, 'tomcat-testapp', 'bin', 'nodes.sh'), ...args], { env: tomcatEnv, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`nodes.sh ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`)
  return r.stdout
}

function tomcatRssMiB(route) {
  try {
    const pid = readFileSync(path.join(RUN_DIR, route, 'tomcat.pid'), 'utf8').trim()
    const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    return kb / 1024
  } catch {
    return 0
  }
}

// ---------------------------------------------------------------------------- the process under test

function startServer() {
  const config = { nodes: NODES, host: opts.host, secret: SECRET, dist: opts.dist }
  const args = ['--expose-gc', ...(opts.dist ? [] : ['--import', 'tsx']), path.join(BENCH_DIR, 'soak-server.mjs'), JSON.stringify(config)]
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiters = []
  child.on('message', (msg) => waiters.shift()?.(msg))
  const next = () => new Promise((resolve) => waiters.push(resolve))
  const ask = (type) => {
    const reply = next()
    child.send({ type })
    return reply
  }
  return { child, ready: next(), sample: () => ask('sample'), close: () => ask('close') }
}

// ---------------------------------------------------------------------------- load

const UPLOAD = randomBytes(64 * 1024)
const UPLOAD_SHA = createHash('sha256').update(UPLOAD).digest('hex')
const DOWNLOAD = Buffer.alloc(256 * 1024)
for (let i = 0; i < DOWNLOAD.length; i++) DOWNLOAD[i] = i % 251
const MIX = [['static', 30], ['sticky', 35], ['new', 5], ['upload', 15], ['download', 15]]
const MIX_TOTAL = MIX.reduce((a, [, w]) => a + w, 0)

function pickKind() {
  let r = Math.random() * MIX_TOTAL
  for (const [kind, weight] of MIX) if ((r -= weight) < 0) return kind
  return 'static'
}

const stats = {
  sent: 0,
  ok: 0,
  byKind: {},
  failures: {},
  failureExamples: [],
  closes: 0,
  intervalOk: 0,
  latencies: [],
}

function fail(kind, reason) {
  const key = `${kind}: ${reason}`
  stats.failures[key] = (stats.failures[key] ?? 0) + 1
  if (stats.failureExamples.length < 10) stats.failureExamples.push(`${new Date().toISOString()} ${key}`)
}

let staticBody

function request(agent, port, kind, cookie, close) {
  const started = performance.now()
  return new Promise((resolve) => {
    const headers = {}
    if (cookie && kind === 'sticky') headers.cookie = `JSESSIONID=${cookie.id}`
    if (close) headers.connection = 'close'
    const pathFor = { static: '/testapp/static.txt', sticky: '/testapp/index.jsp?format=json', new: '/testapp/index.jsp?format=json', upload: '/testapp/echo.jsp', download: `/testapp/big.jsp?bytes=${DOWNLOAD.length}` }
    if (kind === 'upload') headers['content-length'] = UPLOAD.length
    let done = false
    const finish = (result) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ ...result, ms: performance.now() - started })
    }
    const req = http.request({ host: '127.0.0.1', port, path: pathFor[kind], method: kind === 'upload' ? 'POST' : 'GET', agent, headers })
    const timer = setTimeout(() => {
      finish({ error: 'no answer within 30 s' })
      req.destroy()
    }, 30_000)
    req.on('error', (err) => finish({ error: err.code ?? err.message }))
    req.on('response', (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('error', () => {})
      res.on('close', () => (res.complete ? finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }) : finish({ error: 'response cut off' })))
    })
    req.end(kind === 'upload' ? UPLOAD : undefined)
  })
}

/** What is wrong with a response, or undefined. Updates the connection's session. */
function judge(kind, r, state) {
  if (r.error) return r.error
  if (r.status !== 200) return `status ${r.status}`
  switch (kind) {
    case 'static':
      staticBody ??= r.body
      return r.body.equals(staticBody) ? undefined : `static body of ${r.body.length} bytes differs`
    case 'sticky':
    case 'new': {
      const page = JSON.parse(r.body.toString())
      if (kind === 'sticky' && state.session) {
        if (page.node !== state.session.route) return `session of ${state.session.route} answered by ${page.node}`
        if (page.sessionId !== state.session.id) return 'session lost'
      }
      if (!page.sessionId.endsWith(`.${page.node}`)) return `session id ${page.sessionId} without the route of ${page.node}`
      state.session = { id: page.sessionId, route: page.node }
      return undefined
    }
    case 'upload': {
      const echo = JSON.parse(r.body.toString())
      return echo.bodySha256 === UPLOAD_SHA ? undefined : `upload arrived as ${echo.bodyLength} bytes`
    }
    case 'download':
      return r.body.equals(DOWNLOAD) ? undefined : `download of ${r.body.length} bytes differs`
  }
  return undefined
}

async function connectionLoop(port, until) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const state = { session: undefined }
  while (!until()) {
    let kind = pickKind()
    if (kind === 'sticky' && !state.session) kind = 'new'
    const close = Math.random() < 0.05
    stats.sent++
    if (close) stats.closes++
    const r = await request(agent, port, kind, state.session, close)
    const problem = judge(kind, r, state)
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1
    if (problem) fail(kind, problem)
    else {
      stats.ok++
      stats.intervalOk++
      stats.latencies.push(r.ms)
    }
  }
  agent.destroy()
}

// ---------------------------------------------------------------------------- run

const mb = (n) => n / MiB
const fmt = (n, d = 1) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(d))
const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))])
const sum = (o, f) => Object.values(o).reduce((a, x) => a + f(x), 0)

function upstream(sample) {
  let open = 0
  let idle = 0
  let inFlight = 0
  let clients = 0
  for (const b of Object.values(sample.balancers)) {
    clients += b.clients
    open += sum(b.members, (m) => m.open)
    idle += sum(b.members, (m) => m.idle)
    inFlight += sum(b.members, (m) => m.inFlight)
  }
  return { open, idle, inFlight, clients }
}

function gitInfo() {
  const run = (...args) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout.trim()
  const commit = run('rev-parse', '--short', 'HEAD')
  const dirty = run('status', '--porcelain', '--', 'lib', 'adapters').split('\n').filter(Boolean).map((l) => l.slice(3))
  return { commit, dirty }
}

console.log(`soak: ${DURATION_S} s, ${CONNECTIONS} connections, ${opts.host} host, sample every ${INTERVAL_S} s, warm-up ${WARMUP_S} s`)
console.log(`starting Tomcat ${specs.join(' ')} in ${path.relative(REPO, RUN_DIR)}/`)
nodesSh('start', ...specs)
const server = startServer()
const ready = await server.ready
const git = gitInfo()
const baseline = await server.sample()
const tomcatBaseline = Object.fromEntries(NODES.map((n) => [n.route, tomcatRssMiB(n.route)]))
console.log(`balancer process ready (HTTP members on :${ready.ports.http}, AJP members on :${ready.ports.ajp}); baseline RSS ${fmt(mb(baseline.rss))} MiB, ${baseline.handleCount} handles, ${baseline.fds} fds`)

const startedAt = Date.now()
const endAt = startedAt + DURATION_S * 1000
const loads = []
let stopping = false
const until = () => stopping || Date.now() >= endAt
const loops = Array.from({ length: CONNECTIONS }, (_, i) => connectionLoop(i % 2 === 0 ? ready.ports.http : ready.ports.ajp, until))

const rows = []
console.log('    t   req/s     p50     p99  failed   rss MiB  heap MiB  handles  fds  clients  upstream open/idle  in flight  load')
let lastAt = startedAt
while (!until()) {
  await new Promise((r) => setTimeout(r, Math.min(INTERVAL_S * 1000, Math.max(0, endAt - Date.now()))))
  const now = Date.now()
  const s = await server.sample()
  const lat = stats.latencies.sort((a, b) => a - b)
  const u = upstream(s)
  const failed = Object.values(stats.failures).reduce((a, b) => a + b, 0)
  const row = {
    t: (now - startedAt) / 1000,
    rps: stats.intervalOk / ((now - lastAt) / 1000),
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    failed,
    rss: s.rss,
    heap: s.heapUsed,
    external: s.external,
    handles: s.handleCount,
    handleKinds: s.handles,
    fds: s.fds,
    ...u,
    load: os.loadavg()[0],
    tomcat: Object.fromEntries(NODES.map((n) => [n.route, tomcatRssMiB(n.route)])),
  }
  rows.push(row)
  loads.push(row.load)
  stats.intervalOk = 0
  stats.latencies = []
  lastAt = now
  console.log(`${fmt(row.t, 0).padStart(5)} ${fmt(row.rps, 0).padStart(7)} ${fmt(row.p50).padStart(7)} ${fmt(row.p99).padStart(7)} ${String(failed).padStart(7)} ${fmt(mb(row.rss)).padStart(9)} ${fmt(mb(row.heap)).padStart(9)} ${String(row.handles).padStart(8)} ${String(row.fds).padStart(4)} ${String(row.clients).padStart(8)} ${`${row.open}/${row.idle}`.padStart(19)} ${String(row.inFlight).padStart(10)} ${fmt(row.load, 2).padStart(5)}`)
}
stopping = true
await Promise.all(loops)
const loadSeconds = (Date.now() - startedAt) / 1000
await new Promise((r) => setTimeout(r, 2_000)) // let client connections finish closing
const idle = await server.sample()
const closed = await server.close()
server.child.kill('SIGTERM')
if (!opts['keep-tomcat']) nodesSh('stop', ...specs)

// ---------------------------------------------------------------------------- verdict and report

const afterWarmup = rows.filter((r) => r.t >= WARMUP_S)
const warm = afterWarmup[0] ?? rows.at(-1)
const last = rows.at(-1)
const maxOf = (list, f) => Math.max(...list.map(f))
const rssGrowth = mb(maxOf(afterWarmup, (r) => r.rss) - warm.rss)
const heapGrowth = mb(last.heap - warm.heap)
// least-squares slope of RSS over the samples after the warm-up, MiB per minute
const slope = (() => {
  const xs = afterWarmup.map((r) => r.t / 60)
  const ys = afterWarmup.map((r) => mb(r.rss))
  const n = xs.length
  if (n < 2) return NaN
  const mx = xs.reduce((a, b) => a + b, 0) / n
  const my = ys.reduce((a, b) => a + b, 0) / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my)
    den += (xs[i] - mx) ** 2
  }
  return num / den
})()
const idleUp = upstream(idle)
const closedUp = upstream(closed)
const failedTotal = Object.values(stats.failures).reduce((a, b) => a + b, 0)
// Idle: what the process holds beyond its baseline is the upstream sockets its pools keep. Sockets
// are counted by their file descriptors (an idle pooled socket is unref'd, so it is no active
// handle); the handles compared are the others (timers, servers, the IPC pipe…).
const otherHandles = (sample) => sample.handleCount - (sample.handles.TCPSocketWrap ?? 0)
const idleExtraHandles = otherHandles(idle) - otherHandles(baseline)
const idleExtraFds = idle.fds - idleUp.open - idleUp.clients - baseline.fds
const closedExtraHandles = closed.handleCount - baseline.handleCount
const closedExtraFds = closed.fds - baseline.fds
const problems = []
if (failedTotal > 0) problems.push(`${failedTotal} failed requests`)
if (!(rssGrowth < RSS_LIMIT)) problems.push(`RSS grew ${fmt(rssGrowth)} MiB after the warm-up (limit ${RSS_LIMIT})`)
if (!(heapGrowth < HEAP_LIMIT)) problems.push(`heap grew ${fmt(heapGrowth)} MiB after the warm-up (limit ${HEAP_LIMIT})`)
if (idleUp.inFlight !== 0 || idleUp.open !== idleUp.idle) problems.push(`idle: ${idleUp.inFlight} requests in flight, ${idleUp.open - idleUp.idle} upstream sockets busy`)
if (idleUp.clients !== 0) problems.push(`idle: ${idleUp.clients} client connections still open`)
if (idleExtraHandles > 2) problems.push(`idle: ${idleExtraHandles} handles other than sockets beyond the baseline`)
if (idleExtraFds > 2) problems.push(`idle: ${idleExtraFds} file descriptors beyond the baseline and the pooled sockets`)
if (closedUp.open !== 0) problems.push(`closed: ${closedUp.open} upstream sockets still open`)
if (closedExtraHandles > 2) problems.push(`closed: ${closedExtraHandles} handles beyond the baseline`)
if (closedExtraFds > 2) problems.push(`closed: ${closedExtraFds} file descriptors beyond the baseline`)
const stable = problems.length === 0

const date = new Date().toISOString().slice(0, 10)
const full = DURATION_S >= 600
const outDir = opts.out ? path.resolve(opts.out) : path.join(BENCH_DIR, 'results', full ? '' : 'tmp')
mkdirSync(outDir, { recursive: true })
const file = path.join(outDir, `${date}-${git.commit}-soak.md`)
const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU'
const sortedLoads = [...loads].sort((a, b) => a - b)
const kinds = (h) => Object.entries(h).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ')
const every = Math.max(1, Math.ceil(rows.length / 40))
const command = `node bench/soak.mjs ${process.argv.slice(2).join(' ')}`.trim()

const lines = []
lines.push(`# Soak ${date} — ${git.commit}`, '')
lines.push(`Command: \`${command}\``, '')
lines.push(`**Verdict: ${stable ? 'stable' : 'NOT stable'}.** ${stable ? `No failed request; RSS grew ${fmt(rssGrowth)} MiB and heap ${fmt(heapGrowth)} MiB after the warm-up; once idle and once closed, handles and file descriptors were back to the baseline.` : problems.join('; ') + '.'}`, '')
lines.push('## Setup', '')
lines.push(`- ${os.availableParallelism()} CPUs (${cpu}), ${fmt(os.totalmem() / 2 ** 30)} GiB memory, Linux ${os.release()}; Node ${ready.node}`)
lines.push(`- Load average (1 min) during the run: min ${fmt(sortedLoads[0], 2)}, median ${fmt(sortedLoads[Math.floor(sortedLoads.length / 2)], 2)}, max ${fmt(sortedLoads.at(-1), 2)}${sortedLoads.at(-1) > os.availableParallelism() ? ' — the machine was shared with other work' : ''}`)
lines.push(`- Measured: ${opts.dist ? `the build in \`${path.relative(REPO, path.resolve(opts.dist))}\`` : `the sources in lib/ at ${git.commit} (through tsx)`}${!opts.dist && git.dirty.length > 0 ? `, with ${git.dirty.length} file(s) under lib/ or adapters/ not yet committed: ${git.dirty.join(', ')}` : ''}`)
lines.push(`- Balancer process: bench/soak-server.mjs, ${opts.host} node:http host${opts.host === 'bare' ? '' : ` (${opts.host})`}, two balancers with default options: one with the HTTP connectors of SoakA (8330) and SoakB (8331) as members, one with their AJP connectors (8430, 8431); logger off, no health checks`)
lines.push(`- Tomcat 10.1 nodes of tomcat-testapp (maxThreads 200, maxKeepAliveRequests 100, so Tomcat closes each HTTP connection after 100 requests)`)
lines.push(`- Load: ${CONNECTIONS} keep-alive client connections (half to each balancer), each sending one request after the other: ${MIX.map(([k, w]) => `${k} ${Math.round((w / MIX_TOTAL) * 100)} %`).join(', ')} (static = static.txt; sticky = index.jsp in the connection's session, checked to come from the session's node in the same session; new = index.jsp without a session; upload = 64 KiB POST to echo.jsp, checked by SHA-256; download = 256 KiB of big.jsp, checked byte by byte); 5 % of the requests ask for \`Connection: close\``)
lines.push(`- Sampled every ${INTERVAL_S} s in the balancer process after a full GC; warm-up ${WARMUP_S} s`, '')
lines.push('## Load', '')
lines.push('| duration | requests | answered correctly | failed | req/s | client connection closes |', '|---:|---:|---:|---:|---:|---:|')
lines.push(`| ${fmt(loadSeconds, 0)} s | ${stats.sent} | ${stats.ok} | ${failedTotal} | ${fmt(stats.ok / loadSeconds, 0)} | ${stats.closes} |`, '')
lines.push(`By kind: ${kinds(stats.byKind)}.`, '')
if (failedTotal > 0) {
  lines.push('Failures:', '')
  for (const [k, n] of Object.entries(stats.failures)) lines.push(`- ${k}: ${n}`)
  lines.push('', 'First ones:', '')
  for (const e of stats.failureExamples) lines.push(`- ${e}`)
  lines.push('')
}
lines.push('## Figures', '')
lines.push(`Warm-up ends with the sample at ${fmt(warm.t, 0)} s. "Growth" is the largest value after the warm-up minus the value at its end (for heap: the last value minus it).`, '')
lines.push('| | before the load | end of warm-up | last sample | max after warm-up | growth |', '|---|---:|---:|---:|---:|---:|')
lines.push(`| RSS (MiB) | ${fmt(mb(baseline.rss))} | ${fmt(mb(warm.rss))} | ${fmt(mb(last.rss))} | ${fmt(mb(maxOf(afterWarmup, (r) => r.rss)))} | ${fmt(rssGrowth)} |`)
lines.push(`| heap used after GC (MiB) | ${fmt(mb(baseline.heapUsed))} | ${fmt(mb(warm.heap))} | ${fmt(mb(last.heap))} | ${fmt(mb(maxOf(afterWarmup, (r) => r.heap)))} | ${fmt(heapGrowth)} |`)
lines.push(`| external (MiB) | ${fmt(mb(baseline.external))} | ${fmt(mb(warm.external))} | ${fmt(mb(last.external))} | ${fmt(mb(maxOf(afterWarmup, (r) => r.external)))} | ${fmt(mb(maxOf(afterWarmup, (r) => r.external) - warm.external))} |`)
lines.push(`| handles | ${baseline.handleCount} | ${warm.handles} | ${last.handles} | ${maxOf(afterWarmup, (r) => r.handles)} | ${maxOf(afterWarmup, (r) => r.handles) - warm.handles} |`)
lines.push(`| file descriptors | ${baseline.fds} | ${warm.fds} | ${last.fds} | ${maxOf(afterWarmup, (r) => r.fds)} | ${maxOf(afterWarmup, (r) => r.fds) - warm.fds} |`)
lines.push(`| client connections | 0 | ${warm.clients} | ${last.clients} | ${maxOf(afterWarmup, (r) => r.clients)} | |`)
lines.push(`| upstream sockets open | 0 | ${warm.open} | ${last.open} | ${maxOf(afterWarmup, (r) => r.open)} | |`)
for (const n of NODES) lines.push(`| Tomcat ${n.route} RSS (MiB) | ${fmt(tomcatBaseline[n.route], 0)} | ${fmt(warm.tomcat[n.route], 0)} | ${fmt(last.tomcat[n.route], 0)} | ${fmt(maxOf(afterWarmup, (r) => r.tomcat[n.route]), 0)} | |`)
lines.push('', `RSS trend after the warm-up (least squares): ${fmt(slope, 2)} MiB per minute.`, '')
lines.push('## After the load', '')
lines.push('| | handles | file descriptors | client connections | upstream sockets open / idle | requests in flight |', '|---|---:|---:|---:|---:|---:|')
lines.push(`| before the load | ${baseline.handleCount} (${kinds(baseline.handles)}) | ${baseline.fds} | 0 | 0 / 0 | 0 |`)
lines.push(`| idle, 2 s after the load | ${idle.handleCount} (${kinds(idle.handles)}) | ${idle.fds} | ${idleUp.clients} | ${idleUp.open} / ${idleUp.idle} | ${idleUp.inFlight} |`)
lines.push(`| balancers closed | ${closed.handleCount} (${kinds(closed.handles)}) | ${closed.fds} | ${closedUp.clients} | ${closedUp.open} / ${closedUp.idle} | ${closedUp.inFlight} |`)
lines.push('', `Idle, the process held ${idleExtraHandles} handle(s) other than sockets beyond its baseline, and ${idleExtraFds} file descriptor(s) beyond its baseline and the ${idleUp.open} upstream sockets its pools keep (an idle pooled socket is unref'd: it has a file descriptor but is no active handle). With the balancers closed: ${closedExtraHandles} handle(s) and ${closedExtraFds} file descriptor(s) beyond the baseline.`, '')
lines.push('## Samples', '')
lines.push(`${every === 1 ? 'Every sample' : `One sample in ${every}`} (${rows.length} in all).`, '')
lines.push('| t (s) | req/s | p50 ms | p99 ms | failed | RSS MiB | heap MiB | handles | fds | clients | upstream open/idle | in flight | load |', '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
rows.forEach((r, i) => {
  if (i % every !== 0 && i !== rows.length - 1) return
  lines.push(`| ${fmt(r.t, 0)} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${r.failed} | ${fmt(mb(r.rss))} | ${fmt(mb(r.heap))} | ${r.handles} | ${r.fds} | ${r.clients} | ${r.open}/${r.idle} | ${r.inFlight} | ${fmt(r.load, 2)} |`)
})
lines.push('')
writeFileSync(file, lines.join('\n'))

console.log(`\n${stable ? 'soak: stable' : `soak: NOT stable: ${problems.join('; ')}`}`)
console.log(`requests ${stats.sent}, failed ${failedTotal}, ${fmt(stats.ok / loadSeconds, 0)} req/s; RSS warm ${fmt(mb(warm.rss))} → last ${fmt(mb(last.rss))} MiB (max ${fmt(mb(maxOf(afterWarmup, (r) => r.rss)))}, growth ${fmt(rssGrowth)}); heap ${fmt(mb(warm.heap))} → ${fmt(mb(last.heap))} MiB`)
console.log(`handles: baseline ${baseline.handleCount}, idle ${idle.handleCount} (${idleUp.open} pooled sockets), closed ${closed.handleCount}; fds: baseline ${baseline.fds}, idle ${idle.fds}, closed ${closed.fds}`)
console.log(`report: ${path.relative(REPO, file)}`)
process.exit(stable ? 0 : 1)
