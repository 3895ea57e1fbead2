/**
 * What the admin surface records beyond the members' own counters: a short request-rate history
 * per member (for the page's charts) and per-member latency histograms and response classes (for
 * Prometheus), fed by the balancer's `exchange` events.
 *
 * One {@link AdminStats} per admin handler: one `unref()`ed timer, stopped by `close()`.
 *
 * @module
 */
import type { BalancerControl, MemberView } from '../control.js'
import type { ExchangeEvent } from '../types.js'

/**
 * One rate sample: when (ms since epoch) and requests per second over the interval before it.
 *
 * @example
 * ```ts
 * const [time, perSecond] = admin.snapshot().members[0]?.rate.at(-1) ?? [Date.now(), 0]
 * console.log(`${perSecond.toFixed(1)} req/s at ${new Date(time).toISOString()}`)
 * ```
 */
export type RatePoint = readonly [time: number, perSecond: number]

/**
 * A latency histogram: counts per bucket (not cumulative; the last one is `+Inf`), in ms.
 *
 * @example
 * ```ts
 * const latency = admin.snapshot().members[0]?.latency
 * // { boundsMs: [5, 10, 25, …, 10000], counts: [40, 12, 3, 0, …, 0], sumMs: 310.5, count: 55 }
 * if (latency && latency.count > 0) console.log(`mean ${(latency.sumMs / latency.count).toFixed(1)} ms`)
 * ```
 */
export interface LatencyHistogram {
  /** Upper bounds of the buckets in ms, without `+Inf`. */
  readonly boundsMs: readonly number[]
  /** `boundsMs.length + 1` counts; `counts[i]` = exchanges with `boundsMs[i-1] < ms <= boundsMs[i]`. */
  readonly counts: readonly number[]
  /** Sum of every recorded duration, ms. */
  readonly sumMs: number
  /** Exchanges recorded (the sum of `counts`). */
  readonly count: number
}

/**
 * What snapshots read from the recorded statistics. The admin handler keeps its own; pass one to
 * {@link balancerSnapshot} to render other recorded numbers.
 *
 * @example
 * ```ts
 * const none: StatsSource = {
 *   sampleMs: 5000,
 *   historySize: 60,
 *   rateOf: () => [],
 *   latencyOf: () => undefined,
 *   responsesOf: () => ({}),
 * }
 * balancerSnapshot(balancer, { stats: none })
 * ```
 */
export interface StatsSource {
  /** Sampling interval of {@link rateOf}, in ms. */
  readonly sampleMs: number
  /** Most samples kept per member. */
  readonly historySize: number
  /** Rate samples of a member, oldest first. */
  rateOf(member: MemberView): readonly RatePoint[]
  /** The member's latency histogram since the stats started (or were reset). */
  latencyOf(member: MemberView): LatencyHistogram | undefined
  /** Finished exchanges by status class (`2xx`, `5xx`, …; `error` when no status was received). */
  responsesOf(member: MemberView): Readonly<Record<string, number>>
}

interface MemberRecord {
  lastRequests: number
  lastTime: number
  points: RatePoint[]
  counts: number[]
  sumMs: number
  count: number
  responses: Record<string, number>
}

/**
 * Samples every member's request counter every `sampleMs`, keeping `historySize` samples, and
 * records each finished exchange's duration and status class.
 */
export class AdminStats implements StatsSource {
  readonly sampleMs: number
  readonly historySize: number
  readonly #balancer: BalancerControl
  readonly #bounds: readonly number[]
  readonly #records = new WeakMap<MemberView, MemberRecord>()
  readonly #timer: NodeJS.Timeout
  readonly #onExchange = (event: ExchangeEvent): void => this.record(event)
  readonly #onRemoved = (member: MemberView): void => void this.#records.delete(member)

  constructor(balancer: BalancerControl, options: { sampleMs: number; historySize: number; latencyBuckets: readonly number[] }) {
    this.#balancer = balancer
    this.sampleMs = options.sampleMs
    this.historySize = options.historySize
    this.#bounds = options.latencyBuckets
    balancer.on('exchange', this.#onExchange)
    balancer.on('member:removed', this.#onRemoved)
    this.sample()
    this.#timer = setInterval(() => this.sample(), this.sampleMs)
    this.#timer.unref()
  }

  #record(member: MemberView, now = Date.now()): MemberRecord {
    let record = this.#records.get(member)
    if (!record) {
      record = { lastRequests: member.counters.requests, lastTime: now, points: [], counts: new Array<number>(this.#bounds.length + 1).fill(0), sumMs: 0, count: 0, responses: {} }
      this.#records.set(member, record)
    }
    return record
  }

  /** Takes one rate sample of every member now (the timer calls this). */
  sample(now = Date.now()): void {
    for (const member of this.#balancer.members) {
      const fresh = !this.#records.has(member)
      const record = this.#record(member, now)
      if (fresh) continue
      const elapsed = (now - record.lastTime) / 1000
      if (elapsed <= 0) continue
      const requests = member.counters.requests
      // A counter reset (cmd=reset) counts from zero.
      const delta = requests >= record.lastRequests ? requests - record.lastRequests : requests
      record.points.push([now, Math.round((delta / elapsed) * 1000) / 1000])
      if (record.points.length > this.historySize) record.points.splice(0, record.points.length - this.historySize)
      record.lastRequests = requests
      record.lastTime = now
    }
  }

  /** Records one finished exchange (the `exchange` listener calls this). */
  record(event: ExchangeEvent): void {
    const record = this.#record(event.member)
    const ms = event.durationMs
    let i = 0
    while (i < this.#bounds.length && ms > (this.#bounds[i] as number)) i++
    record.counts[i] = (record.counts[i] ?? 0) + 1
    record.sumMs += ms
    record.count++
    const klass = event.status >= 100 && event.status < 600 && event.error === undefined ? `${Math.floor(event.status / 100)}xx` : 'error'
    record.responses[klass] = (record.responses[klass] ?? 0) + 1
  }

  rateOf(member: MemberView): readonly RatePoint[] {
    return this.#records.get(member)?.points ?? []
  }

  latencyOf(member: MemberView): LatencyHistogram | undefined {
    const record = this.#records.get(member)
    if (!record) return { boundsMs: this.#bounds, counts: new Array<number>(this.#bounds.length + 1).fill(0), sumMs: 0, count: 0 }
    return { boundsMs: this.#bounds, counts: [...record.counts], sumMs: record.sumMs, count: record.count }
  }

  responsesOf(member: MemberView): Readonly<Record<string, number>> {
    return { ...this.#records.get(member)?.responses }
  }

  /** Forgets a member's latency and response counts (its rate history stays). */
  reset(member: MemberView): void {
    const record = this.#records.get(member)
    if (!record) return
    record.counts.fill(0)
    record.sumMs = 0
    record.count = 0
    record.responses = {}
  }

  /** Stops the timer and the event subscriptions. */
  close(): void {
    clearInterval(this.#timer)
    this.#balancer.off('exchange', this.#onExchange)
    this.#balancer.off('member:removed', this.#onRemoved)
  }
}
