import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { endAfterDraining } from './lingering-end.js'

const servers: http.Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
})

/** A server that answers 413 before reading the body, with a lingering close. */
async function refusingServer(limits = { idleMs: 300, maxMs: 3_000, maxBytes: 4 * 1024 * 1024 }): Promise<number> {
  const server = http.createServer((req, res) => {
    res.writeHead(413, { connection: 'close', 'content-length': '4' })
    endAfterDraining(req, res, 'big\n', limits)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** Sends `head` then `chunks` of body with `gapMs` between them; resolves with what came back and how the socket ended. */
function upload(port: number, head: string, chunks: Buffer[], gapMs: number): Promise<{ reply: string; reset: boolean; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = net.connect(port, '127.0.0.1')
    let reply = ''
    let reset = false
    socket.on('data', (d: Buffer) => (reply += d.toString('latin1')))
    socket.on('error', () => (reset = true))
    socket.on('close', () => resolve({ reply, reset, closedAfterMs: performance.now() - started }))
    socket.write(head)
    let i = 0
    const next = (): void => {
      if (i >= chunks.length || socket.destroyed) return
      socket.write(chunks[i++]!)
      setTimeout(next, gapMs)
    }
    next()
  })
}

describe('endAfterDraining', () => {
  it('lets a client that keeps uploading finish, then closes without a reset: the 413 is never lost', async () => {
    const port = await refusingServer()
    const chunks = Array.from({ length: 32 }, () => Buffer.alloc(64 * 1024, 0x61))
    const r = await upload(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${32 * 64 * 1024}\r\n\r\n`, chunks, 5)
    expect(r.reply).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.reply.endsWith('big\n')).toBe(true)
    expect(r.reset).toBe(false)
  })

  it('closes after idleMs when the client announces more than it sends', async () => {
    const port = await refusingServer()
    const r = await upload(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nabc', [], 0)
    expect(r.reply).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(250)
    expect(r.closedAfterMs).toBeLessThan(2_500)
  })

  it('stops reading after maxBytes', async () => {
    const port = await refusingServer({ idleMs: 1_000, maxMs: 10_000, maxBytes: 256 * 1024 })
    const chunks = Array.from({ length: 200 }, () => Buffer.alloc(64 * 1024, 0x61))
    const r = await upload(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${200 * 64 * 1024}\r\n\r\n`, chunks, 5)
    expect(r.reply).toMatch(/^HTTP\/1\.1 413 /)
    expect(r.closedAfterMs).toBeLessThan(1_000 + 5 * 200)
  })

  it('ends at once when the request was already read', async () => {
    const server = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(413, { connection: 'close', 'content-length': '4' })
        endAfterDraining(req, res, 'big\n')
      })
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const r = await upload((server.address() as AddressInfo).port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', [], 0)
    expect(r.reply.endsWith('big\n')).toBe(true)
    expect(r.closedAfterMs).toBeLessThan(400)
  })
})
