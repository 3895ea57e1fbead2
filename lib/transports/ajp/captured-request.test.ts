/**
 * Our AJP13 codec against bytes that Apache httpd's mod_proxy_ajp really sent to Tomcat, and that
 * Tomcat really answered (test/ajp/fixtures/, recorded by test/ajp/parity/record-fixtures.ts; the
 * fixtures README says how). No network.
 *
 * 1. The captured FORWARD_REQUESTs are decoded with the test decoder and checked field by field.
 * 2. The same client requests are encoded with OUR encoder, from the inputs the balancer would give
 *    it (headers from `buildRequestHeaders` with the AJP policy, facts as `describe()` in
 *    ajp-transport.ts builds them), decoded with the same decoder and compared with the capture.
 *    Every difference must be listed in KNOWN_DIFFERENCES; an unlisted one fails.
 * 3. Tomcat's captured replies are decoded with OUR response parser.
 */
import type { IncomingMessage } from 'node:http'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { buildRequestHeaders } from '../../proxy/request-headers.js'
import { reasonPhrase } from '../../proxy/response-head.js'
import type { ClientConnection } from '../transport.js'
import { EMPTY_BODY_PACKET } from './constants.js'
import { describeForwardRequest } from './ajp-transport.js'
import { encodeBodyPacket, encodeForwardRequest } from './forward-request.js'
import { AjpResponseParser, type AjpMessage, type SendHeadersMessage } from './response-decoder.js'
import {
  attributeValue,
  bodyOf,
  decodeForwardRequest,
  decodeServerStream,
  headerValues,
  reqAttribute,
  type DecodedForwardRequest,
  type ServerPacket,
} from '../../../test/ajp/support/forward-request-decoder.js'

const FIXTURES = new URL('../../../test/ajp/fixtures/', import.meta.url)
const fixture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(name, FIXTURES)))

interface Recording {
  httpd: string
  tomcat: string
  requests: { get: string; post: string }
  clientStatusLines: { get: string; post: string }
}
const recording = JSON.parse(fixture('recording.json').toString('utf8')) as Recording

/** The member route our balancer would send (the tomcat-testapp node the capture went to). */
const ROUTE = 'TomcatA'

/**
 * Intended differences between mod_proxy_ajp (httpd 2.4, `ProxyPass … secret=`, no balancer) and
 * our encoder for the same client request, with the reason ours is as it is. `field` names what
 * `compare()` reports. An entry with `intended: false` is a known deviation we have not fixed yet.
 */
const KNOWN_DIFFERENCES: ReadonlyArray<{ field: string; httpd: string; ours: string; intended: boolean; reason: string }> = [
  {
    field: 'header content-length',
    httpd: 'absent when the request has no body',
    ours: '"0"',
    intended: true,
    reason: 'AJP reads a missing length as "unknown"; httpd then costs a GET_BODY_CHUNK + empty-packet round trip, mod_jk sends 0 like us',
  },
  {
    field: 'header connection',
    httpd: 'forwarded as sent ("close")',
    ours: 'absent',
    intended: true,
    reason: 'hop-by-hop (RFC 9110 §7.6.1): it describes the client connection, not the AJP one, which Tomcat keeps regardless',
  },
  {
    field: 'headers x-forwarded-for, -host, -proto, -port',
    httpd: 'absent (mod_proxy_ajp adds none)',
    ours: 'added (option xForwarded, default on)',
    intended: true,
    reason: 'applications see the same forwarding headers whether a member is reached over HTTP or AJP; the AJP fields still carry the facts',
  },
  {
    field: 'attribute route',
    httpd: 'absent (no mod_proxy_balancer session route)',
    ours: 'the member route',
    intended: true,
    reason: 'informational, as mod_jk sends it; Tomcat reads and discards it',
  },
  {
    field: 'string header name spelling',
    httpd: 'as the client spelled it ("X-Request-Id")',
    ours: 'lower case ("x-request-id")',
    intended: true,
    reason: "Node's HTTP parser lower-cases names; header names are case-insensitive and Tomcat matches them so",
  },
]

/** A raw HTTP/1.1 request as Node's parser would present it (lower-case names, latin1). */
function parseRawRequest(raw: string): { method: string; target: string; headers: Record<string, string>; body: Buffer } {
  const split = raw.indexOf('\r\n\r\n')
  const [requestLine, ...lines] = raw.slice(0, split).split('\r\n')
  const [method, target] = (requestLine as string).split(' ') as [string, string]
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}${name === 'cookie' ? '; ' : ', '}${value}`
  }
  return { method, target, headers, body: Buffer.from(raw.slice(split + 4), 'latin1') }
}

/**
 * What our transport would send for the same client request, reaching the proxy on the same
 * sockets: the client port is the capture's AJP_REMOTE_PORT, the proxy's port httpd's listen port.
 * Mirrors `describe()` and `requestBodyLength()` in ajp-transport.ts and the balancer's AJP header
 * policy (`preserveHost: true`, xForwarded on).
 */
function encodeOurs(raw: string, captured: DecodedForwardRequest): { packet: Buffer; body: Buffer } {
  const req = parseRawRequest(raw)
  const client: ClientConnection = {
    address: captured.remoteAddr,
    port: Number(reqAttribute(captured, 'AJP_REMOTE_PORT')),
    localAddress: reqAttribute(captured, 'AJP_LOCAL_ADDR') as string,
    localPort: captured.serverPort,
    secure: false,
  }
  const publicHost = req.headers.host ?? `${client.localAddress}:${client.localPort}`
  const fakeReq = { headers: req.headers, httpVersion: '1.1' } as unknown as IncomingMessage
  const headers = buildRequestHeaders(fakeReq, client, '127.0.0.1:8009', publicHost, { preserveHost: true, xForwarded: true, via: undefined })
  const contentLength = req.headers['content-length'] === undefined ? 0 : Number(req.headers['content-length'])
  const exchange = { path: req.target, method: req.method, req: fakeReq, client, publicHost, headers }
  const packet = encodeForwardRequest(describeForwardRequest(exchange, contentLength, ROUTE, attributeValue(captured, 'secret') as string))
  return { packet, body: req.body }
}

/** Field-by-field comparison; returns the names of the fields that differ (as KNOWN_DIFFERENCES names them). */
function compare(theirs: DecodedForwardRequest, ours: DecodedForwardRequest): string[] {
  const differs: string[] = []
  const scalar = ['method', 'methodCode', 'protocol', 'reqUri', 'remoteAddr', 'remoteHost', 'serverName', 'serverPort', 'isSsl'] as const
  for (const key of scalar) {
    if (theirs[key] !== ours[key]) differs.push(key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
  }
  const names = (r: DecodedForwardRequest): Set<string> => new Set(r.headers.map((h) => h.name.toLowerCase()))
  const theirNames = names(theirs)
  const ourNames = names(ours)
  for (const name of new Set([...theirNames, ...ourNames])) {
    if (name.startsWith('x-forwarded-')) {
      if (theirNames.has(name) !== ourNames.has(name)) differs.push('headers x-forwarded-for, -host, -proto, -port')
      continue
    }
    if (JSON.stringify(headerValues(theirs, name)) !== JSON.stringify(headerValues(ours, name))) differs.push(`header ${name}`)
  }
  const stringNames = (r: DecodedForwardRequest): string[] => r.headers.filter((h) => h.code === undefined).map((h) => h.name)
  const ourStringNames = new Set(stringNames(ours))
  if (stringNames(theirs).some((n) => !n.startsWith('X-Forwarded') && !ourStringNames.has(n))) differs.push('string header name spelling')
  const attrs = (r: DecodedForwardRequest): Map<string, string | number> =>
    new Map(r.attributes.map((a) => ['key' in a ? `req_attribute ${a.key}` : `attribute ${a.name}`, a.value]))
  const theirAttrs = attrs(theirs)
  const ourAttrs = attrs(ours)
  for (const key of new Set([...theirAttrs.keys(), ...ourAttrs.keys()])) {
    if (theirAttrs.get(key) !== ourAttrs.get(key)) differs.push(key)
  }
  return [...new Set(differs)].sort()
}

function replyMessages(name: string): AjpMessage[] {
  const parser = new AjpResponseParser()
  parser.push(fixture(`mod_proxy_ajp-${name}-reply.bin`))
  const messages: AjpMessage[] = []
  for (let m = parser.next(); m; m = parser.next()) messages.push(m)
  expect(parser.buffered).toBe(0)
  return messages
}

function capture(name: 'get' | 'post'): { packets: ServerPacket[]; request: DecodedForwardRequest } {
  const packets = decodeServerStream(fixture(`mod_proxy_ajp-${name}.bin`))
  const first = packets[0]
  if (first?.kind !== 'forward') throw new Error(`${name}: the capture does not start with a FORWARD_REQUEST`)
  return { packets, request: first.request }
}

describe(`mod_proxy_ajp capture (${recording.httpd} → ${recording.tomcat})`, () => {
  it('GET: decodes to the fields httpd derived from the client request', () => {
    const { packets, request } = capture('get')
    expect(request).toMatchObject({
      method: 'GET',
      methodCode: 2,
      protocol: 'HTTP/1.1',
      reqUri: '/testapp/echo.jsp',
      remoteAddr: '127.0.0.1',
      remoteHost: null,
      serverName: 'www.example.test',
      isSsl: false,
    })
    // httpd's own listen port (not in the Host header), a free port chosen at recording time
    expect(request.serverPort).toBeGreaterThan(1024)
    expect(request.headers.map((h) => [h.name, h.code === undefined ? 'string' : `0x${h.code.toString(16)}`])).toEqual([
      ['host', '0xa00b'],
      ['user-agent', '0xa00e'],
      ['accept', '0xa001'],
      ['accept-language', '0xa004'],
      ['accept-encoding', '0xa003'],
      ['cookie', '0xa009'],
      ['referer', '0xa00d'],
      ['X-Request-Id', 'string'],
      ['connection', '0xa006'],
    ])
    expect(headerValues(request, 'cookie')).toEqual(['theme=dark; JSESSIONID=0123456789ABCDEF0123456789ABCDEF.TomcatA'])
    expect(headerValues(request, 'content-length')).toEqual([])
    expect(request.attributes.map((a) => ('key' in a ? a.key : a.name))).toEqual(['secret', 'query_string', 'AJP_REMOTE_PORT', 'AJP_LOCAL_ADDR'])
    expect(attributeValue(request, 'secret')).toBe('sticky-balancer-dev-secret')
    expect(attributeValue(request, 'query_string')).toBe('a=1&b=%C3%A9')
    expect(Number(reqAttribute(request, 'AJP_REMOTE_PORT'))).toBeGreaterThan(0)
    expect(reqAttribute(request, 'AJP_LOCAL_ADDR')).toBe('127.0.0.1')
    // no content-length: Tomcat asked for body, httpd answered with its spelling of the empty packet
    expect(packets.slice(1).map((p) => p.raw.toString('hex'))).toEqual(['123400020000'])
  })

  it('POST: the body goes unsolicited in one packet, then an empty packet when Tomcat asks again', () => {
    const { packets, request } = capture('post')
    expect(request).toMatchObject({ method: 'POST', methodCode: 4, reqUri: '/testapp/echo.jsp', serverName: 'www.example.test' })
    expect(headerValues(request, 'host')).toEqual(['www.example.test:8080'])
    expect(headerValues(request, 'content-type')).toEqual(['application/x-www-form-urlencoded'])
    expect(headerValues(request, 'content-length')).toEqual(['12'])
    expect(attributeValue(request, 'query_string')).toBeUndefined()
    expect(packets.map((p) => p.kind)).toEqual(['forward', 'body', 'body'])
    expect(bodyOf(packets).toString('latin1')).toBe('a=1&b=%C3%A9')
    const replies = replyMessages('post')
    expect(replies[0]).toEqual({ type: 'get-body', length: 8186 })
  })
})

describe('our encoder vs mod_proxy_ajp, same client request', () => {
  it('documents every difference with a reason', () => {
    for (const d of KNOWN_DIFFERENCES) expect(d.reason.length, d.field).toBeGreaterThan(20)
  })

  it('GET: same facts; only the listed differences', () => {
    const { request: theirs } = capture('get')
    const { packet } = encodeOurs(recording.requests.get, theirs)
    const ours = decodeForwardRequest(packet)
    expect(compare(theirs, ours)).toEqual([
      'attribute route',
      'header connection',
      'header content-length',
      'headers x-forwarded-for, -host, -proto, -port',
      'string header name spelling',
    ])
    for (const field of compare(theirs, ours)) expect(KNOWN_DIFFERENCES.map((d) => d.field)).toContain(field)

    // The same, field by field.
    expect(ours.method).toBe(theirs.method)
    expect(ours.methodCode).toBe(theirs.methodCode)
    expect(ours.protocol).toBe(theirs.protocol)
    expect(ours.reqUri).toBe(theirs.reqUri)
    expect(attributeValue(ours, 'query_string')).toBe(attributeValue(theirs, 'query_string'))
    expect(attributeValue(ours, 'secret')).toBe(attributeValue(theirs, 'secret'))
    expect(ours.isSsl).toBe(theirs.isSsl)
    expect(ours.remoteAddr).toBe(theirs.remoteAddr)
    expect(ours.remoteHost).toBe(theirs.remoteHost)
    expect(ours.serverName).toBe(theirs.serverName)
    expect(reqAttribute(ours, 'AJP_REMOTE_PORT')).toBe(reqAttribute(theirs, 'AJP_REMOTE_PORT'))
    expect(reqAttribute(ours, 'AJP_LOCAL_ADDR')).toBe(reqAttribute(theirs, 'AJP_LOCAL_ADDR'))
    // Both code exactly the same header names, and keep the client's order of the common ones.
    const coded = (r: DecodedForwardRequest): Array<[string, number | undefined]> =>
      r.headers.filter((h) => h.name !== 'connection' && !h.name.startsWith('x-forwarded-')).map((h) => [h.name.toLowerCase(), h.code])
    expect(coded(ours).filter(([n]) => n !== 'content-length')).toEqual(coded(theirs))
    // Attributes in mod_proxy_ajp's order; the route sits where mod_proxy_ajp would put a balancer route.
    expect(ours.attributes.map((a) => ('key' in a ? a.key : a.name))).toEqual(['secret', 'query_string', 'route', 'AJP_REMOTE_PORT', 'AJP_LOCAL_ADDR'])
    expect(attributeValue(ours, 'route')).toBe(ROUTE)

    // The intended differences, exactly.
    expect(headerValues(theirs, 'content-length')).toEqual([])
    expect(headerValues(ours, 'content-length')).toEqual(['0'])
    expect(headerValues(theirs, 'connection')).toEqual(['close'])
    expect(headerValues(ours, 'connection')).toEqual([])
    expect(headerValues(ours, 'x-forwarded-for')).toEqual(['127.0.0.1'])
    expect(headerValues(ours, 'x-forwarded-host')).toEqual(['www.example.test'])
    expect(headerValues(ours, 'x-forwarded-proto')).toEqual(['http'])
    expect(headerValues(ours, 'x-forwarded-port')).toEqual([String(theirs.serverPort)])
    expect(theirs.headers.some((h) => h.name === 'X-Request-Id')).toBe(true)
    expect(ours.headers.some((h) => h.name === 'x-request-id' && h.value === '42')).toBe(true)
    // server_port: the port the client connected to, for both (Tomcat's getLocalPort()).
    expect(ours.serverPort).toBe(theirs.serverPort)
  })

  it('POST: same facts and byte-identical body packet; we end the body with the shorter empty packet', () => {
    const { packets, request: theirs } = capture('post')
    const { packet, body } = encodeOurs(recording.requests.post, theirs)
    const ours = decodeForwardRequest(packet)
    expect(compare(theirs, ours)).toEqual([
      'attribute route',
      'header connection',
      'headers x-forwarded-for, -host, -proto, -port',
    ])
    expect(headerValues(ours, 'content-length')).toEqual(headerValues(theirs, 'content-length'))
    expect(headerValues(ours, 'content-type')).toEqual(headerValues(theirs, 'content-type'))
    expect(headerValues(ours, 'host')).toEqual(['www.example.test:8080'])
    // server_port: the socket's port for both, not the Host header's 8080
    expect(ours.serverPort).toBe(theirs.serverPort)
    // body: the same data packet, byte for byte
    expect(encodeBodyPacket(body).toString('hex')).toBe(packets[1]?.raw.toString('hex'))
    // end of body: both are valid for Tomcat (the spec's empty body packet, or one with an inner length of 0); httpd's has an inner length of 0
    expect(packets[2]?.raw.toString('hex')).toBe('123400020000')
    expect(EMPTY_BODY_PACKET.toString('hex')).toBe('12340000')
    expect(decodeServerStream(Buffer.concat([packet, encodeBodyPacket(body), EMPTY_BODY_PACKET])).map((p) => p.kind)).toEqual(['forward', 'body', 'body'])
  })
})

describe("Tomcat's captured replies through our response parser", () => {
  function decodeReply(name: 'get' | 'post'): { head: SendHeadersMessage; body: Buffer; sequence: string[]; json: Record<string, unknown> } {
    const messages = replyMessages(name)
    const head = messages.find((m): m is SendHeadersMessage => m.type === 'headers')
    if (!head) throw new Error('no SEND_HEADERS')
    const body = Buffer.concat(messages.flatMap((m) => (m.type === 'body' ? [m.data] : [])))
    const sequence = messages.map((m) => (m.type === 'body' ? 'body' : m.type === 'end' ? `end reuse=${m.reuse}` : m.type))
    return { head, body, sequence: [...new Set(sequence)], json: JSON.parse(body.toString('utf8')) as Record<string, unknown> }
  }

  it('GET: status 200 with the bare number as reason, headers, a body of content-length bytes, reuse', () => {
    const { head, body, sequence, json } = decodeReply('get')
    expect(sequence).toEqual(['get-body', 'headers', 'body', 'end reuse=true'])
    expect(head.status).toBe(200)
    expect(head.message).toBe('200')
    expect(head.headers).toEqual({
      'x-node': 'TomcatA',
      'cache-control': 'no-store',
      'content-type': 'application/json;charset=UTF-8',
      'content-length': String(body.length),
    })
    // httpd relays Tomcat's reason verbatim; we substitute the standard phrase.
    expect(recording.clientStatusLines.get).toBe('HTTP/1.1 200 200')
    expect(`HTTP/1.1 ${head.status} ${reasonPhrase(head.status, head.message)}`).toBe('HTTP/1.1 200 OK')

    // What the servlet saw, i.e. how Tomcat mapped httpd's fields.
    const { request } = capture('get')
    expect(json).toMatchObject({
      method: 'GET',
      requestURI: '/testapp/echo.jsp',
      queryString: 'a=1&b=%C3%A9',
      remoteAddr: '127.0.0.1',
      remotePort: Number(reqAttribute(request, 'AJP_REMOTE_PORT')),
      localAddr: '127.0.0.1',
      localPort: request.serverPort, // server_port → getLocalPort()
      serverName: 'www.example.test',
      serverPort: 80, // from Host (no port → the scheme's default), not from server_port
      scheme: 'http',
      secure: false,
      contentLength: -1, // no content-length forwarded
      bodyLength: 0,
    })
    expect((json.headers as Record<string, string[]>).connection).toEqual(['close'])
    expect(json.cookies).toEqual({ theme: ['dark'], JSESSIONID: ['0123456789ABCDEF0123456789ABCDEF.TomcatA'] })
  })

  it('POST: the servlet read the 12-byte form body; Host port 8080 became getServerPort()', () => {
    const { head, body, sequence, json } = decodeReply('post')
    expect(sequence).toEqual(['get-body', 'headers', 'body', 'end reuse=true'])
    expect(head.status).toBe(200)
    expect(head.headers['content-length']).toBe(String(body.length))
    const { request } = capture('post')
    expect(json).toMatchObject({
      method: 'POST',
      serverName: 'www.example.test',
      serverPort: 8080,
      localPort: request.serverPort,
      contentType: 'application/x-www-form-urlencoded',
      contentLength: 12,
      bodyLength: 12,
      bodyText: 'a=1&b=%C3%A9',
    })
  })
})
