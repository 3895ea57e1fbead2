#!/usr/bin/env node
// CPU profile of one Node target under one wrk workload, summarised by function (source-mapped to
// lib/ and adapters/) and by module. Tomcat nodes must be up (bench/run.mjs --serve --keep-tomcat
// leaves them up, or tomcat-testapp/bin/nodes.sh start with the bench's TOMCAT_NODES).
//
//   node bench/profile.mjs --target ours-bare-http --workload static [--duration 10] [--dist DIR]
//   node bench/profile.mjs --summarize some.cpuprofile
//
// Writes the profile to bench/results/tmp/<target>-<workload>.cpuprofile (open it in Chrome
// DevTools or speedscope) and prints the tables used in docs/guide/performance.md.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { SourceMap } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { BENCH_DIR, REPO, RUN, TARGETS, get, startTarget } from './lib/targets.mjs'
import { WORKLOADS } from './lib/workloads.mjs'
import { runWrk } from './lib/wrk.mjs'

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string', default: 'ours-bare-http' },
    workload: { type: 'string', default: 'static' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    dist: { type: 'string' },
    top: { type: 'string', default: '25' },
    summarize: { type: 'string' },
    callers: { type: 'string' },
    depth: { type: 'string', default: '8' },
  },
})

// ------------------------------------------------------------------------------------ source maps

const maps = new Map()
function original(url, line, column) {
  if (!url.startsWith('file://')) return undefined
  const file = fileURLToPath(url)
  if (!maps.has(file)) {
    let map
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')))
    } catch {
      map = null
    }
    maps.set(file, map)
  }
  const map = maps.get(file)
  if (!map) return undefined
  const entry = map.findEntry(line, column)
  if (!entry?.originalSource) return undefined
  const source = entry.originalSource.replace(/^.*?\/(lib|adapters)\//, '$1/').replace(/^\.\.\//, '')
  return { source, line: entry.originalLine + 1 }
}

function moduleOf(url, mapped) {
  if (mapped) return mapped.source.startsWith('adapters/') ? 'sticky-balancer adapters' : 'sticky-balancer lib'
  if (!url) return 'native / V8'
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/')
    return `node:${parts[0] === 'internal' && parts.length > 2 ? parts.slice(0, 2).join('/') : parts[0] === 'internal' ? parts.join('/') : parts[0]}`
  }
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]
  if (url.includes('/bench/')) return 'bench target'
  return url.replace(/^file:\/\//, '')
}

// ------------------------------------------------------------------------------------ summary

export function summarize(profile, top = 25) {
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keyOf = new Map()
  const info = new Map()
  for (const n of profile.nodes) {
    const f = n.callFrame
    const mapped = original(f.url, f.lineNumber, f.columnNumber)
    const name = f.functionName || '(anonymous)'
    const where = mapped ? `${mapped.source}:${mapped.line}` : f.url ? `${f.url.replace(/^file:\/\/.*node_modules\//, '').replace(/^file:\/\/.*?\/(bench|dist)\//, '$1/')}:${f.lineNumber + 1}` : ''
    const key = `${name} ${where}`
    keyOf.set(n.id, key)
    if (!info.has(key)) info.set(key, { name, where, module: ['(idle)', '(program)', '(garbage collector)', '(root)'].includes(name) ? name : moduleOf(f.url, mapped), self: 0, total: 0 })
  }
  const dt = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const d = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0
    dt.set(i, d)
  }
  let all = 0
  let idle = 0
  const modules = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    const d = dt.get(i)
    all += d
    const self = info.get(keyOf.get(id))
    if (self.name === '(idle)') {
      idle += d
      continue
    }
    self.self += d
    modules.set(self.module, (modules.get(self.module) ?? 0) + d)
    const seen = new Set()
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const k = keyOf.get(at)
      if (seen.has(k)) continue
      seen.add(k)
      info.get(k).total += d
    }
  }
  const busy = all - idle
  const pct = (x) => `${((100 * x) / busy).toFixed(1)} %`
  const rows = [...info.values()].filter((r) => !['(root)', '(idle)'].includes(r.name))
  const lines = []
  lines.push(`busy ${(busy / 1e6).toFixed(2)} s of ${(all / 1e6).toFixed(2)} s sampled`)
  lines.push('', 'self time by module:', '')
  lines.push('| module | self |', '|---|---:|')
  for (const [m, t] of [...modules].sort((a, b) => b[1] - a[1]).slice(0, 14)) lines.push(`| ${m} | ${pct(t)} |`)
  lines.push('', `top ${top} functions by self time:`, '')
  lines.push('| function | where | module | self | total |', '|---|---|---|---:|---:|')
  for (const r of rows.sort((a, b) => b.self - a.self).slice(0, top)) lines.push(`| ${r.name} | ${r.where} | ${r.module} | ${pct(r.self)} | ${pct(r.total)} |`)
  lines.push('', `our functions (lib/, adapters/) by total time (self + callees):`, '')
  lines.push('| function | where | self | total |', '|---|---|---:|---:|')
  for (const r of rows.filter((x) => x.module.startsWith('sticky-balancer')).sort((a, b) => b.total - a.total).slice(0, top)) lines.push(`| ${r.name} | ${r.where} | ${pct(r.self)} | ${pct(r.total)} |`)
  return lines.join('\n')
}

/** The most frequent call stacks (innermost first, `depth` frames) that lead to a function. */
export function callers(profile, name, depth = 8) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const frame = (n) => {
    const f = n.callFrame
    const m = original(f.url, f.lineNumber, f.columnNumber)
    return `${f.functionName || '(anonymous)'}@${m ? `${m.source}:${m.line}` : `${f.url.replace(/^.*node_modules\//, '')}:${f.lineNumber + 1}`}`
  }
  const stacks = new Map()
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    const chain = []
    let hit = false
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)
      if (!hit && n.callFrame.functionName === name) hit = true
      if (hit) chain.push(frame(n))
      if (chain.length >= depth) break
    }
    if (!hit) continue
    total++
    const key = chain.join('\n  <- ')
    stacks.set(key, (stacks.get(key) ?? 0) + 1)
  }
  return [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${v} of ${total} samples:\n  ${k}`).join('\n\n')
}

if (opts.summarize) {
  const profile = JSON.parse(readFileSync(opts.summarize, 'utf8'))
  console.log(opts.callers ? callers(profile, opts.callers, Number(opts.depth)) : summarize(profile, Number(opts.top)))
  process.exit(0)
}

// ------------------------------------------------------------------------------------ run

const found = TARGETS.find((t) => t.name === opts.target)
// Its own port (+100), so a bench/run.mjs --serve can keep running.
const target = found && { ...found, port: found.port + 100 }
if (!target || target.kind !== 'node') throw new Error(`--target must be one of ${TARGETS.filter((t) => t.kind === 'node').map((t) => t.name).join(', ')}`)
const workload = WORKLOADS.find((w) => w.name === opts.workload)
if (!workload) throw new Error(`--workload must be one of ${WORKLOADS.map((w) => w.name).join(', ')}`)
const profDir = path.join(RUN, 'profiles', `${process.pid}`)
mkdirSync(profDir, { recursive: true })
const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', profDir]
if (opts.dist) {
  process.env.BENCH_DIST = path.resolve(opts.dist)
  nodeArgs.push('--import', path.join(BENCH_DIR, 'lib', 'dist-hook.mjs'))
}
const proc = await startTarget(target, { nodeArgs })
let cookie = ''
if (workload.cookie) {
  for (let i = 0; i < 8 && !cookie.endsWith('.BenchA'); i++) {
    const r = await get(target.port, '/testapp/index.jsp')
    cookie = [r.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('JSESSIONID='))?.split(';')[0] ?? ''
  }
}
const wrkOptions = (duration) => ({
  url: `http://127.0.0.1:${target.port}${workload.path}`, duration,
  script: workload.script ? path.join(BENCH_DIR, 'wrk', workload.script) : undefined,
  env: { BENCH_COOKIE: cookie },
})
await runWrk(wrkOptions(Number(opts.warmup)))
const result = await runWrk(wrkOptions(Number(opts.duration)))
await proc.stop()
const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))
if (!file) throw new Error(`no profile written in ${profDir}`)
const out = path.join(BENCH_DIR, 'results', 'tmp', `${target.name}-${opts.workload}.cpuprofile`)
mkdirSync(path.dirname(out), { recursive: true })
renameSync(path.join(profDir, file), out)
rmSync(profDir, { recursive: true, force: true })
console.log(`${target.name} ${opts.workload}: ${Math.round(result.rps)} req/s, p50 ${result.p50} ms, ${result.requests} requests; profile ${path.relative(REPO, out)}\n`)
console.log(summarize(JSON.parse(readFileSync(out, 'utf8')), Number(opts.top)))
