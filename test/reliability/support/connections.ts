/**
 * Many client connections at once: each one a keep-alive TCP connection of its own that sends its
 * requests one after the other, the last with `Connection: close`, and then waits for the server to
 * close it. The tally says what was answered, what was wrong, what failed or hung, and how each
 * connection ended, so a test can assert that every socket closed cleanly.
 *
 * Also: the process's open file descriptors, and a sampler of the balancer's upstream pools.
 *
 * @module
 */
import { readdirSync } from 'node:fs'
import http from 'node:http'
import type { Socket } from 'node:net'
import type { Balancer } from '../../../lib/balancer.js'

/** What one connection sends. */
export interface ConnectionPlan {
  /** Request paths, in order, all on the same connection. */
  paths: string[]
  headers?: Record<string, string>
  /** Checks one response; returns what is wrong with it, or undefined. */
  check?: (status: number, headers: http.IncomingHttpHeaders, body: Buffer) => string | undefined
}

export interface ConnectionsTally {
  connections: number
  sent: number
  /** Complete responses that passed `check`. */
  ok: number
  /** Complete responses that did not, with the reason (the first 20). */
  wrong: string[]
  wrongCount: number
  /** Requests that failed, by error code. */
  errors: Record<string, number>
  /** Requests still unanswered at the deadline. */
  hung: number
  /** Connections that used more than one TCP socket (keep-alive was not kept). */
  reconnected: number
  /** Connections whose socket closed with an error, or did not close by the deadline. */
  uncleanClose: number
  notClosed: number
  /** Wall time from the first connect to the last close, ms. */
  elapsedMs: number
}

interface ConnectionOutcome {
  sent: number
  ok: number
  wrong: string[]
  errors: string[]
  hung: number
  sockets: number
  closed: 'clean' | 'error' | 'open'
}

function oneRequest(
  agent: http.Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  last: boolean,
  onSocket: (socket: Socket) => void,
  deadline: number,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | { error: string }> {
  return new Promise((resolve) => {
    let done = false
    const finish = (value: { status: number; headers: http.IncomingHttpHeaders; body: Buffer } | { error: string }): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(value)
    }
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers: last ? { ...headers, connection: 'close' } : headers })
    const timer = setTimeout(() => {
      finish({ error: 'hung' })
      req.destroy()
    }, Math.max(1, deadline - Date.now()))
    req.on('socket', onSocket)
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }))
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', () => {})
      res.on('close', () => {
        if (res.complete) finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
        else finish({ error: 'aborted' })
      })
    })
    req.end()
  })
}

async function runConnection(port: number, plan: ConnectionPlan, deadline: number): Promise<ConnectionOutcome> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const sockets = new Set<Socket>()
  const closes: Promise<'clean' | 'error'>[] = []
  const onSocket = (socket: Socket): void => {
    if (sockets.has(socket)) return
    sockets.add(socket)
    closes.push(new Promise((resolve) => socket.once('close', (hadError: boolean) => resolve(hadError ? 'error' : 'clean'))))
  }
  const outcome: ConnectionOutcome = { sent: 0, ok: 0, wrong: [], errors: [], hung: 0, sockets: 0, closed: 'open' }
  const headers = plan.headers ?? {}
  for (let i = 0; i < plan.paths.length; i++) {
    outcome.sent++
    const r = await oneRequest(agent, port, plan.paths[i] as string, headers, i === plan.paths.length - 1, onSocket, deadline)
    if ('error' in r) {
      if (r.error === 'hung') outcome.hung++
      else outcome.errors.push(r.error)
      continue
    }
    const problem = r.status !== 200 ? `status ${r.status}: ${r.body.toString('utf8', 0, 200)}` : plan.check?.(r.status, r.headers, r.body)
    if (problem === undefined) outcome.ok++
    else outcome.wrong.push(problem)
  }
  outcome.sockets = sockets.size
  const remaining = Math.max(1, deadline - Date.now())
  let timer: NodeJS.Timeout | undefined
  const ends = await Promise.race([
    Promise.all(closes),
    new Promise<'open'>((resolve) => {
      timer = setTimeout(() => resolve('open'), remaining)
    }),
  ])
  clearTimeout(timer)
  agent.destroy()
  outcome.closed = ends === 'open' ? 'open' : ends.every((e) => e === 'clean') ? 'clean' : 'error'
  return outcome
}

/**
 * Opens one connection per plan, all at once, and runs them to the end. Every request and every
 * close is bounded by `timeoutMs` from the start; whatever is left then counts as hung or not
 * closed.
 */
export async function runConnections(port: number, plans: readonly ConnectionPlan[], { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<ConnectionsTally> {
  const started = Date.now()
  const deadline = started + timeoutMs
  const outcomes = await Promise.all(plans.map((plan) => runConnection(port, plan, deadline)))
  const tally: ConnectionsTally = {
    connections: plans.length, sent: 0, ok: 0, wrong: [], wrongCount: 0, errors: {}, hung: 0, reconnected: 0, uncleanClose: 0, notClosed: 0,
    elapsedMs: Date.now() - started,
  }
  for (const o of outcomes) {
    tally.sent += o.sent
    tally.ok += o.ok
    tally.hung += o.hung
    tally.wrongCount += o.wrong.length
    for (const w of o.wrong) if (tally.wrong.length < 20) tally.wrong.push(w)
    for (const e of o.errors) tally.errors[e] = (tally.errors[e] ?? 0) + 1
    if (o.sockets > 1) tally.reconnected++
    if (o.closed === 'error') tally.uncleanClose++
    if (o.closed === 'open') tally.notClosed++
  }
  return tally
}

/** Open file descriptors of this process (Linux); -1 elsewhere. */
export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return -1
  }
}

export interface PoolPeaks {
  /** Largest `open` seen per member id. */
  readonly open: Record<string, number>
  stop(): void
}

/** Samples `balancer.sockets()` every `intervalMs` and keeps each member's peak of open sockets. */
export function samplePools(balancer: Balancer, intervalMs = 10): PoolPeaks {
  const open: Record<string, number> = {}
  const sample = (): void => {
    for (const [id, s] of Object.entries(balancer.sockets())) open[id] = Math.max(open[id] ?? 0, s.open)
  }
  const timer = setInterval(sample, intervalMs)
  return {
    open,
    stop() {
      clearInterval(timer)
      sample()
    },
  }
}

/** Whether every member's pool is idle: no request in flight, every open socket idle. */
export function poolsIdle(balancer: Balancer): boolean {
  return balancer.members.every((m) => m.counters.inFlight === 0) && Object.values(balancer.sockets()).every((s) => s.open === s.idle)
}
