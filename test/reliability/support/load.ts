/**
 * Bounded load for the reliability suite and `soak.mjs`: `connections` client loops for
 * `durationMs`, each request bounded by `requestTimeoutMs`, with a tally that must add up, and
 * helpers to read memory and open handles.
 *
 * @module
 */
import http from 'node:http'
import v8 from 'node:v8'
import vm from 'node:vm'
import { seededRandom } from '../../support/seeded-random.js'

export interface LoadOptions {
  url: string
  durationMs: number
  connections: number
  /** A request not complete after this long counts as hung. Default: 5000. */
  requestTimeoutMs?: number
  /** Share of requests sent as a small POST (0..1). Default: 0.25. */
  postShare?: number
  /** Path of each request; default `/load/<n>`. */
  path?: (n: number) => string
}

export interface LoadTally {
  sent: number
  /** Complete responses, by status. */
  statuses: Record<number, number>
  /** Responses cut off after their head, or connections reset before one. */
  aborted: number
  /** Requests that neither completed nor failed within `requestTimeoutMs`. */
  hung: number
  /** Other client errors, by code. */
  errors: Record<string, number>
  /** Slowest request, ms. */
  slowestMs: number
}

export function completed(t: LoadTally): number {
  return Object.values(t.statuses).reduce((a, b) => a + b, 0)
}

function once(agent: http.Agent, url: string, post: boolean, timeoutMs: number): Promise<{ status?: number; outcome: 'ok' | 'aborted' | 'hung' | string }> {
  return new Promise((resolve) => {
    let done = false
    const finish = (value: { status?: number; outcome: string }): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(value)
    }
    const body = post ? 'x'.repeat(512) : undefined
    const req = http.request(url, { method: post ? 'POST' : 'GET', agent, headers: body ? { 'content-length': body.length } : {} })
    const timer = setTimeout(() => {
      finish({ outcome: 'hung' })
      req.destroy()
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => finish({ outcome: err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'aborted' : err.code ?? err.message }))
    req.on('response', (res) => {
      res.on('data', () => {})
      res.on('error', () => {})
      res.on('close', () => finish(res.complete ? { status: res.statusCode ?? 0, outcome: 'ok' } : { outcome: 'aborted' }))
    })
    req.end(body)
  })
}

/** Runs the load; resolves when every loop has stopped and every request has settled. */
export async function runLoad(options: LoadOptions): Promise<LoadTally> {
  const { url, durationMs, connections, requestTimeoutMs = 5_000, postShare = 0.25 } = options
  const random = seededRandom('load: GET or POST')
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const tally: LoadTally = { sent: 0, statuses: {}, aborted: 0, hung: 0, errors: {}, slowestMs: 0 }
  const deadline = Date.now() + durationMs
  let n = 0
  const loop = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const i = n++
      const path = options.path ? options.path(i) : `/load/${i}`
      tally.sent++
      const started = performance.now()
      const r = await once(agent, `${url}${path}`, random() < postShare, requestTimeoutMs)
      tally.slowestMs = Math.max(tally.slowestMs, performance.now() - started)
      if (r.outcome === 'ok') tally.statuses[r.status as number] = (tally.statuses[r.status as number] ?? 0) + 1
      else if (r.outcome === 'aborted') tally.aborted++
      else if (r.outcome === 'hung') tally.hung++
      else tally.errors[r.outcome] = (tally.errors[r.outcome] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  agent.destroy()
  return tally
}

let gcFn: (() => void) | undefined

/** Runs a full GC (exposing it at run time when the process was started without `--expose-gc`). */
export function collectGarbage(): void {
  if (!gcFn) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (exposed) gcFn = exposed
    else {
      v8.setFlagsFromString('--expose-gc')
      gcFn = vm.runInNewContext('gc') as () => void
    }
  }
  gcFn()
  gcFn()
}

/** Open handles by kind (`TCPSocketWrap`, `Timeout`, …), from `process.getActiveResourcesInfo()`. */
export function activeResources(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) out[kind] = (out[kind] ?? 0) + 1
  return out
}

export function totalResources(): number {
  return process.getActiveResourcesInfo().length
}

/** Waits `ms` (lets sockets close and timers fire between samples). */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
