/**
 * Prometheus metrics of a snapshot: as metric families (the shape `prom-client` collectors return
 * from `get()`), as text exposition format 0.0.4, and as collectors registered on a user's
 * `prom-client` `Registry`.
 *
 * Names (all labelled with `balancer` and `member`):
 * - counters `sticky_balancer_requests_total`, `_errors_total`, `_client_aborts_total`, `_received_bytes_total`,
 *   `_sent_bytes_total`, `_sticky_total{reason}`, `_responses_total{class}`;
 * - gauges `sticky_balancer_in_flight`, `_upgraded_connections`, `_member_weight`, `_member_admin_state{state}`,
 *   `_member_health_state{state}`, `_member_usable`, `_upstream_sockets{state}`,
 *   `_latency_ewma_seconds`;
 * - histogram `sticky_balancer_exchange_duration_seconds`.
 *
 * @module
 */
import { ADMIN_STATES } from '../members/member-state.js'
import type { BalancerSnapshot, MemberSnapshot } from './snapshot.js'
import type { MetricsRegistryLike } from './options.js'

/** The content type of the text exposition format this module writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

const HEALTH_STATES = ['ok', 'error', 'recovering'] as const

/** One sample: labels and value; `metricName` for histogram series (`_bucket`, `_sum`, `_count`). */
export interface MetricValue {
  readonly labels: Readonly<Record<string, string | number>>
  readonly value: number
  readonly metricName?: string
}

/** One metric family, as prom-client's `get()` returns it. */
export interface MetricFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly values: readonly MetricValue[]
  /** How prom-client's cluster mode merges workers' values. */
  readonly aggregator: 'sum' | 'max'
}

/** Every family name {@link metricFamilies} produces, in order. */
export const METRIC_NAMES = [
  'sticky_balancer_requests_total',
  'sticky_balancer_errors_total',
  'sticky_balancer_client_aborts_total',
  'sticky_balancer_received_bytes_total',
  'sticky_balancer_sent_bytes_total',
  'sticky_balancer_in_flight',
  'sticky_balancer_upgraded_connections',
  'sticky_balancer_member_weight',
  'sticky_balancer_member_admin_state',
  'sticky_balancer_member_health_state',
  'sticky_balancer_member_usable',
  'sticky_balancer_upstream_sockets',
  'sticky_balancer_latency_ewma_seconds',
  'sticky_balancer_sticky_total',
  'sticky_balancer_responses_total',
  'sticky_balancer_exchange_duration_seconds',
] as const

type Each = (m: MemberSnapshot, labels: Record<string, string>) => MetricValue[]

/**
 * The snapshot's metric families, in {@link METRIC_NAMES} order.
 *
 * @example
 * ```ts
 * const requests = metricFamilies(snap).find((f) => f.name === 'sticky_balancer_requests_total')
 * ```
 */
export function metricFamilies(snapshot: BalancerSnapshot): MetricFamily[] {
  const family = (name: string, type: MetricFamily['type'], help: string, each: Each): MetricFamily => ({
    name,
    help,
    type,
    aggregator: type === 'gauge' && name.includes('state') ? 'max' : 'sum',
    values: snapshot.members.flatMap((m) => each(m, { balancer: snapshot.name, member: m.id })),
  })
  const one = (value: (m: MemberSnapshot) => number): Each => (m, labels) => [{ labels, value: value(m) }]
  return [
    family('sticky_balancer_requests_total', 'counter', 'Requests sent to the member.', one((m) => m.counters.requests)),
    family('sticky_balancer_errors_total', 'counter', 'Failed exchanges with the member (connect, timeout, reset, protocol).', one((m) => m.counters.errors)),
    family('sticky_balancer_client_aborts_total', 'counter', 'Exchanges the client ended: closed, or stalled past clientBodyTimeout / clientSendTimeout. Not member errors.', one((m) => m.counters.clientAborts)),
    family('sticky_balancer_received_bytes_total', 'counter', 'Response body bytes received from the member.', one((m) => m.counters.bytesIn)),
    family('sticky_balancer_sent_bytes_total', 'counter', 'Request body bytes sent to the member.', one((m) => m.counters.bytesOut)),
    family('sticky_balancer_in_flight', 'gauge', 'Requests the member is serving now.', one((m) => m.counters.inFlight)),
    family('sticky_balancer_upgraded_connections', 'gauge', 'Upgraded connections (WebSocket) to the member open now; counted in in_flight too.', one((m) => m.counters.upgraded)),
    family('sticky_balancer_member_weight', 'gauge', 'The member\'s weight (share of new requests).', one((m) => m.weight)),
    family('sticky_balancer_member_admin_state', 'gauge', 'The member\'s admin state: 1 for the current one.', (m, labels) =>
      ADMIN_STATES.map((state) => ({ labels: { ...labels, state }, value: m.admin === state ? 1 : 0 }))),
    family('sticky_balancer_member_health_state', 'gauge', 'The member\'s health state: 1 for the current one.', (m, labels) =>
      HEALTH_STATES.map((state) => ({ labels: { ...labels, state }, value: m.health === state ? 1 : 0 }))),
    family('sticky_balancer_member_usable', 'gauge', 'Whether the member would take a new request now (1) or not (0).', one((m) => (m.usable ? 1 : 0))),
    family('sticky_balancer_upstream_sockets', 'gauge', 'Upstream sockets to the member, open and idle.', (m, labels) => [
      { labels: { ...labels, state: 'open' }, value: m.sockets.open },
      { labels: { ...labels, state: 'idle' }, value: m.sockets.idle },
    ]),
    family('sticky_balancer_latency_ewma_seconds', 'gauge', 'Moving average of exchange durations with the member.', one((m) => m.latencyEwmaMs / 1000)),
    family('sticky_balancer_sticky_total', 'counter', 'Requests routed to the member, by reason (sticky, new, redirect, domain, rescheduled:*).', (m, labels) =>
      Object.entries(m.reasons).map(([reason, value]) => ({ labels: { ...labels, reason }, value }))),
    family('sticky_balancer_responses_total', 'counter', 'Finished exchanges with the member by status class (error: failed).', (m, labels) =>
      Object.entries(m.responses).map(([klass, value]) => ({ labels: { ...labels, class: klass }, value }))),
    family('sticky_balancer_exchange_duration_seconds', 'histogram', 'Duration of exchanges with the member.', (m, labels) => {
      const h = m.latency
      if (!h) return []
      const out: MetricValue[] = []
      let cumulative = 0
      h.boundsMs.forEach((bound, i) => {
        cumulative += h.counts[i] ?? 0
        out.push({ metricName: 'sticky_balancer_exchange_duration_seconds_bucket', labels: { ...labels, le: bound / 1000 }, value: cumulative })
      })
      out.push({ metricName: 'sticky_balancer_exchange_duration_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: h.count })
      out.push({ metricName: 'sticky_balancer_exchange_duration_seconds_sum', labels, value: h.sumMs / 1000 })
      out.push({ metricName: 'sticky_balancer_exchange_duration_seconds_count', labels, value: h.count })
      return out
    }),
  ]
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

/**
 * Writes metric families in the Prometheus text exposition format 0.0.4.
 *
 * @example
 * ```ts
 * res.setHeader('content-type', PROMETHEUS_CONTENT_TYPE)
 * res.end(renderPrometheus(balancerSnapshot(balancer, { stats })))
 * ```
 */
export function renderPrometheus(snapshot: BalancerSnapshot): string {
  return formatFamilies(metricFamilies(snapshot))
}

/** The text exposition of any families (shared with tests and custom collectors). */
export function formatFamilies(families: readonly MetricFamily[]): string {
  let out = ''
  for (const f of families) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`
    for (const v of f.values) {
      const labels = Object.entries(v.labels).map(([k, value]) => `${k}="${escapeLabel(String(value))}"`).join(',')
      out += `${v.metricName ?? f.name}${labels ? `{${labels}}` : ''} ${formatValue(v.value)}\n`
    }
  }
  return out
}

/**
 * Registers one collector per metric family on a `prom-client` `Registry` (duck-typed). Each
 * collector's `get()` takes a fresh snapshot. Returns a function that removes them again.
 *
 * Throws when the registry already holds a metric of one of these names (as prom-client does).
 */
export function registerCollectors(registry: MetricsRegistryLike, snapshot: () => BalancerSnapshot): () => void {
  const names: string[] = []
  const helps = new Map(metricFamilies({ ...snapshot(), members: [] }).map((f) => [f.name, f.help]))
  for (const name of METRIC_NAMES) {
    const existing = registry.getSingleMetric?.(name)
    if (existing !== undefined && existing !== null) {
      for (const done of names) registry.removeSingleMetric?.(done)
      throw new Error(`the registry already has a metric named ${name} (one admin handler per registry, or close the other first)`)
    }
    const type = name === 'sticky_balancer_exchange_duration_seconds' ? 'histogram' : name.endsWith('_total') ? 'counter' : 'gauge'
    const collector = {
      name,
      help: helps.get(name) ?? name,
      type,
      aggregator: 'sum',
      get(): MetricFamily {
        return metricFamilies(snapshot()).find((f) => f.name === name) as MetricFamily
      },
      reset(): void {},
    }
    registry.registerMetric(collector)
    names.push(name)
  }
  return () => {
    for (const name of names) registry.removeSingleMetric?.(name)
  }
}
