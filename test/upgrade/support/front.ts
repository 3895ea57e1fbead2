/**
 * A bare node:http front server on port 0 that hands requests and upgrades to a balancer.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { onTestFinished } from 'vitest'
import { createBalancer } from '../../../lib/balancer.js'
import type { Balancer } from '../../../lib/balancer.js'
import type { Logger } from '../../../lib/logger.js'
import type { BalancerOptions } from '../../../lib/options.js'

export interface Front {
  readonly balancer: Balancer
  readonly server: http.Server
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly ws: string
  /** Log lines at warn level and above: `message {json}`. */
  readonly warnings: string[]
}

export function captureLogger(lines: string[]): Logger {
  const push = (obj: object, msg?: string): void => void lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`)
  return { debug: () => {}, info: () => {}, warn: push, error: push }
}

export async function startFront(options: BalancerOptions): Promise<Front> {
  const warnings: string[] = []
  const balancer = createBalancer({ logger: captureLogger(warnings), ...options })
  const server = http.createServer((req, res) => void balancer.handle(req, res))
  balancer.attachUpgrades(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  onTestFinished(async () => {
    await balancer.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { balancer, server, url: `http://127.0.0.1:${port}`, ws: `http://127.0.0.1:${port}`, warnings }
}

/** Polls until `check()` is true (or fails after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
