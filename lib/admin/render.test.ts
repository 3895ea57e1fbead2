import { afterEach, describe, expect, it } from 'vitest'
import { createBalancer } from '../balancer.js'
import type { Balancer } from '../balancer.js'
import { resolveAdminOptions } from './options.js'
import { escapeHtml, formatBytes, renderHtml, stickyCounts } from './render-html.js'
import { renderJkStatus } from './render-jkstatus.js'
import { renderJson } from './render-json.js'
import { METRIC_NAMES, formatFamilies, registerCollectors, renderPrometheus } from './render-prometheus.js'
import type { MetricFamily } from './render-prometheus.js'
import { balancerSnapshot } from './snapshot.js'
import type { BalancerSnapshot } from './snapshot.js'
import { AdminStats } from './stats.js'

const balancers: Balancer[] = []
afterEach(async () => {
  for (const b of balancers.splice(0)) await b.close()
})

function fixture(): Balancer {
  const balancer = createBalancer({
    logger: false,
    members: [
      { url: 'http://10.0.0.1:8080', route: 'TomcatA', weight: 3 },
      { url: 'ajp://10.0.0.2:8009', route: 'dc1.TomcatB', redirect: 'TomcatA' },
      { url: 'https://10.0.0.3', state: 'standby' },
    ],
  })
  balancers.push(balancer)
  const [a, b] = balancer.members
  Object.assign(a!.counters, { requests: 10, elected: 10, inFlight: 2, bytesIn: 5000, bytesOut: 300, errors: 1 })
  a!.reasons.set('new', 6).set('sticky', 3).set('rescheduled:unknown-route', 1)
  a!.latencyEwma = 12.5
  b!.markError(Date.now(), 60_000, { code: 'LB_ERR_UPSTREAM_CONNECT', message: 'could not connect to 10.0.0.2:8009 (ECONNREFUSED)' })
  return balancer
}

/** A tiny parser of the text exposition format: `name{labels} value` lines, with TYPE lines checked. */
function parseProm(text: string): { types: Map<string, string>; samples: { name: string; labels: Record<string, string>; value: number }[] } {
  const types = new Map<string, string>()
  const samples: { name: string; labels: Record<string, string>; value: number }[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      types.set(type[1]!, type[2]!)
      continue
    }
    if (line.startsWith('# HELP ')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\')
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) })
  }
  return { types, samples }
}

function value(parsed: ReturnType<typeof parseProm>, name: string, labels: Record<string, string>): number | undefined {
  return parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}

describe('balancerSnapshot', () => {
  it('is plain JSON-safe data with every member field', () => {
    const snap = balancerSnapshot(fixture(), { name: 'lb', now: 1_000 })
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap)
    expect(snap).toMatchObject({ version: 1, name: 'lb', time: 1_000, scheduler: 'byrequests', retrySeconds: 60, maxAttempts: 2 })
    expect(snap.sticky).toMatchObject({ cookies: ['JSESSIONID'], pathParam: 'jsessionid', separator: '.', force: false })
    expect(snap.totals).toEqual({ requests: 10, inFlight: 2, bytesIn: 5000, bytesOut: 300, errors: 1 })
    const [a, b, c] = snap.members
    expect(a).toMatchObject({
      id: 'TomcatA', url: 'http://10.0.0.1:8080', protocol: 'http', route: 'TomcatA', redirect: null, domain: null, effectiveDomain: null,
      weight: 3, admin: 'active', health: 'ok', usable: true, retryAt: null, latencyEwmaMs: 12.5, lastError: null,
      counters: { requests: 10, elected: 10, inFlight: 2, bytesIn: 5000, bytesOut: 300, errors: 1 },
      reasons: { new: 6, 'rescheduled:unknown-route': 1, sticky: 3 }, sockets: { open: 0, idle: 0 }, rate: [], latency: null,
    })
    expect(b).toMatchObject({ id: 'dc1.TomcatB', url: 'ajp://10.0.0.2:8009', protocol: 'ajp', redirect: 'TomcatA', effectiveDomain: 'dc1', health: 'error', usable: false })
    expect(b!.retryAt).toBeGreaterThan(1_000)
    // Code and time only: the message names internal addresses.
    expect(b!.lastError).toEqual({ code: 'LB_ERR_UPSTREAM_CONNECT', at: expect.any(Number) })
    expect(JSON.stringify(b)).not.toContain('ECONNREFUSED')
    expect(c).toMatchObject({ id: '10.0.0.3', url: 'https://10.0.0.3', admin: 'standby', route: null })
  })

  it('does not move an error member to recovering (isUsable would)', () => {
    const balancer = fixture()
    const member = balancer.members[1]!
    balancerSnapshot(balancer, { now: Date.now() + 3_600_000 })
    expect(member.health).toBe('error')
  })

  it('carries rate history and latency from the stats', () => {
    const balancer = fixture()
    const stats = new AdminStats(balancer, { sampleMs: 1_000, historySize: 3, latencyBuckets: [10, 100] })
    try {
      const a = balancer.members[0]!
      const t0 = Date.now()
      for (let i = 1; i <= 5; i++) {
        a.counters.requests += 10 * i
        stats.sample(t0 + i * 1_000)
      }
      stats.record({ member: a, status: 200, durationMs: 5, bytesIn: 0, bytesOut: 0, reason: 'new' })
      stats.record({ member: a, status: 503, durationMs: 50, bytesIn: 0, bytesOut: 0, reason: 'new' })
      stats.record({ member: a, status: 0, durationMs: 500, bytesIn: 0, bytesOut: 0, reason: 'new', error: 'LB_ERR_UPSTREAM_RESET' })
      const snap = balancerSnapshot(balancer, { stats })
      expect(snap.sampleMs).toBe(1_000)
      expect(snap.historyMs).toBe(3_000)
      expect(snap.members[0]!.rate.map(([, v]) => v)).toEqual([30, 40, 50])
      expect(snap.members[0]!.latency).toEqual({ boundsMs: [10, 100], counts: [1, 1, 1], sumMs: 555, count: 3 })
      expect(snap.members[0]!.responses).toEqual({ '2xx': 1, '5xx': 1, error: 1 })
      // A counter reset counts from zero instead of going negative.
      a.counters.requests = 4
      stats.sample(t0 + 6_000)
      expect(stats.rateOf(a).at(-1)?.[1]).toBe(4)
    } finally {
      stats.close()
    }
  })
})

describe('renderPrometheus', () => {
  it('writes parsable exposition with the member counters, states, reasons and histogram', () => {
    const balancer = fixture()
    const stats = new AdminStats(balancer, { sampleMs: 1_000, historySize: 3, latencyBuckets: [10, 100] })
    try {
      const a = balancer.members[0]!
      stats.record({ member: a, status: 200, durationMs: 5, bytesIn: 0, bytesOut: 0, reason: 'new' })
      stats.record({ member: a, status: 200, durationMs: 50, bytesIn: 0, bytesOut: 0, reason: 'new' })
      stats.record({ member: a, status: 200, durationMs: 5000, bytesIn: 0, bytesOut: 0, reason: 'new' })
      const text = renderPrometheus(balancerSnapshot(balancer, { name: 'lb', stats }))
      const p = parseProm(text)
      expect([...p.types.keys()]).toEqual([...METRIC_NAMES])
      expect(p.types.get('sticky_balancer_requests_total')).toBe('counter')
      expect(p.types.get('sticky_balancer_in_flight')).toBe('gauge')
      expect(p.types.get('sticky_balancer_exchange_duration_seconds')).toBe('histogram')
      const A = { balancer: 'lb', member: 'TomcatA' }
      expect(value(p, 'sticky_balancer_requests_total', A)).toBe(10)
      expect(value(p, 'sticky_balancer_errors_total', A)).toBe(1)
      expect(value(p, 'sticky_balancer_received_bytes_total', A)).toBe(5000)
      expect(value(p, 'sticky_balancer_sent_bytes_total', A)).toBe(300)
      expect(value(p, 'sticky_balancer_in_flight', A)).toBe(2)
      expect(value(p, 'sticky_balancer_member_weight', A)).toBe(3)
      expect(value(p, 'sticky_balancer_latency_ewma_seconds', A)).toBe(0.0125)
      expect(value(p, 'sticky_balancer_member_admin_state', { ...A, state: 'active' })).toBe(1)
      expect(value(p, 'sticky_balancer_member_admin_state', { ...A, state: 'draining' })).toBe(0)
      expect(value(p, 'sticky_balancer_member_health_state', { member: 'dc1.TomcatB', state: 'error' })).toBe(1)
      expect(value(p, 'sticky_balancer_member_usable', { member: 'dc1.TomcatB' })).toBe(0)
      expect(value(p, 'sticky_balancer_member_admin_state', { member: '10.0.0.3', state: 'standby' })).toBe(1)
      expect(value(p, 'sticky_balancer_sticky_total', { ...A, reason: 'sticky' })).toBe(3)
      expect(value(p, 'sticky_balancer_sticky_total', { ...A, reason: 'rescheduled:unknown-route' })).toBe(1)
      expect(value(p, 'sticky_balancer_upstream_sockets', { ...A, state: 'open' })).toBe(0)
      expect(value(p, 'sticky_balancer_responses_total', { ...A, class: '2xx' })).toBe(3)
      expect(value(p, 'sticky_balancer_exchange_duration_seconds_bucket', { ...A, le: '0.01' })).toBe(1)
      expect(value(p, 'sticky_balancer_exchange_duration_seconds_bucket', { ...A, le: '0.1' })).toBe(2)
      expect(value(p, 'sticky_balancer_exchange_duration_seconds_bucket', { ...A, le: '+Inf' })).toBe(3)
      expect(value(p, 'sticky_balancer_exchange_duration_seconds_sum', A)).toBeCloseTo(5.055)
      expect(value(p, 'sticky_balancer_exchange_duration_seconds_count', A)).toBe(3)
    } finally {
      stats.close()
    }
  })

  it('escapes label values', () => {
    const text = formatFamilies([{ name: 'x', help: 'a\\b\nc', type: 'gauge', aggregator: 'sum', values: [{ labels: { member: 'a"b\\c\nd' }, value: 1 }] }])
    expect(text).toBe('# HELP x a\\\\b\\nc\n# TYPE x gauge\nx{member="a\\"b\\\\c\\nd"} 1\n')
    expect(parseProm(text).samples[0]!.labels.member).toBe('a"b\\c\nd')
  })
})

describe('registerCollectors', () => {
  /** The part of prom-client's Registry the collectors use, formatting like prom-client does. */
  class FakeRegistry {
    readonly metricsByName = new Map<string, { name: string; help: string; type: string; get(): MetricFamily | Promise<MetricFamily> }>()
    registerMetric(metric: { name: string; help: string; type: string; get(): MetricFamily }): void {
      if (this.metricsByName.has(metric.name)) throw new Error(`A metric with the name ${metric.name} has already been registered.`)
      this.metricsByName.set(metric.name, metric)
    }
    getSingleMetric(name: string): unknown {
      return this.metricsByName.get(name)
    }
    removeSingleMetric(name: string): void {
      this.metricsByName.delete(name)
    }
    async metrics(): Promise<string> {
      const families: MetricFamily[] = []
      for (const metric of this.metricsByName.values()) families.push(await metric.get())
      return formatFamilies(families)
    }
  }

  it('registers one live collector per family and removes them again', async () => {
    const balancer = fixture()
    const registry = new FakeRegistry()
    const unregister = registerCollectors(registry, () => balancerSnapshot(balancer, { name: 'lb' }))
    expect([...registry.metricsByName.keys()]).toEqual([...METRIC_NAMES])
    const collector = registry.metricsByName.get('sticky_balancer_requests_total')!
    expect(collector).toMatchObject({ type: 'counter', help: 'Requests sent to the member.' })
    expect(registry.metricsByName.get('sticky_balancer_exchange_duration_seconds')!.type).toBe('histogram')
    expect(value(parseProm(await registry.metrics()), 'sticky_balancer_requests_total', { member: 'TomcatA' })).toBe(10)
    balancer.members[0]!.counters.requests = 42
    expect(value(parseProm(await registry.metrics()), 'sticky_balancer_requests_total', { member: 'TomcatA' })).toBe(42)
    expect(() => registerCollectors(registry, () => balancerSnapshot(balancer))).toThrow(/already has a metric named sticky_balancer_requests_total/)
    expect(registry.metricsByName.size).toBe(METRIC_NAMES.length)
    unregister()
    expect(registry.metricsByName.size).toBe(0)
  })
})

describe('renderJkStatus', () => {
  const snap = (): BalancerSnapshot => balancerSnapshot(fixture(), { name: 'lb' })

  it('prop: worker.<name>.<key>=<value> lines, members listed as balance_workers', () => {
    const text = renderJkStatus(snap(), { mime: 'prop' })
    const lines = text.trimEnd().split('\n')
    for (const line of lines) expect(line).toMatch(/^worker\.[^=]+=[^\n]*$/)
    expect(lines[0]).toBe('worker.list=lb')
    expect(lines).toContain('worker.lb.type=lb')
    expect(lines).toContain('worker.lb.sticky_session=True')
    expect(lines).toContain('worker.lb.member_count=3')
    expect(lines).toContain('worker.lb.balance_workers=TomcatA')
    expect(lines).toContain('worker.TomcatA.activation=ACT')
    expect(lines).toContain('worker.TomcatA.lbfactor=3')
    expect(lines).toContain('worker.TomcatA.elected=10')
    expect(lines).toContain('worker.TomcatA.read=5000')
    expect(lines).toContain('worker.TomcatA.transferred=300')
    expect(lines).toContain('worker.dc1.TomcatB.type=ajp13')
    expect(lines).toContain('worker.dc1.TomcatB.state=ERR')
    expect(lines).toContain('worker.dc1.TomcatB.redirect=TomcatA')
    expect(lines).toContain('worker.dc1.TomcatB.domain=dc1')
    expect(lines).toContain('worker.10.0.0.3.admin_state=standby')
  })

  it('txt: one Balancer Worker line and one Member line each, with a Result line for commands', () => {
    const lines = renderJkStatus(snap(), { mime: 'txt', member: 'TomcatA', result: { type: 'OK', message: 'Action finished' } }).trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe('Result: type=OK message="Action finished"')
    expect(lines[1]).toMatch(/^Balancer Worker: name=lb type=lb sticky_session=True sticky_session_force=False retries=2 recover_time=60 method=byrequests member_count=3 good=1 degraded=1 bad=1 busy=2$/)
    expect(lines[2]).toMatch(/^Member: name=TomcatA type=http host=10\.0\.0\.1 port=8080 address=10\.0\.0\.1:8080 activation=ACT lbfactor=3 route="TomcatA" redirect="" domain="" /)
  })

  it('xml: jk:status / jk:balancers / jk:balancer / jk:member with one attribute per line', () => {
    const xml = renderJkStatus(snap(), { mime: 'xml', result: { type: 'NOT OK', message: 'a "quoted" <thing>' } })
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8" ?>\n<jk:status xmlns:jk="http://tomcat.apache.org">\n')).toBe(true)
    expect(xml).toContain('<jk:result type="NOT OK" message="a &quot;quoted&quot; &lt;thing&gt;"/>')
    expect(xml).toContain('<jk:balancers count="1">')
    expect(xml.match(/<jk:member\n/g)).toHaveLength(3)
    expect(xml).toMatch(/<jk:member\n {8}name="TomcatA"\n {8}type="http"\n/)
    expect(xml).toContain('        activation="ACT"\n')
    expect(xml).toContain('        error_code="LB_ERR_UPSTREAM_CONNECT"\n')
    expect(xml.trimEnd().endsWith('</jk:balancer>\n  </jk:balancers>\n</jk:status>')).toBe(true)
    // Balanced tags.
    const open = (xml.match(/<jk:(status|balancers|balancer)\b/g) ?? []).length
    const close = (xml.match(/<\/jk:(status|balancers|balancer)>/g) ?? []).length
    expect(open).toBe(close)
  })
})

describe('renderJson', () => {
  it('is the snapshot plus readOnly and the nonce', () => {
    const s = snap2()
    expect(JSON.parse(renderJson(s, { readOnly: false, nonce: 'n1' }))).toEqual({ ...JSON.parse(JSON.stringify(s)), readOnly: false, nonce: 'n1' })
    expect(JSON.parse(renderJson(s, { readOnly: true }))).not.toHaveProperty('nonce')
  })
  function snap2(): BalancerSnapshot {
    return balancerSnapshot(fixture())
  }
})

describe('renderHtml', () => {
  it('shows the effective weight under the configured one only while slow start ramps the member', () => {
    const balancer = createBalancer({ logger: false, slowStartMs: 60_000, members: [{ url: 'http://10.0.0.1:8080', route: 'TomcatA', weight: 10 }, { url: 'http://10.0.0.2:8080', route: 'TomcatB', weight: 4 }] })
    balancers.push(balancer)
    const now = Date.now()
    balancer.member('TomcatA')!.startRamp(now - 30_000)
    const html = renderHtml(balancerSnapshot(balancer, { now }), { base: '/balancer-manager', readOnly: false, refreshMs: 5000, scriptNonce: 'csp', metricsHref: false, nonce: 'n' })
    const row = (id: string): string => html.slice(html.indexOf(`<tr data-m="${id}">`), html.indexOf('</tr>', html.indexOf(`<tr data-m="${id}">`)))
    expect(row('TomcatA')).toContain('<span data-f="weight">10</span>')
    expect(row('TomcatA')).toMatch(/data-f="effectiveWeight"[^>]*>now 5</)
    expect(row('TomcatB')).toContain('<span data-f="weight">4</span>')
    expect(row('TomcatB')).toMatch(/data-f="effectiveWeight"[^>]*></)
  })

  const page = { base: '/balancer-manager', readOnly: false, refreshMs: 5000, scriptNonce: 'csp123', metricsHref: '/balancer-manager/metrics' as const }

  it('shows every member with its settings, counters and a chart, and forms carrying the nonce', () => {
    const html = renderHtml(balancerSnapshot(fixture(), { name: 'lb' }), { ...page, nonce: 'NONCE1' })
    expect(html.startsWith('<!doctype html>')).toBe(true)
    for (const id of ['TomcatA', 'dc1.TomcatB', '10.0.0.3']) expect(html).toContain(`<tr data-m="${id}">`)
    expect(html).toContain('http://10.0.0.1:8080')
    expect(html).toContain('UPSTREAM_CONNECT')
    expect(html).toContain('<polyline data-chart="TomcatA"')
    expect(html).toContain('<polyline data-spark="TomcatA"')
    expect(html).toContain('<input type="hidden" name="nonce" value="NONCE1">')
    expect(html).toMatch(/<button type="submit" name="w_state" value="draining"/)
    expect(html).toContain('name="w_lf"')
    expect(html).toContain('name="b_nwrkr"')
    expect(html).toContain('name="w_remove"')
    expect(html).toContain('<script nonce="csp123">')
    // No external assets.
    expect(html).not.toMatch(/<img\b|src="http|href="http/)
    // The only link is an empty inline icon, so the browser does not ask the members for /favicon.ico.
    expect(html.match(/<link\b[^>]*>/g)).toEqual(['<link rel="icon" href="data:,">'])
  })

  it('has no forms in read-only mode', () => {
    const html = renderHtml(balancerSnapshot(fixture()), { ...page, readOnly: true })
    expect(html).not.toContain('<form')
    expect(html).toContain('Read-only')
  })

  it('escapes everything it shows', () => {
    const html = renderHtml(balancerSnapshot(fixture()), { ...page, nonce: 'n', message: '<script>alert(1)</script>', error: '"><img src=x>' })
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(html).toContain('&quot;&gt;&lt;img src=x&gt;')
    expect(html).not.toContain('<img')
  })

  it('helpers', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MiB')
    expect(stickyCounts({ sticky: 3, redirect: 1, new: 5, 'rescheduled:member-error': 2 })).toEqual({ hits: 4, fresh: 5, misses: 2, byReason: [['rescheduled:member-error', 2]] })
  })
})

describe('resolveAdminOptions', () => {
  it('fills in defaults', () => {
    expect(resolveAdminOptions({})).toMatchObject({ path: '/balancer-manager', readOnly: false, metricsPath: '/balancer-manager/metrics', name: 'balancer', refreshMs: 5_000, sampleMs: 5_000, historySize: 60 })
    expect(resolveAdminOptions({ path: '/lb/', metricsPath: false }).path).toBe('/lb')
    expect(resolveAdminOptions({ metricsPath: false }).metricsPath).toBe(false)
  })
  it.each([
    [{ path: 'lb' }, /admin\.path must be a path/],
    [{ path: '/' }, /admin\.path/],
    [{ readOnly: 'yes' }, /admin\.readOnly must be true or false/],
    [{ authorize: true }, /admin\.authorize must be a function/],
    [{ metricsPath: 'metrics' }, /admin\.metricsPath must be a path/],
    [{ registry: {} }, /admin\.registry must be a prom-client Registry/],
    [{ name: 'a b' }, /admin\.name must be/],
    [{ logger: {} }, /admin\.logger must have a debug\(\) method/],
    [{ refreshMs: -1 }, /admin\.refreshMs must be an integer number of milliseconds from 0 to 3600000, got -1/],
    [{ refreshSeconds: 5 }, /admin\.refreshSeconds was renamed refreshMs \(milliseconds\): use refreshMs: 5000/],
    [{ sampleMs: 1.5 }, /admin\.sampleMs must be an integer number of milliseconds/],
    [{ latencyBuckets: [10, 5] }, /admin\.latencyBuckets/],
    [{ pth: '/x' }, /admin\.pth is not a known option \(known: path, /],
  ])('rejects %j', (options, message) => {
    expect(() => resolveAdminOptions(options as never)).toThrow(message)
    try {
      resolveAdminOptions(options as never)
    } catch (err) {
      expect((err as { code?: string }).code).toBe('LB_ERR_INVALID_OPTION')
    }
  })
  it('is checked by createBalancer for the admin option', () => {
    expect(() => createBalancer({ logger: false, members: [{ url: 'http://127.0.0.1:1' }], admin: { path: 'nope' } })).toThrow(/admin\.path/)
  })
})
