#!/usr/bin/env node
// Side-by-side throughput benchmark: sticky-balancer against nginx, httpd (mod_proxy_http,
// mod_proxy_ajp), mod_jk, HAProxy and the Node proxies users write today, all in front of the
// same two Tomcat nodes, measured with wrk. See bench/README.md.
//
//   npm run build && node bench/run.mjs                       # full run, ~25 min
//   node bench/run.mjs --duration 2 --rounds 1 --only ours-bare-http,nginx-rr --workloads static,sticky
//   node bench/run.mjs --smoke                                 # every target 1 s, exit 1 on any error
//   node bench/run.mjs --list                                  # target and workload names
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { cpuBetween, cpuSnapshot, loadAverage, machine, peakRssMiB, resetPeakRss } from './lib/proc.mjs'
import { median, markdown, summarize, svgChart } from './lib/report.mjs'
import { BENCH_DIR, NODES, REPO, TARGETS, ensureDirs, get, nodesSh, startTarget, tomcatEnv, tomcatPid, versions } from './lib/targets.mjs'
import { WORKLOADS } from './lib/workloads.mjs'
import { runWrk } from './lib/wrk.mjs'

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string' },
    skip: { type: 'string' },
    workloads: { type: 'string' },
    out: { type: 'string' },
    dist: { type: 'string' },
    baseline: { type: 'string' },
    suffix: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'reuse-tomcat': { type: 'boolean', default: false },
    'keep-tomcat': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    serve: { type: 'boolean', default: false },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})


if (opts.help || opts.list) {
  console.log('targets:  ' + TARGETS.map((t) => t.name).join(', '))
  console.log('workloads: ' + WORKLOADS.map((w) => w.name).join(', '))
  console.log('options:  --duration S (4) --rounds N (3) --warmup S (1) --connections C (32) --only a,b --skip a,b --workloads a,b')
  console.log('          --dist DIR (an ESM build to measure instead of dist/, e.g. of another commit)')
  console.log('          --baseline DIR | label=DIR,label=DIR (also measure each selected Node target of ours on these ESM builds, as <name>@<label>, in the same rounds)')
  console.log('          --suffix NAME (report files <date>-<sha>-NAME.md/.json/.svg)')
  console.log('          --out DIR --smoke --reuse-tomcat (do not restart the bench Tomcat nodes) --keep-tomcat (leave them running)')
  console.log('          --report FILE.json (write the .md and .svg again from a run\'s JSON, measure nothing)')
  console.log('          --serve (start the targets, print their ports, run nothing; Ctrl-C stops them)')
  console.log('          --only/--skip accept group names too: peer, node, ours, ceiling')
  process.exit(0)
}

if (opts.report) {
  const data = JSON.parse(readFileSync(opts.report, 'utf8'))
  const summary = summarize(data.runs, data.targets, data.workloads)
  const base = opts.report.replace(/\.json$/, '')
  data.meta.svgName = `${path.basename(base)}.svg`
  writeFileSync(`${base}.json`, JSON.stringify({ ...data, summary }, null, 1) + '\n')
  writeFileSync(`${base}.md`, markdown({ meta: data.meta, summary, targets: data.targets, workloads: data.workloads }) + '\n')
  writeFileSync(`${base}.svg`, svgChart({ summary, targets: data.targets, workloads: data.workloads, title: `Throughput ÷ direct Tomcat — ${data.meta.date} ${data.meta.git}, medians of ${data.meta.rounds} round(s)` }))
  console.log(`rewrote ${base}.md, .svg`)
  process.exit(0)
}

const smoke = opts.smoke
const duration = smoke ? 1 : Number(opts.duration)
const rounds = smoke ? 1 : Number(opts.rounds)
const warmup = smoke ? 0 : Number(opts.warmup)
const connections = Number(opts.connections)
const select = (list, items) => {
  if (!list) return items
  const names = list.split(',').map((s) => s.trim()).filter(Boolean)
  for (const n of names) if (!items.some((i) => i.name === n || i.group === n)) throw new Error(`unknown name ${n}; try --list`)
  return items.filter((i) => names.includes(i.name) || names.includes(i.group))
}
let targets = select(opts.only, TARGETS)
if (opts.skip) {
  const skipped = select(opts.skip, TARGETS)
  targets = targets.filter((t) => !skipped.includes(t))
}
if (!targets.some((t) => t.name === 'direct')) targets.unshift(TARGETS[0]) // the reference is always measured
// Before/after in one run: a twin of each of our Node targets per baseline build, named
// <target>@<label> (ports + 200, + 220, …). `--baseline DIR` or `--baseline label=DIR,label=DIR`.
const baselines = (opts.baseline ?? '').split(',').filter(Boolean).map((spec, i, all) => {
  const eq = spec.indexOf('=')
  const label = eq > 0 ? spec.slice(0, eq) : all.length === 1 ? 'base' : `base${i + 1}`
  const dir = path.resolve(eq > 0 ? spec.slice(eq + 1) : spec)
  if (!existsSync(path.join(dir, 'index.js'))) {
    console.error(`${dir}/index.js is missing: --baseline needs an ESM build (see bench/README.md)`)
    process.exit(1)
  }
  return { label, dir, portOffset: 200 + 20 * i }
})
if (baselines.length > 0) {
  targets = targets.flatMap((t) => (t.group === 'ours' && t.kind === 'node'
    ? [t, ...baselines.map((b) => ({ ...t, name: `${t.name}@${b.label}`, label: `${t.label} — build ${b.dir}`, port: t.port + b.portOffset, dist: b.dir }))]
    : [t]))
}
const workloads = select(opts.workloads ?? (smoke ? 'static' : undefined), WORKLOADS)
const partial = smoke || opts.only || opts.skip || opts.workloads || rounds < 3
const outDir = opts.out ? path.resolve(opts.out) : path.join(BENCH_DIR, 'results', partial ? 'tmp' : '')
const notes = []
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a)

// ---------------------------------------------------------------------------------------- checks

const dist = opts.dist ? path.resolve(opts.dist) : path.join(REPO, 'dist')
for (const file of ['index.js', 'express.js', 'koa.js']) {
  if (!existsSync(path.join(dist, file))) {
    console.error(`${path.relative(REPO, dist) || dist}/${file} is missing: run \`npm run build\` first (the benchmark measures the built package).`)
    process.exit(1)
  }
}
const nodeArgs = opts.dist ? ['--import', path.join(BENCH_DIR, 'lib', 'dist-hook.mjs')] : []
if (opts.dist) process.env.BENCH_DIST = dist
// What was built: <dist>/.source (written by whoever built it) or the build time.
const distSource = existsSync(path.join(dist, '.source'))
  ? readFileSync(path.join(dist, '.source'), 'utf8').trim()
  : `${path.relative(REPO, dist) || dist} built ${statSync(path.join(dist, 'index.js')).mtime.toISOString().slice(0, 16).replace('T', ' ')} UTC`
const missing = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0
if (missing('wrk')) {
  console.error('wrk is missing: apt-get install -y wrk')
  process.exit(1)
}
const binaries = { nginx: 'nginx', httpd: 'apache2', haproxy: 'haproxy' }
for (const [kind, bin] of Object.entries(binaries)) {
  if (missing(bin)) {
    const gone = targets.filter((t) => t.kind === kind)
    if (gone.length === 0) continue
    notes.push(`${bin} is not installed: skipped ${gone.map((t) => t.name).join(', ')} (apt-get install -y nginx apache2 libapache2-mod-jk haproxy)`)
    targets = targets.filter((t) => t.kind !== kind)
  }
}
if (targets.some((t) => t.name === 'mod_jk') && !existsSync('/usr/lib/apache2/modules/mod_jk.so')) {
  notes.push('mod_jk is not installed: skipped mod_jk (apt-get install -y libapache2-mod-jk)')
  targets = targets.filter((t) => t.name !== 'mod_jk')
}
ensureDirs()

// ---------------------------------------------------------------------------------------- Tomcat

const fresh = !smoke && !opts['reuse-tomcat']
log(`${fresh ? 'restarting' : 'starting'} Tomcat nodes ${tomcatEnv.TOMCAT_NODES}`)
nodesSh(fresh ? 'restart' : 'start')
const tomcatPids = NODES.map((n) => tomcatPid(n)).filter(Boolean)

// 1m.bin is generated by nodes.sh at start; fall back to big.jsp if this copy of the webapp lacks it.
{
  const head = await get(NODES[0].http, '/testapp/1m.bin')
  if (head.status !== 200 || head.body.length !== 1048576) {
    const w = WORKLOADS.find((x) => x.name === 'download')
    w.path = '/testapp/big.jsp?bytes=1048576'
    w.title = '1 MiB download (`GET /testapp/big.jsp?bytes=1048576`)'
    notes.push('1m.bin was not deployed; the download workload used big.jsp?bytes=1048576')
  }
}

// ---------------------------------------------------------------------------------------- targets

const running = new Map() // name -> { pid, stop }
const failures = []
async function stopAll() {
  await Promise.all([...running.values()].map((r) => r.stop()))
  running.clear()
}
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (interrupted) process.exit(130)
    interrupted = true
    console.error(`\n${signal}: stopping the targets`)
    await stopAll()
    if (!opts['keep-tomcat']) nodesSh('stop')
    process.exit(130)
  })
}

for (const t of targets) {
  if (t.kind === 'direct') continue
  try {
    const own = t.dist ? { nodeArgs: ['--import', path.join(BENCH_DIR, 'lib', 'dist-hook.mjs')], env: { BENCH_DIST: t.dist } } : { nodeArgs }
    running.set(t.name, await startTarget(t, own))
    log(`started ${t.name} on 127.0.0.1:${t.port} (pid ${running.get(t.name).pid})`)
  } catch (err) {
    // A baseline build may predate a target (an option it refuses): leave its twin out, say so.
    if (!t.dist) failures.push(`${t.name}: did not start: ${err.message}`)
    notes.push(`${t.name} did not start${t.dist ? ' (the baseline build lacks what it needs)' : ''}: ${err.message.split('\n')[0]}`)
    log(`FAILED to start ${t.name}: ${err.message}`)
  }
}
targets = targets.filter((t) => t.kind === 'direct' || running.has(t.name))
if (opts.serve) {
  for (const t of targets) console.log(`${t.name.padEnd(18)} http://127.0.0.1:${t.port}/testapp/index.jsp  ${t.label}`)
  log('serving; Ctrl-C stops the targets' + (opts['keep-tomcat'] ? '' : ' and the Tomcat nodes'))
  await new Promise(() => {})
}

/** A JSESSIONID obtained through the target, preferably one created on BenchA. */
async function stickyCookie(target) {
  let last
  for (let i = 0; i < 8; i++) {
    const r = await get(target.port, '/testapp/index.jsp')
    const setCookie = [r.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('JSESSIONID='))
    if (!setCookie) throw new Error(`${target.name}: index.jsp set no JSESSIONID (status ${r.status})`)
    last = setCookie.split(';')[0]
    if (last.endsWith(`.${NODES[0].name}`)) return last
  }
  return last
}
const cookies = {}
for (const t of targets) {
  if (!workloads.some((w) => w.cookie)) break
  try {
    cookies[t.name] = await stickyCookie(t)
    if (!cookies[t.name].endsWith(`.${NODES[0].name}`)) notes.push(`${t.name}: every session created through it was on ${cookies[t.name].split('.').pop()} (its sticky runs use that one)`)
  } catch (err) {
    failures.push(`${t.name}: ${err.message}`)
  }
}

// ---------------------------------------------------------------------------------------- runs

const runs = []
const loads = []
const rootsOf = (t) => (t.kind === 'direct' ? [] : [running.get(t.name).pid])

async function measure(target, workload, round, seconds) {
  const roots = rootsOf(target)
  const env = {}
  if (workload.cookie) env.BENCH_COOKIE = cookies[target.name] ?? ''
  resetPeakRss(roots)
  const cpu0 = cpuSnapshot(roots)
  const tc0 = cpuSnapshot(tomcatPids)
  let result
  try {
    result = await runWrk({
      url: `http://127.0.0.1:${target.port}${workload.path}`,
      duration: seconds, connections,
      script: workload.script ? path.join(BENCH_DIR, 'wrk', workload.script) : undefined,
      env,
    })
  } catch (err) {
    return { target: target.name, workload: workload.name, round, failed: true, error: err.message, rps: NaN, requests: 0, non2xx: 0, socketErrors: 1 }
  }
  const proxyCpu = cpuBetween(cpu0, cpuSnapshot(roots))
  const tomcatCpu = cpuBetween(tc0, cpuSnapshot(tomcatPids))
  const load1 = loadAverage()[0]
  loads.push(load1)
  const per10k = (s) => (result.requests > 0 ? (s / result.requests) * 10_000 : NaN)
  const { raw, ...numbers } = result
  return {
    target: target.name, workload: workload.name, round, ...numbers,
    proxyCpuSeconds: proxyCpu, cpuPer10k: roots.length ? per10k(proxyCpu) : NaN, tomcatCpuPer10k: per10k(tomcatCpu),
    peakRssMiB: roots.length ? peakRssMiB(roots) : NaN, load1,
  }
}

const perRun = duration + 0.6
const estimate = targets.length * workloads.length * (rounds * perRun + (warmup ? warmup + 0.6 : 0))
log(`${targets.length} targets × ${workloads.length} workloads × ${rounds} rounds of ${duration} s: about ${Math.ceil(estimate / 60)} min`)
const startLoad = loadAverage()
loads.push(startLoad[0])

if (warmup > 0) {
  log(`warm-up ${warmup} s per target and workload`)
  for (const w of workloads) for (const t of targets) await measure(t, w, 0, warmup)
}
for (let round = 1; round <= rounds; round++) {
  for (const w of workloads) {
    // Rotate and, every other round, reverse the order so no target always follows the same one.
    const shift = (round - 1) % targets.length
    let order = [...targets.slice(shift), ...targets.slice(0, shift)]
    if (round % 2 === 0) order = order.reverse()
    for (const t of order) {
      const r = await measure(t, w, round, duration)
      runs.push(r)
      const errors = r.non2xx + r.socketErrors
      if (r.failed || errors > 0 || r.requests === 0) failures.push(`${t.name} ${w.name} round ${round}: ${r.failed ? r.error : `${errors} errors of ${r.requests} requests`}`)
      log(`round ${round} ${w.name.padEnd(8)} ${t.name.padEnd(18)} ${String(Math.round(r.rps)).padStart(6)} req/s  p50 ${r.p50?.toFixed(2)} ms  p99 ${r.p99?.toFixed(2)} ms  errors ${errors}` +
        (Number.isFinite(r.cpuPer10k) ? `  cpu ${r.cpuPer10k.toFixed(2)} s/10k` : '') + (r.responses ? `  new sessions ${r.newSessions}/${r.responses}` : '') + `  load ${r.load1}`)
    }
  }
}

await stopAll()
if (!opts['keep-tomcat'] && !opts['reuse-tomcat']) nodesSh('stop')

// ---------------------------------------------------------------------------------------- report

const git = (args) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' }).stdout.trim()
const head = git(['rev-parse', '--short', 'HEAD'])
// Name the report after the measured commit: the one named in <dist>/.source, else HEAD.
const sha = /^[0-9a-f]{7,40}\b/.exec(distSource)?.[0] ?? head
const dirty = git(['status', '--porcelain', '--', 'lib', 'adapters']).split('\n').filter(Boolean).length
const date = new Date().toISOString().slice(0, 10)
const suffix = opts.suffix ? `-${opts.suffix.replace(/[^\w.-]/g, '')}` : ''
const summary = summarize(runs, targets, workloads)
const meta = {
  date, git: sha, command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: machine(), versions: versions(),
  load: { start: startLoad, min: Math.min(...loads), median: median(loads), max: Math.max(...loads) },
  build: distSource,
  workingTree: opts.dist ? `HEAD ${head} when measured` : dirty ? `${dirty} file(s) under lib/ or adapters/ differ from ${head}; dist/ may include them` : `clean at ${head}`,
  duration, rounds, warmup, connections, nodes: NODES.map((n) => `${n.name} HTTP ${n.http} / AJP ${n.ajp}`).join(', '),
  svgName: `${date}-${sha}${suffix}.svg`, notes, failures,
}
if (smoke) meta.notes.push('smoke run: 1 s per target, one round, no warm-up; the figures mean nothing')
mkdirSync(outDir, { recursive: true })
const base = path.join(outDir, `${date}-${sha}${suffix}`)
writeFileSync(`${base}.md`, markdown({ meta, summary, targets, workloads }) + '\n')
writeFileSync(`${base}.json`, JSON.stringify({ meta, targets, workloads, summary, runs }, null, 1) + '\n')
writeFileSync(`${base}.svg`, svgChart({ summary, targets, workloads, title: `Throughput ÷ direct Tomcat — ${date} ${sha}, medians of ${rounds} round(s)` }))
log(`report: ${path.relative(REPO, base)}.md (.json, .svg)`)

if (failures.length) {
  console.error(`\n${failures.length} failure(s):\n  ${failures.join('\n  ')}`)
  process.exit(1)
}
process.exit(0)
