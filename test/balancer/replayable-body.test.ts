/**
 * `retryBodyLimit`: an idempotent request with a small body is read in full first, so it can go
 * to another member when the connection breaks before any response byte; a POST never is.
 * (Runs on every HTTP transport, inside forEachHttpTransport.)
 */
import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { readAjpBody } from '../reliability/support/hosts.js'
import { serveLoop, startFakeAjp } from '../ajp/support/fake-ajp-server.js'
import { forEachHttpTransport, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** An HTTP member that reads the whole body, then drops the connection without answering. */
async function dropsAfterBody() {
  return startUpstream('A', (req) => {
    req.resume()
    req.on('end', () => req.socket.destroy())
  })
}

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('retryBodyLimit', () => {
  it('sends a PUT body again, intact, to another member after a broken connection', async () => {
    const [a, b] = await Promise.all([dropsAfterBody(), startUpstream('B')])
    const { url } = await startBalancer({ members: [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }], sticky: false, retryBodyLimit: 64 * 1024 })
    const body = randomBytes(40_000)
    const r = await httpRequest(`${url}/doc`, { method: 'PUT', body })
    expect(r.status).toBe(200)
    expect(json<{ node: string; length: number; sha256: string }>(r)).toMatchObject({ node: 'B', length: body.length, sha256: sha(body) })
    expect(a.seen).toHaveLength(1)
  })

  it('does not replay without it, nor above the limit, nor a POST', async () => {
    const [a, b] = await Promise.all([dropsAfterBody(), startUpstream('B')])
    const members = [{ url: a.url, route: 'A' }, { url: b.url, route: 'B' }]
    const off = await startBalancer({ members, sticky: false })
    expect((await httpRequest(`${off.url}/doc`, { method: 'PUT', body: 'x'.repeat(100) })).status).toBe(502)
    const small = await startBalancer({ members, sticky: false, retryBodyLimit: 50 })
    expect((await httpRequest(`${small.url}/doc`, { method: 'PUT', body: 'x'.repeat(100) })).status).toBe(502)
    const post = await startBalancer({ members, sticky: false, retryBodyLimit: 64 * 1024 })
    expect((await httpRequest(`${post.url}/order`, { method: 'POST', body: 'pay 1' })).status).toBe(502)
    expect(b.seen).toHaveLength(0)
  })

  it('sends the buffered body through an AJP member, and replays it elsewhere after the AJP connection breaks', async () => {
    let lengthSeen = -1
    const fake = await startFakeAjp((conn) => serveLoop(conn, async (forward) => {
      lengthSeen = await readAjpBody(conn, forward)
      conn.socket.destroy() // read the whole body, then died without a byte
    }))
    onTestFinished(() => fake.close())
    const b = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: `ajp://127.0.0.1:${fake.port}`, route: 'A' }, { url: b.url, route: 'B' }], sticky: false, retryBodyLimit: 64 * 1024 })
    const body = randomBytes(20_000)
    const r = await httpRequest(`${url}/doc`, { method: 'PUT', body })
    expect(lengthSeen).toBe(body.length)
    expect(r.status).toBe(200)
    expect(json<{ node: string; sha256: string }>(r)).toMatchObject({ node: 'B', sha256: sha(body) })
  })
})
})
