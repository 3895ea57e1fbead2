/**
 * Property tests of the FORWARD_REQUEST encoder (fast-check): what it encodes decodes (with the
 * test container's reader, which reads packets the way Tomcat's AjpProcessor does) to exactly the
 * facts it was given; client input never becomes an attribute; a request that cannot be carried
 * fails with 400 or 431, never a broken packet. In the suite they run a moderate, seeded number of
 * cases; `npm run fuzz` runs them long.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BadRequestError, HeadersTooLargeError } from '../../errors.js'
import { decodeForward } from '../../../test/ajp/support/fake-ajp-server.js'
import { METHOD_CODES, REQUEST_HEADER_CODES } from './constants.js'
import { encodeForwardRequest } from './forward-request.js'
import type { ForwardRequest } from './forward-request.js'

const LONG_RUNS = Number(process.env.FUZZ_RUNS ?? 0)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG_RUNS > 0 ? undefined : 2_020_1938
function params(ciRuns: number): fc.Parameters<unknown> {
  return { numRuns: LONG_RUNS > 0 ? LONG_RUNS : ciRuns, ...(SEED !== undefined ? { seed: SEED } : {}) }
}
const TIMEOUT = Math.max(20_000, LONG_RUNS * 5)

/** Byte strings as Node's parser holds them: latin1, no CR, LF or NUL. */
const bytes = (max: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[\\x01-\\x09\\x0b\\x0c\\x0e-\\xff]{0,${max}}$`))
const tokenName = fc.oneof(
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9a-z]{1,24}$/),
  fc.constantFrom(...REQUEST_HEADER_CODES.keys()),
  // names that look like attributes must stay headers (Ghostcat)
  fc.constantFrom('javax.servlet.include.request_uri', 'ajp_remote_port', 'secret', 'route', 'query_string', 'req_attribute', 'ssl_cert', 'jvmroute'),
)
const method = fc.oneof(fc.constantFrom(...METHOD_CODES.keys()), fc.constantFrom('PATCH', 'PURGE', 'LINK', 'MKCALENDAR', 'QUERY'))
const request: fc.Arbitrary<ForwardRequest> = fc.record({
  method,
  protocol: fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
  uri: bytes(60).map((s) => `/${s}`),
  queryString: fc.option(bytes(40), { nil: undefined }),
  remoteAddr: fc.constantFrom('127.0.0.1', '10.1.2.3', '::1', '2001:db8::7'),
  remoteHost: fc.option(fc.constant('client.example'), { nil: undefined }),
  serverName: fc.constantFrom('front', 'example.com', '[::1]'),
  serverPort: fc.integer({ min: 0, max: 65535 }),
  isSsl: fc.boolean(),
  headers: fc.dictionary(tokenName, fc.oneof(bytes(40), fc.array(bytes(20), { minLength: 1, maxLength: 3 })), { maxKeys: 12 }),
  contentLength: fc.option(fc.integer({ min: 0, max: 2 ** 40 }), { nil: undefined }),
  secret: fc.option(fc.stringMatching(/^[\x21-\x7e]{1,30}$/), { nil: undefined }),
  route: fc.option(fc.stringMatching(/^[A-Za-z0-9_\-.~:]{1,16}$/), { nil: undefined }),
  remotePort: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
  localAddr: fc.option(fc.constantFrom('127.0.0.1', '::1'), { nil: undefined }),
}, { requiredKeys: ['method', 'protocol', 'uri', 'remoteAddr', 'serverName', 'serverPort', 'isSsl', 'headers', 'contentLength'] })

/** The header list the encoder must produce from `request.headers`, in order. */
function expectedHeaders(req: ForwardRequest): Array<[string | number, string]> {
  const out: Array<[string | number, string]> = []
  let lengthSent = false
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    const name = key.toLowerCase()
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'expect') {
      if (name === 'content-length' && req.contentLength !== undefined && !lengthSent) {
        out.push([0xa008, String(req.contentLength)])
        lengthSent = true
      }
      continue
    }
    for (const v of typeof value === 'string' ? [value] : value) out.push([REQUEST_HEADER_CODES.get(name) ?? key, v])
  }
  if (req.contentLength !== undefined && !lengthSent) out.push([0xa008, String(req.contentLength)])
  return out
}

function expectedAttributes(req: ForwardRequest): Array<[number, unknown]> {
  const out: Array<[number, unknown]> = []
  if (req.secret !== undefined) out.push([0x0c, req.secret])
  if (req.queryString !== undefined) out.push([0x05, req.queryString])
  if (req.route !== undefined) out.push([0x06, req.route])
  if (!METHOD_CODES.has(req.method)) out.push([0x0d, req.method])
  if (req.remotePort !== undefined) out.push([0x0a, ['AJP_REMOTE_PORT', String(req.remotePort)]])
  if (req.localAddr !== undefined) out.push([0x0a, ['AJP_LOCAL_ADDR', req.localAddr]])
  return out
}

describe('encodeForwardRequest (properties)', () => {
  it('decodes, as Tomcat reads it, to exactly the facts given; attributes come only from those facts', () => {
    fc.assert(
      fc.property(request, fc.constantFrom(8192, 16384, 65536), (req, packetSize) => {
        let packet: Buffer
        try {
          packet = encodeForwardRequest(req, packetSize)
        } catch (err) {
          // only a request too large for one packet may fail here (every string is clean)
          expect(err).toBeInstanceOf(HeadersTooLargeError)
          return
        }
        expect(packet.length).toBeLessThanOrEqual(packetSize)
        expect(packet.readUInt16BE(0)).toBe(0x1234)
        expect(packet.readUInt16BE(2)).toBe(packet.length - 4)
        expect(packet[4]).toBe(2)
        const decoded = decodeForward(packet.subarray(4))
        expect(decoded).toEqual({
          method: METHOD_CODES.get(req.method) ?? 0xff,
          protocol: req.protocol,
          uri: req.uri,
          remoteAddr: req.remoteAddr,
          remoteHost: req.remoteHost ?? null,
          serverName: req.serverName,
          serverPort: req.serverPort,
          isSsl: req.isSsl,
          headers: expectedHeaders(req),
          attributes: expectedAttributes(req),
        })
      }),
      params(3_000),
    )
  }, TIMEOUT)

  it('a CR, LF or NUL anywhere in client input is refused with 400, never encoded', () => {
    const bad = fc.tuple(bytes(10), fc.constantFrom('\r', '\n', '\0'), bytes(10)).map(([a, c, b]) => a + c + b)
    const where = fc.constantFrom('uri', 'query', 'header-value', 'header-name', 'method')
    fc.assert(
      fc.property(bad, where, (text, field) => {
        const req: ForwardRequest = {
          method: field === 'method' ? `X${text}` : 'GET',
          protocol: 'HTTP/1.1',
          uri: field === 'uri' ? `/${text}` : '/',
          queryString: field === 'query' ? text : undefined,
          remoteAddr: '127.0.0.1',
          serverName: 'front',
          serverPort: 80,
          isSsl: false,
          headers: field === 'header-value' ? { 'x-a': text } : field === 'header-name' ? { [`x-${text}`]: 'v' } : {},
          contentLength: 0,
        }
        expect(() => encodeForwardRequest(req)).toThrow(BadRequestError)
      }),
      params(2_000),
    )
  }, TIMEOUT)

  it('a head larger than packetSize is refused with 431, whatever makes it large', () => {
    fc.assert(
      fc.property(fc.constantFrom('uri', 'query', 'header', 'headers'), fc.constantFrom(8192, 16384), (what, packetSize) => {
        const big = 'a'.repeat(packetSize)
        const many = Object.fromEntries(Array.from({ length: packetSize / 8 }, (_, i) => [`x-${i}`, 'v']))
        const req: ForwardRequest = {
          method: 'GET',
          protocol: 'HTTP/1.1',
          uri: what === 'uri' ? `/${big}` : '/',
          queryString: what === 'query' ? big : undefined,
          remoteAddr: '127.0.0.1',
          serverName: 'front',
          serverPort: 80,
          isSsl: false,
          headers: what === 'header' ? { 'x-big': big } : what === 'headers' ? many : {},
          contentLength: 0,
        }
        expect(() => encodeForwardRequest(req, packetSize)).toThrow(HeadersTooLargeError)
      }),
      // eight shapes in all: a long run adds nothing
      { ...params(100), numRuns: 100 },
    )
  }, TIMEOUT)
})
