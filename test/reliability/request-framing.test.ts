/**
 * Request framing on the member-bound connection, byte for byte, through the Express, Koa and bare
 * hosts, on every HTTP transport: the member gets the client's exact `Content-Length`, or chunked when the client
 * sent chunked, whatever the method, and a `Connection` header naming a header framing, routing
 * or the client's identity depends on is refused.
 *
 * Each case sends an attack whose body is (the start of) a request, then a victim request with a
 * cookie, over one pooled member connection (`http.maxSockets` 1). The member reads requests off a
 * raw socket the way Tomcat does, so a body that went out unframed would become a request of its
 * own there, completed by the victim's bytes. Then the same cases go to an AJP member.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { HTTP_TRANSPORTS, guardProcess } from '../support/fake-upstream.js'
import type { HttpTransportName } from '../support/fake-upstream.js'
import { HOST_KINDS, sendForFinalResponse, startAjpMember, startHost } from './support/hosts.js'
import type { Host, HostKind, RawResponse, RecordingMember } from './support/hosts.js'
import { headerValues, startRawMember } from './support/raw-member.js'
import type { RawMember, RawSeen } from './support/raw-member.js'
import { smuggleCases } from './support/smuggling-cases.js'
import type { SmuggleCase } from './support/smuggling-cases.js'

beforeEach(guardProcess)

const SECRET = 'victim-secret-cookie'
const VICTIM = `GET /victim HTTP/1.1\r\nHost: front\r\nCookie: session=${SECRET}\r\nConnection: close\r\n\r\n`

const send = (port: number, bytes: string, timeoutMs = 5_000): Promise<RawResponse | undefined> => sendForFinalResponse(port, bytes, timeoutMs)

function attackBytes(c: SmuggleCase, target: string): string {
  return `${c.method} ${target} HTTP/1.1\r\nHost: front\r\n${c.headers}\r\n${c.wireBody}`
}

/**
 * undici closes its connection after a HEAD, and after a request with a body on a method that
 * expects none (GET, DELETE, OPTIONS): the victim then comes on a fresh one.
 */
function undiciCloses(c: SmuggleCase, transport: HttpTransportName): boolean {
  return transport === 'undici' && (c.method === 'HEAD' || (!['POST', 'PUT', 'PATCH'].includes(c.method) && c.framing !== 'none'))
}

/** The member-side facts every forwarded attack must show. */
function expectFramed(c: SmuggleCase, seen: RawSeen, transport: HttpTransportName): void {
  // undici sends a stream that turned out empty on a GET as no body at all: nothing to frame
  const framing = transport === 'undici' && c.method === 'GET' && c.body === '' && c.framing === 'chunked' ? 'none' : c.framing
  expect(seen.method).toBe(c.method)
  expect(seen.body).toBe(c.body)
  expect(seen.framing).toBe(framing)
  const lengths = headerValues(seen, 'content-length')
  const encodings = headerValues(seen, 'transfer-encoding')
  if (framing === 'length') expect([lengths, encodings]).toEqual([[String((c.body as string).length)], []])
  else if (framing === 'chunked') expect([lengths, encodings]).toEqual([[], ['chunked']])
  else expect([lengths, encodings]).toEqual([[], []])
  for (const name of c.kept ?? []) expect(headerValues(seen, name), name).not.toEqual([])
  for (const name of c.dropped ?? []) expect(headerValues(seen, name), name).toEqual([])
  expect(headerValues(seen, 'connection').join(',')).not.toMatch(/content-length|transfer-encoding/i)
}

/** The bare host again with `retryBodyLimit`: a sized body on an idempotent method is read in full first, then sent. */
const SETUPS: Array<[label: string, hostKind: HostKind, retryBodyLimit: number]> = [
  ...HOST_KINDS.map((kind): [string, HostKind, number] => [`the ${kind} host`, kind, 0]),
  ['the bare host with retryBodyLimit (bodies buffered for a retry)', 'bare', 64 * 1024],
]

describe.each(HTTP_TRANSPORTS)('on the %s transport', (transport) => describe.each(SETUPS)('request framing through %s', (_label, hostKind, retryBodyLimit) => {
  let member: RawMember
  let host: Host

  beforeAll(async () => {
    member = await startRawMember()
    host = await startHost(hostKind, { members: [{ url: member.url, route: 'A' }], health: false, maxFails: 1000, retryBodyLimit, http: { maxSockets: 1, transport } })
  })
  afterAll(async () => {
    await host.close()
    await member.close()
  })

  it.each(smuggleCases().map((c) => [c.name, c] as const))('%s; the next user gets its own answer', async (_name, c) => {
    const from = member.seen.length
    const attack = await send(host.port, attackBytes(c, '/attack'))
    expect(attack?.status).toBe(c.status)
    const victim = await send(host.port, VICTIM)
    expect(victim?.status).toBe(200)
    expect(JSON.parse(victim?.body ?? '{}').target, 'the victim gets its own answer').toBe('/victim')
    const seen = member.seen.slice(from)
    expect(seen.map((s) => s.target), 'the member read exactly these requests').toEqual(c.status === 200 ? ['/attack', '/victim'] : ['/victim'])
    expect(seen.filter((s) => s.wire.includes(SECRET)).map((s) => s.target), 'the victim\'s cookie is only in its own request').toEqual(['/victim'])
    if (c.status !== 200) return
    const [attackSeen, victimSeen] = seen as [RawSeen, RawSeen]
    expectFramed(c, attackSeen, transport)
    if (!undiciCloses(c, transport)) {
      // one pooled connection carried both
      expect(victimSeen.connection, 'the victim came on the attack\'s pooled connection').toBe(attackSeen.connection)
    }
  })
}))

describe('the same shapes to an AJP member: body bytes only, in body packets', () => {
  let member: RecordingMember
  let host: Host

  beforeAll(async () => {
    member = await startAjpMember('A')
    host = await startHost('bare', { members: [{ url: member.url, route: 'A' }], health: false, maxFails: 1000, ajp: { maxConnections: 1 } })
  })
  afterAll(async () => {
    await host.close()
    await member.close()
  })

  it.each(smuggleCases().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const from = member.seen.length
    const attack = await send(host.port, attackBytes(c, '/attack'))
    expect(attack?.status).toBe(c.status)
    const victim = await send(host.port, VICTIM)
    expect(victim?.status).toBe(200)
    expect(JSON.parse(victim?.body ?? '{}').url).toBe('/victim')
    const seen = member.seen.slice(from)
    expect(seen.map((s) => s.url)).toEqual(c.status === 200 ? ['/attack', '/victim'] : ['/victim'])
    if (c.status === 200) expect(seen[0]?.bodyLength).toBe(c.body?.length)
  })
})

describe.each(HTTP_TRANSPORTS)('the request line and headers the member gets are ours, byte for byte (%s)', (transport) => {
  let member: RawMember
  let host: Host

  beforeAll(async () => {
    member = await startRawMember()
    host = await startHost('bare', { members: [{ url: member.url, route: 'A' }], health: false, maxFails: 1000, http: { maxSockets: 1, transport } })
  })
  afterAll(async () => {
    await host.close()
    await member.close()
  })

  // http-proxy-3 joins the target's path and the request's with its own urlJoin (which drops an
  // empty query and merges query strings); the member must get the path as the balancer decided
  // it (normalised as Tomcat maps it, see lib/proxy/request-target.ts) and the query as sent.
  it.each([
    ['/a?', '/a?'],
    ['/?', '/?'],
    ['/a?b?c', '/a?b?c'],
    ['/a?x=1&y=2#', '/a?x=1&y=2#'],
    ['/a;b=c/d?e=/../f', '/a;b=c/d?e=/../f'],
    ['/?&&', '/?&&'],
    ['//double//slash', '/double/slash'],
    ['/a/./b/../c?x=/../y', '/a/c?x=/../y'],
  ])('%s → %s', async (target, forwarded) => {
    const from = member.seen.length
    const reply = await send(host.port, `GET ${target} HTTP/1.1\r\nHost: front\r\n\r\n`)
    expect(reply?.status).toBe(200)
    expect(member.seen.slice(from).map((s) => s.target)).toEqual([forwarded])
  })

  it('a path that climbs above the root or holds %2F is refused, never forwarded', async () => {
    const from = member.seen.length
    const reply = await send(host.port, 'GET /%2e%2e/x%2Fy?%3F HTTP/1.1\r\nHost: front\r\n\r\n')
    expect(reply?.status).toBe(400)
    expect(member.seen.length).toBe(from)
  })

  it.each(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'PROPFIND'])('%s: no header added or dropped by the HTTP library, but Connection', async (method) => {
    const from = member.seen.length
    const reply = await send(host.port, `${method} /h HTTP/1.1\r\nHost: front\r\nX-A: 1\r\nX-Many: 1\r\nX-Many: 2\r\nTrailer: X-T\r\nTE: trailers\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive, TE\r\n\r\n`)
    expect(reply?.status).toBe(200)
    const seen = member.seen.slice(from)
    expect(seen).toHaveLength(1)
    const got = seen[0] as RawSeen
    const names = got.headers.map(([n]) => n.toLowerCase())
    // Node's agent adds `Connection: keep-alive` (undici `close` after a HEAD); a library may announce a bodiless request as
    // `Content-Length: 0` or an empty chunked body (never with body bytes, checked below).
    const ours = names.filter((n) => n !== 'connection' && n !== 'content-length' && n !== 'transfer-encoding')
    expect(ours.sort()).toEqual(['host', 'x-a', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-many'].sort())
    expect(headerValues(got, 'x-many')).toEqual(['1, 2'])
    expect(headerValues(got, 'connection').every((v) => /^(?:keep-alive|close)$/i.test(v)), 'no client token in Connection').toBe(true)
    expect(headerValues(got, 'content-length').every((v) => v === '0')).toBe(true)
    if (['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(method)) expect(got.framing, 'nothing announces a body that is not there').toBe('none')
    expect((seen[0] as RawSeen).body).toBe('')
  })
})
