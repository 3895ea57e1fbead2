/**
 * The balancer-manager page: server-rendered HTML that works with JavaScript off. Inline CSS and
 * SVG only (no external assets), so it renders under a strict Content-Security-Policy. A small
 * inline script, when allowed, refreshes the numbers from the JSON API.
 *
 * Pure: a function of a snapshot and a few page settings. Markup is built with the escaping
 * `html` tag (`html.ts`); the only `raw()` fragments are the page's own CSS and script.
 *
 * This file is long because it is the whole page: markup, its stylesheet and its small script,
 * which read best side by side.
 *
 * @module
 */
import { ADMIN_STATES } from '../members/member-state.js'
import type { RatePoint } from './stats.js'
import type { BalancerSnapshot, MemberSnapshot } from './snapshot.js'
import { html, raw } from './html.js'
import type { Html } from './html.js'

export { escapeHtml } from './html.js'

/** Page settings next to the snapshot. */
export interface HtmlPageOptions {
  /** The admin surface's public path (links and form actions), e.g. `/balancer-manager`. */
  readonly base: string
  /** The nonce forms carry; absent in read-only mode. */
  readonly nonce?: string | undefined
  readonly readOnly: boolean
  /** Milliseconds between live refreshes; 0 for none. */
  readonly refreshMs: number
  /** The CSP nonce of the inline script. */
  readonly scriptNonce: string
  /** Public path of the metrics, or `false` when none are served. */
  readonly metricsHref: string | false
  /** A confirmation shown at the top (after a change). */
  readonly message?: string | undefined
  /** An error shown at the top (a refused change). */
  readonly error?: string | undefined
}

const PALETTE = ['#2563eb', '#16a34a', '#db2777', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#dc2626', '#4f46e5', '#059669']

/** `1.2 KiB`, `3.4 MiB`, … (binary units, like mod_jk's status page). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`
}

function formatMs(ms: number): string {
  if (ms === 0) return '–'
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 10_000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(1)} s`
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

function ago(now: number, at: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.round(s / 60)} min ago`
  return `${Math.round(s / 3600)} h ago`
}

/** Requests that kept their session, new sessions, and session misses by reason. */
export function stickyCounts(reasons: Readonly<Record<string, number>>): { hits: number; fresh: number; misses: number; byReason: [string, number][] } {
  let hits = 0
  let fresh = 0
  let misses = 0
  const byReason: [string, number][] = []
  for (const [reason, n] of Object.entries(reasons)) {
    if (reason === 'sticky' || reason === 'redirect' || reason === 'domain') hits += n
    else if (reason === 'new') fresh += n
    else {
      misses += n
      byReason.push([reason, n])
    }
  }
  return { hits, fresh, misses, byReason }
}

/** A y-axis maximum that is a "nice" number at or above `value` (1, 2, 5 × 10ⁿ). */
function niceMax(value: number): number {
  if (value <= 0) return 1
  const exp = Math.pow(10, Math.floor(Math.log10(value)))
  for (const step of [1, 2, 5, 10]) if (step * exp >= value) return step * exp
  return 10 * exp
}

/** SVG polyline points for rate samples over `[now - window, now]` in a `width × height` box. */
export function polylinePoints(points: readonly RatePoint[], now: number, windowMs: number, max: number, width: number, height: number): string {
  return points
    .filter(([t]) => t >= now - windowMs)
    .map(([t, v]) => `${(((t - (now - windowMs)) / windowMs) * width).toFixed(1)},${(height - (Math.min(v, max) / max) * height).toFixed(1)}`)
    .join(' ')
}

/** The time a sparkline covers: from its oldest sample (at least one minute, at most the window). */
export function sparkSpan(points: readonly RatePoint[], now: number, windowMs: number): number {
  const oldest = points[0]?.[0] ?? now
  return Math.min(windowMs, Math.max(60_000, now - oldest))
}

function stateBadge(m: MemberSnapshot): Html {
  return html`<span class="badge s-${m.admin}" data-f="admin">${m.admin}</span>`
}

function healthBadge(m: MemberSnapshot, now: number): Html {
  const title = m.retryAt !== null && html` title="retry ${ago(m.retryAt, now).replace(' ago', '')}"`
  return html`<span class="badge h-${m.health}" data-f="health"${title}>${m.health}</span>`
}

function sparkline(m: MemberSnapshot, color: string, now: number, windowMs: number): Html {
  const max = niceMax(Math.max(0, ...m.rate.map(([, v]) => v)))
  // A sparkline spans the samples there are (at least a minute), not the whole window.
  const span = sparkSpan(m.rate, now, windowMs)
  const pts = polylinePoints(m.rate, now, span, max, 120, 28)
  const last = m.rate.at(-1)?.[1] ?? 0
  return html`<svg class="spark" viewBox="0 0 120 28" width="120" height="28" role="img" aria-label="request rate of ${m.id}"><polyline data-spark="${m.id}" fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/></svg><span class="rate" data-f="rate">${last.toFixed(1)}/s</span>`
}

function chart(s: BalancerSnapshot, colors: Map<string, string>, windowMs: number): Html {
  const width = 960
  const height = 180
  const max = niceMax(Math.max(0, ...s.members.flatMap((m) => m.rate.map(([, v]) => v))))
  const hasData = s.members.some((m) => m.rate.length > 1)
  const minutes = Math.round(windowMs / 60_000)
  const grid: Html[] = []
  for (let i = 0; i <= 5; i++) {
    const y = (height / 5) * i
    grid.push(html`<line x1="0" x2="${width}" y1="${y}" y2="${y}" class="grid"/>`)
    grid.push(html`<text x="${width + 6}" y="${y + 4}" class="axis" data-axis="${5 - i}">${formatRate((max * (5 - i)) / 5)}</text>`)
  }
  for (let i = 0; i <= minutes; i++) {
    const x = (width / minutes) * i
    grid.push(html`<text x="${x}" y="${height + 16}" class="axis" text-anchor="${i === 0 ? 'start' : i === minutes ? 'end' : 'middle'}">${i === minutes ? 'now' : `−${minutes - i} min`}</text>`)
  }
  const lines = s.members.map((m) => html`<polyline data-chart="${m.id}" fill="none" stroke="${colors.get(m.id)}" stroke-width="2" stroke-linejoin="round" points="${polylinePoints(m.rate, s.time, windowMs, max, width, height)}"/>`)
  const legend = s.members.map((m) => html`<li><span class="swatch" style="background:${colors.get(m.id)}"></span>${m.id}</li>`)
  const empty = !hasData && html`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="empty" id="chart-empty">Collecting samples…</text>`
  return html`<svg class="chart" viewBox="-2 -10 ${width + 52} ${height + 34}" role="img" aria-label="requests per second per member over the last ${minutes} minutes" data-max="${max}">${grid}${lines}${empty}</svg><ul class="legend">${legend}</ul>`
}

function formatRate(v: number): string {
  return v >= 10 || v === 0 || Number.isInteger(v) ? `${Math.round(v)}/s` : `${Number(v.toFixed(2))}/s`
}

/** `now 2.5` while slow start ramps the member (the weight schedulers use), else nothing. */
function rampText(m: Pick<MemberSnapshot, 'weight' | 'effectiveWeight'>): string {
  return m.effectiveWeight < m.weight ? `now ${m.effectiveWeight}` : ''
}

function memberRow(m: MemberSnapshot, color: string, now: number, windowMs: number): Html {
  const sticky = stickyCounts(m.reasons)
  const misses = sticky.byReason.map(([r, n], i) => html`${i > 0 && html`<br>`}<span title="${r}">${r.replace(/^(rescheduled|forced):/, (_, k: string) => (k === 'forced' ? 'forced ' : ''))} ${n}</span>`)
  const lastError = m.lastError ? html`<span class="err" title="${formatTime(m.lastError.at)}">${m.lastError.code.replace(/^LB_ERR_/, '')}</span><br><small>${ago(now, m.lastError.at)}</small>` : html`<span class="muted">–</span>`
  return html`<tr data-m="${m.id}">
<th scope="row"><span class="swatch" style="background:${color}"></span>${m.id}<br><span class="url">${m.url}</span></th>
<td data-f="route">${m.route === null ? html`<span class="muted">–</span>` : m.route}</td>
<td><small class="muted">redirect</small> <span data-f="redirect">${m.redirect ?? '–'}</span><br><small class="muted">domain</small> <span data-f="domain">${m.effectiveDomain ?? '–'}</span></td>
<td class="num"><span data-f="weight">${m.weight}</span><br><small class="muted" data-f="effectiveWeight" title="slow start: the weight schedulers use now">${rampText(m)}</small></td>
<td>${stateBadge(m)}</td>
<td>${healthBadge(m, now)}</td>
<td class="num" data-f="elected">${m.counters.elected}</td>
<td class="num" data-f="inFlight">${m.counters.inFlight}</td>
<td class="num" data-f="bytesOut">${formatBytes(m.counters.bytesOut)}</td>
<td class="num" data-f="bytesIn">${formatBytes(m.counters.bytesIn)}</td>
<td class="num" data-f="errors">${m.counters.errors}</td>
<td data-f="lastError">${lastError}</td>
<td class="num" data-f="latency">${formatMs(m.latencyEwmaMs)}</td>
<td class="num"><span data-f="hits">${sticky.hits}</span> hit<br><small class="muted"><span data-f="new">${sticky.fresh}</span> new</small></td>
<td class="num"><span data-f="misses">${sticky.misses}</span>${misses.length > 0 ? html`<br><small class="muted" data-f="missReasons">${misses}</small>` : html`<small class="muted" data-f="missReasons"></small>`}</td>
<td><div class="sparkcell">${sparkline(m, color, now, windowMs)}</div></td>
</tr>`
}

function hidden(name: string, value: string): Html {
  return html`<input type="hidden" name="${name}" value="${value}">`
}

function memberCard(s: BalancerSnapshot, m: MemberSnapshot, base: string, nonce: string, color: string): Html {
  const keys = [hidden('nonce', nonce), hidden('b', s.name), hidden('w', m.id)]
  const action = `${base}/`
  const states = ADMIN_STATES.map((state) =>
    html`<button type="submit" name="w_state" value="${state}" class="seg${m.admin === state && ' on'}" aria-pressed="${String(m.admin === state)}">${state[0]?.toUpperCase()}${state.slice(1)}</button>`)
  const routes = s.members.filter((o) => o.id !== m.id && o.route !== null).map((o) => o.route as string)
  const redirectOptions = [html`<option value="">(none)</option>`, ...routes.map((r) => html`<option value="${r}"${m.redirect === r && html` selected`}>${r}</option>`)]
  const recover = m.health !== 'ok' && html`<form method="post" action="${action}">${keys}${hidden('w_status_E', '0')}<button type="submit" class="btn">Recover now</button></form>`
  return html`<article class="card" data-card="${m.id}">
<header><h3><span class="swatch" style="background:${color}"></span>${m.id}</h3><span class="url">${m.url}</span></header>
<form method="post" action="${action}" class="states" aria-label="State of ${m.id}">${keys}<div class="segs" role="group" aria-label="State">${states}</div></form>
<form method="post" action="${action}" class="settings">${keys}
<label>Weight<input name="w_lf" type="number" min="1" max="100" step="1" required value="${m.weight}"></label>
<label>Route<input name="w_wr" value="${m.route ?? ''}" placeholder="jvmRoute" pattern="[A-Za-z0-9_\\-.~:]*"></label>
<label>Redirect<select name="w_rr">${redirectOptions}</select></label>
<label>Domain<input name="w_dm" value="${m.domain ?? ''}" placeholder="${m.effectiveDomain ?? 'none'}" pattern="[A-Za-z0-9_\\-.~:]*"></label>
<button type="submit" class="btn primary">Save</button>
</form>
<footer class="actions">
<form method="post" action="${action}">${keys}${hidden('w_reset', '1')}<button type="submit" class="btn">Reset counters</button></form>
${recover || ''}
<form method="post" action="${action}" data-confirm="Remove member ${m.id}? It takes no new request at once.">${keys}${hidden('w_remove', '1')}<button type="submit" class="btn danger">Remove</button></form>
</footer>
</article>`
}

const CSS = `
:root{--bg:#f6f7f9;--panel:#fff;--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--accent:#2563eb;--ok:#15803d;--okbg:#dcfce7;--warn:#b45309;--warnbg:#fef3c7;--bad:#b91c1c;--badbg:#fee2e2;--idle:#4b5563;--idlebg:#e5e7eb;--sb:#6d28d9;--sbbg:#ede9fe}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg)}
header.top{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;flex-wrap:wrap;padding:18px 28px;background:#111827;color:#f9fafb}
header.top h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header.top .sub{margin:4px 0 0;color:#cbd5e1;font-size:13px}
header.top .meta{font-size:12px;color:#9ca3af}
header.top a{color:#93c5fd;text-decoration:none}
header.top a:hover{text-decoration:underline}
main{padding:20px 28px 40px;max-width:1600px}
h2{font-size:15px;margin:28px 0 10px;font-weight:600}
.notice{padding:10px 14px;border-radius:6px;margin:0 0 12px;border:1px solid}
.notice.ok{background:var(--okbg);border-color:#86efac;color:#14532d}
.notice.bad{background:var(--badbg);border-color:#fca5a5;color:#7f1d1d}
.notice.info{background:#eff6ff;border-color:#bfdbfe;color:#1e3a8a}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.tile .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.tile .v{font-size:22px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:14px}
.chart{width:100%;height:auto;display:block}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .axis{fill:var(--muted);font-size:11px}
.chart .empty{fill:var(--muted);font-size:14px}
.legend{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted)}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.tablewrap{overflow-x:auto;background:var(--panel);border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:8px 7px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;white-space:nowrap}
thead th{background:#f9fafb;color:var(--muted);font-weight:600;font-size:12px;position:sticky;top:0}
tbody tr:last-child th,tbody tr:last-child td{border-bottom:0}
tbody tr:hover{background:#f9fafb}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
span.url{font-weight:400;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:var(--muted)}
.muted{color:var(--muted)}
.err{color:var(--bad);font-weight:600;font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600}
.s-active,.h-ok{background:var(--okbg);color:var(--ok)}
.s-draining,.h-recovering{background:var(--warnbg);color:var(--warn)}
.s-stopped{background:var(--idlebg);color:var(--idle)}
.s-standby{background:var(--sbbg);color:var(--sb)}
.h-error{background:var(--badbg);color:var(--bad)}
.sparkcell{display:flex;align-items:center;gap:6px}
.spark{display:block;width:84px;height:24px}
.rate{font-size:12px;color:var(--muted);font-variant-numeric:tabular-nums;min-width:44px;text-align:right}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:14px;display:flex;flex-direction:column;gap:12px}
.card header h3{margin:0;font-size:15px}
.card header .url{display:block;margin-top:2px}
.segs{display:flex;border:1px solid var(--line);border-radius:6px;overflow:hidden}
.seg{flex:1;border:0;border-right:1px solid var(--line);background:#fff;padding:7px 4px;font:inherit;font-size:13px;cursor:pointer;color:var(--ink)}
.seg:last-child{border-right:0}
.seg:hover{background:#f3f4f6}
.seg.on{background:var(--accent);color:#fff;font-weight:600}
.settings{display:grid;grid-template-columns:1fr 1fr;gap:8px 12px;align-items:end}
.settings label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:3px}
.settings input,.settings select,.addform input{font:inherit;font-size:13px;padding:6px 8px;border:1px solid #d1d5db;border-radius:6px;background:#fff;color:var(--ink);min-width:0}
.settings .btn{grid-column:2}
.btn{font:inherit;font-size:13px;padding:5px 10px;border-radius:6px;border:1px solid #d1d5db;background:#fff;color:var(--ink);cursor:pointer}
.btn:hover{background:#f3f4f6}
.btn.primary{background:var(--accent);border-color:var(--accent);color:#fff}
.btn.primary:hover{background:#1d4ed8}
.btn.danger{color:var(--bad);border-color:#fca5a5}
.btn.danger:hover{background:var(--badbg)}
.actions{display:flex;gap:8px;flex-wrap:wrap;border-top:1px solid var(--line);padding-top:10px}
.actions form{margin:0}
.addform{display:flex;gap:10px;flex-wrap:wrap;align-items:end}
.addform label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:3px}
footer.page{padding:0 28px 28px;color:var(--muted);font-size:12px}
:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
`

function script(s: BalancerSnapshot, base: string, nonce: string | undefined, refreshMs: number, windowMs: number): string {
  const config = JSON.stringify({ api: `${base}/api`, nonce: nonce ?? null, every: refreshMs, windowMs, ids: s.members.map((m) => m.id) }).replace(/</g, '\\u003c')
  return `(() => {
const C = ${config};
document.querySelectorAll('form[data-confirm]').forEach((f) => f.addEventListener('submit', (e) => { if (!confirm(f.dataset.confirm)) e.preventDefault() }));
if (!C.every) return;
const fmtBytes = (b) => { if (b < 1024) return b + ' B'; const u = ['KiB','MiB','GiB','TiB','PiB']; let v = b / 1024, i = 0; while (v >= 1024 && i < u.length - 1) { v /= 1024; i++ } return (v < 10 ? v.toFixed(1) : Math.round(v)) + ' ' + u[i] };
const fmtMs = (ms) => ms === 0 ? '–' : ms < 10 ? ms.toFixed(1) + ' ms' : ms < 10000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(1) + ' s';
const fmtRate = (v) => v >= 10 || v === 0 || Number.isInteger(v) ? Math.round(v) + '/s' : Number(v.toFixed(2)) + '/s';
const nice = (v) => { if (v <= 0) return 1; const e = Math.pow(10, Math.floor(Math.log10(v))); for (const s of [1, 2, 5, 10]) if (s * e >= v) return s * e; return 10 * e };
const pts = (p, now, max, w, h, span = C.windowMs) => p.filter(([t]) => t >= now - span).map(([t, v]) => (((t - (now - span)) / span) * w).toFixed(1) + ',' + (h - (Math.min(v, max) / max) * h).toFixed(1)).join(' ');
const set = (row, f, text) => { const el = row.querySelector('[data-f="' + f + '"]'); if (el && el.textContent !== String(text)) el.textContent = text };
const esc = (id) => (window.CSS && CSS.escape) ? CSS.escape(id) : id.replace(/["\\\\]/g, '\\\\$&');
async function tick() {
  try {
    const r = await fetch(C.api, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (!r.ok) throw new Error(r.status);
    const s = await r.json();
    if (C.nonce && s.nonce) { C.nonce = s.nonce; document.querySelectorAll('input[name="nonce"]').forEach((i) => { i.value = s.nonce }) }
    const ids = s.members.map((m) => m.id);
    if (ids.join('\\n') !== C.ids.join('\\n')) document.getElementById('changed').hidden = false;
    const chartMax = nice(Math.max(0, ...s.members.flatMap((m) => m.rate.map(([, v]) => v))));
    for (const m of s.members) {
      const row = document.querySelector('tr[data-m="' + esc(m.id) + '"]');
      if (!row) continue;
      for (const f of ['weight', 'elected', 'inFlight', 'errors']) set(row, f, f === 'weight' ? m.weight : m.counters[f]);
      set(row, 'effectiveWeight', m.effectiveWeight < m.weight ? 'now ' + m.effectiveWeight : '');
      set(row, 'bytesIn', fmtBytes(m.counters.bytesIn)); set(row, 'bytesOut', fmtBytes(m.counters.bytesOut));
      set(row, 'latency', fmtMs(m.latencyEwmaMs)); set(row, 'route', m.route ?? '–'); set(row, 'redirect', m.redirect ?? '–'); set(row, 'domain', m.effectiveDomain ?? '–');
      let hits = 0, fresh = 0, misses = 0; const why = [];
      for (const [k, n] of Object.entries(m.reasons)) { if (k === 'sticky' || k === 'redirect' || k === 'domain') hits += n; else if (k === 'new') fresh += n; else { misses += n; why.push(k.replace(/^rescheduled:/, '').replace(/^forced:/, 'forced ') + ' ' + n) } }
      set(row, 'hits', hits); set(row, 'new', fresh); set(row, 'misses', misses);
      const mr = row.querySelector('[data-f="missReasons"]'); if (mr) mr.innerText = why.join('\\n');
      for (const [f, v] of [['admin', m.admin], ['health', m.health]]) { const b = row.querySelector('[data-f="' + f + '"]'); if (b) { b.textContent = v; b.className = 'badge ' + (f === 'admin' ? 's-' : 'h-') + v } }
      const last = m.rate.length ? m.rate[m.rate.length - 1][1] : 0; set(row, 'rate', last.toFixed(1) + '/s');
      const sp = row.querySelector('polyline[data-spark]'); if (sp) sp.setAttribute('points', pts(m.rate, s.time, nice(Math.max(0, ...m.rate.map(([, v]) => v))), 120, 28, Math.min(C.windowMs, Math.max(60000, s.time - (m.rate.length ? m.rate[0][0] : s.time)))));
      const cl = document.querySelector('polyline[data-chart="' + esc(m.id) + '"]'); if (cl) cl.setAttribute('points', pts(m.rate, s.time, chartMax, 960, 180));
    }
    for (let i = 0; i <= 5; i++) { const a = document.querySelector('[data-axis="' + i + '"]'); if (a) a.textContent = fmtRate(chartMax * i / 5) }
    const empty = document.getElementById('chart-empty'); if (empty && s.members.some((m) => m.rate.length > 1)) empty.remove();
    for (const [k, v] of Object.entries({ requests: s.totals.requests, inFlight: s.totals.inFlight, errors: s.totals.errors, bytesIn: fmtBytes(s.totals.bytesIn), bytesOut: fmtBytes(s.totals.bytesOut), usable: s.members.filter((m) => m.usable).length + ' / ' + s.members.length })) { const el = document.querySelector('[data-t="' + k + '"]'); if (el) el.textContent = v }
    document.getElementById('updated').textContent = new Date(s.time).toISOString().replace('T', ' ').replace(/\\.\\d+Z$/, 'Z');
    document.getElementById('stale').hidden = true;
  } catch { document.getElementById('stale').hidden = false }
}
setInterval(tick, C.every);
})();`
}

/**
 * Renders the balancer-manager page.
 *
 * @example
 * ```ts
 * const html = renderHtml(balancerSnapshot(balancer, { stats }), {
 *   base: '/balancer-manager', nonce, readOnly: false, refreshMs: 5000, scriptNonce, metricsHref: '/balancer-manager/metrics',
 * })
 * ```
 */
export function renderHtml(s: BalancerSnapshot, page: HtmlPageOptions): string {
  const base = page.base
  const colors = new Map(s.members.map((m, i) => [m.id, PALETTE[i % PALETTE.length] as string]))
  const windowMs = Math.max(60_000, Math.round((s.historyMs ?? 300_000) / 60_000) * 60_000)
  const usable = s.members.filter((m) => m.usable).length
  const stickyText = s.sticky === null
    ? 'sticky sessions off'
    : `sticky on ${[...s.sticky.cookies.map((c) => `cookie ${c}`), s.sticky.pathParam ? `;${s.sticky.pathParam}` : '', s.sticky.queryParam ? `?${s.sticky.queryParam}=` : ''].filter(Boolean).join(', ')}${s.sticky.force ? ' (forced)' : ''}`
  const editable = !page.readOnly && page.nonce !== undefined
  const notices = [
    page.error && html`<p class="notice bad" role="alert">${page.error}</p>`,
    page.message && html`<p class="notice ok" role="status">${page.message}</p>`,
    page.readOnly && html`<p class="notice info">Read-only: this admin surface shows the balancer but does not change it.</p>`,
    html`<p class="notice info" id="changed" hidden>Members were added or removed. <a href="">Reload</a> to see them.</p>`,
    html`<p class="notice bad" id="stale" hidden>Live refresh failed; the numbers below may be stale.</p>`,
  ]
  const head = ['Member', 'Route', 'Failover', 'Weight', 'State', 'Health', 'Elected', 'Busy', 'To', 'From', 'Errors', 'Last error', 'Latency', 'Sticky', 'Misses', 'Rate']
  const numeric = new Set(['Weight', 'Elected', 'Busy', 'To', 'From', 'Errors', 'Latency', 'Sticky', 'Misses'])
  const titles: Record<string, string> = {
    Failover: 'redirect: the route that takes this member\'s sessions when it cannot; domain: members sharing replicated sessions', Elected: 'times chosen', Busy: 'requests in flight', To: 'request bytes sent to the member', From: 'response bytes received from the member',
    Latency: 'moving average of exchange durations', Sticky: 'requests that reached their session\'s member (or its redirect/domain)', Misses: 'session requests that had to be rescheduled, by reason',
    Rate: 'requests per second, recent history', Weight: 'configured weight; below it, during slow start, the weight schedulers use now',
  }
  const links = [html`<a href="${base}/api">JSON</a>`, html`<a href="${base}/?cmd=list&amp;mime=txt">jkstatus</a>`]
  if (page.metricsHref !== false) links.push(html`<a href="${page.metricsHref}">metrics</a>`)
  const linkList = links.map((link, i) => html`${i > 0 && ' · '}${link}`)
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>Balancer manager · ${s.name}</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header class="top">
<div><h1>Balancer manager · <span id="bname">balancer://${s.name}</span></h1>
<p class="sub">scheduler ${s.scheduler} · ${stickyText} · retry ${s.retrySeconds} s · failover attempts ${s.maxAttempts} · timeout ${s.timeoutMs / 1000} s</p></div>
<div class="meta">updated <time id="updated">${formatTime(s.time)}</time> · ${linkList}</div>
</header>
<main>
${notices}
<section class="tiles" aria-label="Totals">
<div class="tile"><div class="k">Usable members</div><div class="v" data-t="usable">${usable} / ${s.members.length}</div></div>
<div class="tile"><div class="k">Requests</div><div class="v" data-t="requests">${s.totals.requests}</div></div>
<div class="tile"><div class="k">In flight</div><div class="v" data-t="inFlight">${s.totals.inFlight}</div></div>
<div class="tile"><div class="k">Errors</div><div class="v" data-t="errors">${s.totals.errors}</div></div>
<div class="tile"><div class="k">Sent to members</div><div class="v" data-t="bytesOut">${formatBytes(s.totals.bytesOut)}</div></div>
<div class="tile"><div class="k">Received</div><div class="v" data-t="bytesIn">${formatBytes(s.totals.bytesIn)}</div></div>
</section>
<h2>Request rate</h2>
<section class="panel">${chart(s, colors, windowMs)}</section>
<h2>Members</h2>
<div class="tablewrap"><table id="members">
<thead><tr>${head.map((h) => html`<th scope="col"${numeric.has(h) && html` class="num"`}${titles[h] && html` title="${titles[h]}"`}>${h}</th>`)}</tr></thead>
<tbody>
${s.members.map((m, i) => html`${i > 0 && '\n'}${memberRow(m, colors.get(m.id) as string, s.time, windowMs)}`)}
</tbody>
</table></div>
${editable && html`<h2>Change members</h2>
<section class="cards">
${s.members.map((m, i) => html`${i > 0 && '\n'}${memberCard(s, m, base, page.nonce as string, colors.get(m.id) as string)}`)}
</section>
<h2>Add a member</h2>
<section class="panel"><form method="post" action="${base}/" class="addform">${hidden('nonce', page.nonce as string)}${hidden('b', s.name)}${hidden('b_wyes', '1')}
<label>URL<input name="b_nwrkr" required placeholder="http://10.0.0.3:8080 or ajp://10.0.0.3:8009" size="36"></label>
<label>Route<input name="b_nroute" placeholder="jvmRoute" pattern="[A-Za-z0-9_\\-.~:]*"></label>
<label>Weight<input name="b_nlf" type="number" min="1" max="100" step="1" value="1"></label>
<button type="submit" class="btn primary">Add member</button>
</form></section>`}
</main>
<footer class="page">States: <b>active</b> takes new and sticky requests · <b>draining</b> only requests of its own sessions (mod_jk DIS, mod_proxy N) · <b>stopped</b> nothing · <b>standby</b> only when no active member is usable (mod_proxy H). Health: <b>error</b> members are retried after ${s.retrySeconds} s (<b>recovering</b>).</footer>
<script nonce="${page.scriptNonce}">${raw(script(s, base, page.nonce, page.refreshMs, windowMs))}</script>
</body>
</html>
`.value
}
