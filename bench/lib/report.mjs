// Turning the measurements into the Markdown report, the JSON of raw numbers and the SVG chart.

export function median(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (xs.length === 0) return NaN
  const mid = xs.length >> 1
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
}

function maxOf(values) {
  const xs = values.filter((x) => Number.isFinite(x))
  return xs.length ? Math.max(...xs) : NaN
}

/** Medians per target and workload over the rounds. */
export function summarize(runs, targets, workloads) {
  const out = {}
  for (const w of workloads) {
    out[w.name] = {}
    for (const t of targets) {
      const rs = runs.filter((r) => r.workload === w.name && r.target === t.name)
      if (rs.length === 0) continue
      const sessions = rs.filter((r) => r.responses)
      out[w.name][t.name] = {
        rounds: rs.length,
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        errors: rs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0),
        requests: rs.reduce((a, r) => a + r.requests, 0),
        cpuPer10k: median(rs.map((r) => r.cpuPer10k)),
        tomcatCpuPer10k: median(rs.map((r) => r.tomcatCpuPer10k)),
        peakRssMiB: maxOf(rs.map((r) => r.peakRssMiB)),
        newSessionShare: sessions.length ? sessions.reduce((a, r) => a + r.newSessions, 0) / sessions.reduce((a, r) => a + r.responses, 0) : undefined,
        failed: rs.some((r) => r.failed),
      }
    }
  }
  return out
}

const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—')
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN)

export function markdown({ meta, summary, targets, workloads }) {
  const lines = []
  const present = (w) => targets.filter((t) => summary[w.name]?.[t.name])
  lines.push(`# Benchmark ${meta.date} — ${meta.git}`, '')
  lines.push(`Command: \`${meta.command}\``, '')
  lines.push('## Machine', '')
  lines.push(`- ${meta.machine.nproc} CPUs (${meta.machine.cpu}), ${meta.machine.memoryGiB} GiB memory, Linux ${meta.machine.kernel}`)
  lines.push(`- Node ${meta.versions.node}; Tomcat ${meta.versions.tomcat} on Java ${meta.versions.java}; nginx ${meta.versions.nginx}; httpd ${meta.versions.httpd}; mod_jk ${meta.versions.modJk}; HAProxy ${meta.versions.haproxy}; wrk ${meta.versions.wrk}`)
  lines.push(`- Load average (1 min) during the run: min ${fmt(meta.load.min, 2)}, median ${fmt(meta.load.median, 2)}, max ${fmt(meta.load.max, 2)} — the machine was shared with other work; compare ratios, not absolute numbers`)
  lines.push(`- Measured build: ${meta.build}; working tree: ${meta.workingTree}`)
  lines.push('')
  lines.push('## Method', '')
  lines.push(`wrk \`-t1 -c${meta.connections} -d${meta.duration}s --latency\` on 127.0.0.1, ${meta.rounds} round(s), targets in a different order each round, medians over the rounds (errors are summed). ` +
    `Each target and workload had ${meta.warmup} s of warm-up first. Two Tomcat nodes (${meta.nodes}) behind every proxy; "direct" is wrk against BenchA alone. ` +
    'Errors = non-2xx/3xx responses + socket errors. Proxy CPU = utime+stime of the proxy\'s processes during the run, per 10 000 requests. ' +
    'Peak RSS = VmHWM summed over the proxy\'s processes, reset before each run, largest over the rounds. ' +
    'New sessions = share of responses that set a JSESSIONID: ~0 % means the sticky cookie was honoured; 50 % on round-robin peers means half the requests landed on the other node.', '')
  lines.push('Targets:', '')
  for (const t of targets) lines.push(`- \`${t.name}\`: ${t.label}`)
  lines.push('')

  // Summary: ratio to direct Tomcat.
  lines.push('## Throughput relative to direct Tomcat', '')
  lines.push(`| target | ${workloads.map((w) => w.name).join(' | ')} |`)
  lines.push(`|---|${workloads.map(() => '---:').join('|')}|`)
  for (const t of targets) {
    if (t.name === 'direct') continue
    const cells = workloads.map((w) => fmt(ratio(summary[w.name]?.[t.name]?.rps, summary[w.name]?.direct?.rps), 2))
    lines.push(`| ${t.name} | ${cells.join(' | ')} |`)
  }
  lines.push(`| *direct req/s* | ${workloads.map((w) => fmt(summary[w.name]?.direct?.rps)).join(' | ')} |`)
  lines.push('', '![ratios to direct Tomcat](' + meta.svgName + ')', '')

  for (const w of workloads) {
    const rows = present(w)
    if (rows.length === 0) continue
    const direct = summary[w.name].direct
    lines.push(`## ${w.name}: ${w.title}`, '')
    const sessions = w.countsSessions
    lines.push(`| target | req/s | × direct | p50 ms | p99 ms | errors | proxy CPU s / 10k req | Tomcat CPU s / 10k req | peak RSS MiB |${sessions ? ' new sessions |' : ''}`)
    lines.push(`|---|---:|---:|---:|---:|---:|---:|---:|---:|${sessions ? '---:|' : ''}`)
    for (const t of rows) {
      const s = summary[w.name][t.name]
      const cells = [
        t.name + (s.failed ? ' (failed)' : ''), fmt(s.rps), fmt(ratio(s.rps, direct?.rps), 2), fmt(s.p50, 2), fmt(s.p99, 2), String(s.errors),
        t.name === 'direct' ? '—' : fmt(s.cpuPer10k, 2), fmt(s.tomcatCpuPer10k, 2), t.name === 'direct' ? '—' : fmt(s.peakRssMiB, 1),
      ]
      if (sessions) cells.push(s.newSessionShare === undefined ? '—' : `${fmt(100 * s.newSessionShare)} %`)
      lines.push(`| ${cells.join(' | ')} |`)
    }
    lines.push('')
    // The ceiling targets are compared both ways: ours against them, and them against the peers.
    const ours = rows.filter((t) => t.group === 'ours' || t.group === 'ceiling')
    const peers = rows.filter((t) => t.group === 'peer' || t.group === 'node' || t.group === 'ceiling')
    if (ours.length && peers.length) {
      lines.push(`Throughput of ours and of the ceilings ÷ each peer's and each ceiling's (${w.name}):`, '')
      lines.push(`| ours \\ peer | ${peers.map((p) => p.name).join(' | ')} |`)
      lines.push(`|---|${peers.map(() => '---:').join('|')}|`)
      for (const o of ours) {
        lines.push(`| ${o.name} | ${peers.map((p) => fmt(ratio(summary[w.name][o.name].rps, summary[w.name][p.name].rps), 2)).join(' | ')} |`)
      }
      lines.push('')
    }
  }
  if (meta.notes.length) {
    lines.push('## Notes', '')
    for (const n of meta.notes) lines.push(`- ${n}`)
    lines.push('')
  }
  return lines.join('\n')
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1']

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Horizontal grouped bars: one group per target, one bar per workload, x = ratio to direct Tomcat. */
export function svgChart({ summary, targets, workloads, title }) {
  const rows = targets.filter((t) => t.name !== 'direct')
  const barH = 7
  const gap = 8
  const groupH = workloads.length * barH + gap
  const left = 260
  const plotW = 560
  const top = 50
  const height = top + rows.length * groupH + 40
  const width = left + plotW + 40
  let max = 1
  for (const w of workloads) for (const t of rows) max = Math.max(max, ratio(summary[w.name]?.[t.name]?.rps, summary[w.name]?.direct?.rps) || 0)
  max = Math.ceil(max * 5) / 5
  const x = (v) => left + (v / max) * plotW
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`)
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`)
  out.push(`<text x="${left}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`)
  workloads.forEach((w, i) => {
    const lx = left + i * 100
    out.push(`<rect x="${lx}" y="26" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="35">${esc(w.name)}</text>`)
  })
  for (let v = 0; v <= max + 1e-9; v += 0.2) {
    const gx = x(v).toFixed(1)
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${height - 34}" stroke="${Math.abs(v - 1) < 1e-9 ? '#000' : '#ddd'}" stroke-width="${Math.abs(v - 1) < 1e-9 ? 1.5 : 1}"/>`)
    out.push(`<text x="${gx}" y="${height - 20}" text-anchor="middle">${v.toFixed(1)}</text>`)
  }
  out.push(`<text x="${x(max / 2)}" y="${height - 6}" text-anchor="middle">throughput ÷ direct Tomcat (1.0 = direct)</text>`)
  rows.forEach((t, r) => {
    const gy = top + r * groupH
    out.push(`<text x="${left - 8}" y="${gy + (workloads.length * barH) / 2 + 4}" text-anchor="end">${esc(t.name)}</text>`)
    workloads.forEach((w, i) => {
      const v = ratio(summary[w.name]?.[t.name]?.rps, summary[w.name]?.direct?.rps)
      if (!Number.isFinite(v)) return
      out.push(`<rect x="${left}" y="${gy + i * barH}" width="${(x(v) - left).toFixed(1)}" height="${barH - 1}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${t.name} ${w.name}: ${v.toFixed(2)}`)}</title></rect>`)
    })
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
