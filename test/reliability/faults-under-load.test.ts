/**
 * Faults under bounded load: 32 client connections for a few seconds (RELIABILITY_LOAD_MS,
 * default 2500) against a member that randomly resets, stalls or dies, next to a healthy one.
 * Nothing hangs (every request completes or fails within its timeout), the counts add up, only
 * gateway statuses appear, no upstream socket is left once the balancer closes, and the heap
 * returns near its baseline.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { eventually, guardProcess } from '../support/fake-upstream.js'
import { endResponse, sendBody, sendHeaders, serveLoop, startFakeAjp } from '../ajp/support/fake-ajp-server.js'
import { readAjpBody, startAjpMember, startHost, startHttpMember } from './support/hosts.js'
import { collectGarbage, completed, pause, runLoad } from './support/load.js'

beforeEach(guardProcess)

const DURATION = Number(process.env.RELIABILITY_LOAD_MS ?? 2_500)
const CONNECTIONS = 32
const GATEWAY = new Set([200, 502, 503, 504])

type Fault = 'ok' | 'reset' | 'stall'

function fault(): Fault {
  const r = Math.random()
  return r < 0.8 ? 'ok' : r < 0.9 ? 'reset' : 'stall'
}

/** An HTTP member that resets or stalls at random, and can be killed and brought back on its port. */
async function startFlakyHttp() {
  const make = () => http.createServer((req, res) => {
    const f = fault()
    if (f === 'reset') return void req.socket.destroy()
    if (f === 'stall') return // the balancer's timeout answers
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  let server = make()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const stop = () => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return {
    url: `http://127.0.0.1:${port}`,
    kill: stop,
    async revive() {
      server = make()
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    },
    close: stop,
  }
}

describe('faults under load', () => {
  it(`HTTP: a member that resets, stalls and dies, ${CONNECTIONS} connections × ${DURATION} ms`, async () => {
    const flaky = await startFlakyHttp()
    const healthy = await startHttpMember('B')
    const host = await startHost('bare', {
      members: [{ url: flaky.url, route: 'A' }, { url: healthy.url, route: 'B' }],
      timeout: 300,
      connectTimeout: 300,
      retry: 0.2,
      health: false,
    })
    onTestFinished(async () => {
      await host.close()
      await flaky.close().catch(() => {})
      await healthy.close()
    })
    collectGarbage()
    const baseline = process.memoryUsage().heapUsed
    const chaos = (async () => {
      await pause(DURATION / 3)
      await flaky.kill()
      await pause(DURATION / 3)
      await flaky.revive()
    })()
    const tally = await runLoad({ url: host.url, durationMs: DURATION, connections: CONNECTIONS, requestTimeoutMs: 3_000 })
    await chaos
    expect(tally.hung).toBe(0)
    expect(tally.errors).toEqual({})
    expect(completed(tally) + tally.aborted).toBe(tally.sent)
    for (const status of Object.keys(tally.statuses)) expect(GATEWAY.has(Number(status)), `status ${status}`).toBe(true)
    expect(tally.statuses[200] ?? 0).toBeGreaterThan(tally.sent / 2)
    expect(tally.slowestMs).toBeLessThan(2_000)
    // the healthy member took everything the flaky one could not (and its own share)
    expect(healthy.seen.length).toBeGreaterThan(0)
    await host.close()
    const noneOpen = await eventually(() => Object.values(host.balancer.sockets()).every((s) => s.open === 0))
    expect(noneOpen, JSON.stringify(host.balancer.sockets())).toBe(true)
    collectGarbage()
    expect(process.memoryUsage().heapUsed - baseline).toBeLessThan(32 * 1024 * 1024)
  })

  it(`AJP: a member that resets and stalls, ${CONNECTIONS} connections × ${DURATION} ms`, async () => {
    let served = 0
    const flaky = await startFakeAjp((conn) =>
      serveLoop(conn, async (forward) => {
        const f = fault()
        if (f === 'reset') return void conn.socket.destroy()
        if (f === 'stall') return new Promise<void>((r) => setTimeout(r, 600)) // then eof: the balancer gave up
        await readAjpBody(conn, forward)
        served++
        conn.write(sendHeaders(200, [[0xa003, '2']]), sendBody('ok'), endResponse(true))
      }),
    )
    const healthy = await startAjpMember('B')
    const host = await startHost('bare', {
      members: [{ url: `ajp://127.0.0.1:${flaky.port}`, route: 'A' }, { url: healthy.url, route: 'B' }],
      timeout: 300,
      connectTimeout: 300,
      retry: 0.2,
      health: false,
    })
    onTestFinished(async () => {
      await host.close()
      await flaky.close()
      await healthy.close()
    })
    collectGarbage()
    const baseline = process.memoryUsage().heapUsed
    const tally = await runLoad({ url: host.url, durationMs: DURATION, connections: CONNECTIONS, requestTimeoutMs: 3_000 })
    expect(tally.hung).toBe(0)
    expect(tally.errors).toEqual({})
    expect(completed(tally) + tally.aborted).toBe(tally.sent)
    for (const status of Object.keys(tally.statuses)) expect(GATEWAY.has(Number(status)), `status ${status}`).toBe(true)
    expect(tally.statuses[200] ?? 0).toBeGreaterThan(tally.sent / 2)
    expect(served + healthy.seen.length).toBeGreaterThanOrEqual(tally.statuses[200] ?? 0)
    // nothing was answered twice: each 200 is one exchange a member completed
    expect(served + healthy.seen.length).toBeLessThanOrEqual(tally.sent + CONNECTIONS)
    await host.close()
    const noneOpen = await eventually(() => Object.values(host.balancer.sockets()).every((s) => s.open === 0))
    expect(noneOpen, JSON.stringify(host.balancer.sockets())).toBe(true)
    collectGarbage()
    expect(process.memoryUsage().heapUsed - baseline).toBeLessThan(32 * 1024 * 1024)
  })
})
