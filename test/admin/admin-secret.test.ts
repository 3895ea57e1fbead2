/**
 * Whoever can add a member through the admin surface must not receive the AJP secret: a member
 * added there at an address of their choosing (a fake AJP listener standing in for the attacker's
 * host) gets none, over the JSON API and the page's form alike; a configured member removed and
 * added back gets its settings, secret included.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { httpRequest, json, startBalancer } from '../support/fake-upstream.js'
import type { HttpResult } from '../support/fake-upstream.js'
import { endResponse, sendBody, sendHeaders, serveLoop, startFakeAjp } from '../ajp/support/fake-ajp-server.js'
import type { DecodedForward } from '../ajp/support/fake-ajp-server.js'

const SECRET = 'balancer-wide-secret-7f3a'
const OWN_SECRET = 'member-own-secret-91c2'
/** The FORWARD_REQUEST attribute that carries the secret. */
const SECRET_ATTRIBUTE = 0x0c

/** An AJP listener that answers 200 and keeps every request and every byte it was sent. */
async function recordingAjp(): Promise<{ port: number; requests: DecodedForward[]; bytes: () => string }> {
  const requests: DecodedForward[] = []
  const chunks: Buffer[] = []
  const server = await startFakeAjp((conn) => {
    conn.socket.on('data', (d: Buffer) => chunks.push(d))
    return serveLoop(conn, (req, c) => {
      requests.push(req)
      c.write(Buffer.concat([sendHeaders(200, [[0xa001, 'text/plain']]), sendBody('ok'), endResponse()]))
    })
  })
  onTestFinished(() => server.close())
  return { port: server.port, requests, bytes: () => Buffer.concat(chunks).toString('latin1') }
}

const secretOf = (req: DecodedForward | undefined): unknown => req?.attributes.find(([code]) => code === SECRET_ATTRIBUTE)?.[1]

describe('a member added through the admin surface never receives the AJP secret of another address', () => {
  it('JSON API and form post: an unconfigured address gets no secret; a configured one, removed and added back, gets its own', async () => {
    const configured = await recordingAjp()
    const withOwn = await recordingAjp()
    const attacker = await recordingAjp()
    const { url, balancer } = await startBalancer({
      members: [{ url: `ajp://127.0.0.1:${configured.port}`, route: 'A' }, { url: `ajp://127.0.0.1:${withOwn.port}`, route: 'B', secret: OWN_SECRET }],
      ajp: { secret: SECRET },
      health: false,
      admin: {},
    })
    const base = `${url}/balancer-manager`
    const nonce = async (): Promise<string> => json<{ nonce: string }>(await httpRequest(`${base}/api`)).nonce
    const add = async (body: Record<string, unknown>): Promise<HttpResult> =>
      httpRequest(`${base}/api/members`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': await nonce() }, body: JSON.stringify(body) })
    const to = (route: string): Promise<HttpResult> => httpRequest(`${url}/x`, { headers: { cookie: `JSESSIONID=s.${route}` } })

    // The configured members get their secrets (the balancer's, and B's own).
    expect((await to('A')).status).toBe(200)
    expect(secretOf(configured.requests.at(-1))).toBe(SECRET)
    expect((await to('B')).status).toBe(200)
    expect(secretOf(withOwn.requests.at(-1))).toBe(OWN_SECRET)

    // An attacker who can add members points one at a host of theirs: no secret reaches it.
    const added = await add({ url: `ajp://127.0.0.1:${attacker.port}`, route: 'EVIL' })
    expect(added.status).toBe(201)
    expect(json<{ done: string[] }>(added).done[0]).toMatch(/without an AJP secret \(not the address of a configured member\)$/)
    const form = await httpRequest(`${base}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ nonce: await nonce(), b_nwrkr: `ajp://127.0.0.1:${attacker.port}/`, b_wyes: '1', b_nroute: 'EVIL2' }).toString(),
    })
    expect(form.status).toBe(303)
    for (const route of ['EVIL', 'EVIL2']) expect((await to(route)).status).toBe(200)
    expect(attacker.requests).toHaveLength(2)
    expect(attacker.requests.map(secretOf)).toEqual([undefined, undefined])
    expect(attacker.bytes()).not.toContain(SECRET)
    expect(attacker.bytes()).not.toContain(OWN_SECRET)

    // A configured member removed and added back at its own address keeps working, with its secret.
    for (const id of ['A', 'B']) {
      expect((await httpRequest(`${base}/api/members/${id}`, { method: 'DELETE', headers: { 'x-balancer-nonce': await nonce() } })).status).toBe(200)
    }
    expect((await add({ url: `ajp://127.0.0.1:${configured.port}`, route: 'A' })).status).toBe(201)
    expect((await add({ url: `ajp://127.0.0.1:${withOwn.port}`, route: 'B' })).status).toBe(201)
    expect((await to('A')).status).toBe(200)
    expect(secretOf(configured.requests.at(-1))).toBe(SECRET)
    expect((await to('B')).status).toBe(200)
    expect(secretOf(withOwn.requests.at(-1))).toBe(OWN_SECRET)

    // Code that adds a member decides for itself, as before: balancer-wide settings apply.
    balancer.addMember({ url: `ajp://127.0.0.1:${attacker.port}`, route: 'CODE' })
    expect((await to('CODE')).status).toBe(200)
    expect(secretOf(attacker.requests.at(-1))).toBe(SECRET)
  })
})
