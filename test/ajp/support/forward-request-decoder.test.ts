import { describe, expect, it } from 'vitest'
import {
  AJP_METHODS,
  AJP_REQUEST_HEADERS,
  ForwardDecodeError,
  attributeValue,
  bodyOf,
  decodeForwardRequest,
  decodeServerStream,
  headerValues,
  reqAttribute,
} from './forward-request-decoder.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

/** A FORWARD_REQUEST worked out by hand from the AJP13 specification. */
const WORKED_EXAMPLE = hex(`
  12 34 00 9a 02 02 00 08 48 54 54 50 2f 31 2e 31
  00 00 0a 2f 61 70 70 2f 68 65 6c 6c 6f 00 00 08
  31 30 2e 30 2e 30 2e 35 00 ff ff 00 0b 65 78 61
  6d 70 6c 65 2e 63 6f 6d 00 01 bb 01 00 04 a0 0b
  00 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 00 a0 0e
  00 08 63 75 72 6c 2f 38 2e 35 00 a0 08 00 01 30
  00 00 08 58 2d 52 65 71 2d 49 64 00 00 02 34 32
  00 0c 00 06 73 33 63 72 33 74 00 05 00 03 78 3d
  31 00 0a 00 0f 41 4a 50 5f 52 45 4d 4f 54 45 5f
  50 4f 52 54 00 00 05 35 34 33 32 31 00 ff`)

/** A tiny independent writer for hand-made packets. */
function str(s: string | null): string {
  if (s === null) return 'ffff'
  const b = Buffer.from(s, 'latin1')
  return b.length.toString(16).padStart(4, '0') + b.toString('hex') + '00'
}
function packet(payloadHex: string): Buffer {
  const payload = hex(payloadHex)
  const head = Buffer.from([0x12, 0x34, payload.length >> 8, payload.length & 0xff])
  return Buffer.concat([head, payload])
}
/** GET-like fixed part with `method` byte and `headers` (count + entries) and `attrs` (ending ff). */
function forward(method: string, headers: string, attrs: string): Buffer {
  return packet(`02 ${method} ${str('HTTP/1.1')} ${str('/x')} ${str('1.2.3.4')} ${str(null)} ${str('h')} 0050 00 ${headers} ${attrs}`)
}

describe('decodeForwardRequest', () => {
  it('decodes a FORWARD_REQUEST worked out by hand from the specification', () => {
    const r = decodeForwardRequest(WORKED_EXAMPLE)
    expect(r).toEqual({
      method: 'GET',
      methodCode: 2,
      protocol: 'HTTP/1.1',
      reqUri: '/app/hello',
      remoteAddr: '10.0.0.5',
      remoteHost: null,
      serverName: 'example.com',
      serverPort: 443,
      isSsl: true,
      headers: [
        { name: 'host', code: 0xa00b, value: 'example.com' },
        { name: 'user-agent', code: 0xa00e, value: 'curl/8.5' },
        { name: 'content-length', code: 0xa008, value: '0' },
        { name: 'X-Req-Id', code: undefined, value: '42' },
      ],
      attributes: [
        { code: 0x0c, name: 'secret', value: 's3cr3t' },
        { code: 0x05, name: 'query_string', value: 'x=1' },
        { code: 0x0a, name: 'req_attribute', key: 'AJP_REMOTE_PORT', value: '54321' },
      ],
    })
    expect(headerValues(r, 'x-req-id')).toEqual(['42'])
    expect(attributeValue(r, 'secret')).toBe('s3cr3t')
    expect(reqAttribute(r, 'AJP_REMOTE_PORT')).toBe('54321')
    expect(reqAttribute(r, 'AJP_LOCAL_ADDR')).toBeUndefined()
  })

  it('accepts the payload alone as well as the framed packet', () => {
    expect(decodeForwardRequest(WORKED_EXAMPLE.subarray(4))).toEqual(decodeForwardRequest(WORKED_EXAMPLE))
  })

  it('has 27 methods and 14 coded headers, as Tomcat', () => {
    expect(AJP_METHODS).toHaveLength(27)
    expect(AJP_METHODS[26]).toBe('MKACTIVITY')
    expect(AJP_REQUEST_HEADERS).toHaveLength(14)
    expect(AJP_REQUEST_HEADERS[0xa00b - 0xa001]).toBe('host')
  })

  it('resolves the stored method (0xFF + attribute 0x0D) and decodes ssl_key_size as an integer', () => {
    const r = decodeForwardRequest(forward('ff', '0000', `0d ${str('PATCH')} 0b 0100 ff`))
    expect(r.method).toBe('PATCH')
    expect(r.methodCode).toBe(0xff)
    expect(r.attributes).toEqual([
      { code: 0x0d, name: 'stored_method', value: 'PATCH' },
      { code: 0x0b, name: 'ssl_key_size', value: 256 },
    ])
  })

  it('keeps bytes above 0x7F (latin1) and duplicate headers in order', () => {
    const r = decodeForwardRequest(forward('02', `0002 a009 ${str('a=\xe9')} a009 ${str('b=2')}`, 'ff'))
    expect(headerValues(r, 'cookie')).toEqual(['a=\xe9', 'b=2'])
  })

  it.each([
    ['an unknown attribute code', forward('02', '0000', '0e 0000 00 ff'), /unknown attribute code 0xe/],
    ['a missing 0xFF terminator', forward('02', '0000', `05 ${str('q')}`), /no 0xFF terminator/],
    ['bytes after the terminator', forward('02', '0000', 'ff 00'), /1 bytes after the 0xFF terminator/],
    ['a header code out of range', forward('02', `0001 a00f ${str('v')}`, 'ff'), /invalid header code 0xa00f/],
    ['method code 0', forward('00', '0000', 'ff'), /invalid method code 0/],
    ['method 0xFF without stored method', forward('ff', '0000', 'ff'), /without a stored_method/],
    ['a string without its NUL', packet(`02 02 0008 ${Buffer.from('HTTP/1.1').toString('hex')} 01`), /protocol lacks its NUL/],
    ['a wrong packet length', Buffer.concat([WORKED_EXAMPLE, Buffer.from([0])]), /announces 154 payload bytes, has 155/],
    ['another message type', packet('0a'), /message type 10 is not FORWARD_REQUEST/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => decodeForwardRequest(bytes)).toThrow(ForwardDecodeError)
    expect(() => decodeForwardRequest(bytes)).toThrow(message)
  })
})

describe('decodeServerStream', () => {
  const post = forward('04', `0001 a008 ${str('7')}`, 'ff')

  it('splits a POST: request, body packets, either spelling of the empty packet, then the next request', () => {
    const stream = Buffer.concat([
      post,
      hex('12 34 00 05 00 03 61 3d 31'),
      hex('12 34 00 06 00 04 26 62 3d 32'),
      hex('12 34 00 02 00 00'), // mod_proxy_ajp's end of body
      hex('12 34 00 01 0a'), // CPING between requests
      forward('02', '0000', 'ff'), // no content-length: unknown length
      hex('12 34 00 00'), // mod_jk's end of body
      WORKED_EXAMPLE, // content-length: 0, nothing follows
    ])
    const packets = decodeServerStream(stream)
    expect(packets.map((p) => p.kind)).toEqual(['forward', 'body', 'body', 'body', 'cping', 'forward', 'body', 'forward'])
    expect(bodyOf(packets).toString()).toBe('a=1&b=2')
    expect(packets.map((p) => p.raw.length).reduce((a, b) => a + b)).toBe(stream.length)
  })

  it('tolerates the trailing NUL of Tomcat\'s test client inside a body packet', () => {
    const packets = decodeServerStream(Buffer.concat([post, hex('12 34 00 0a 00 07 61 3d 31 26 62 3d 32 00')]))
    expect(bodyOf(packets).toString()).toBe('a=1&b=2')
  })

  it('refuses more body than announced, bad magic and truncation', () => {
    expect(() => decodeServerStream(Buffer.concat([post, hex('12 34 00 0a 00 08 61 3d 31 26 62 3d 32 33')]))).toThrow(/exceeds the 7 announced/)
    expect(() => decodeServerStream(hex('41 42 00 01 09'))).toThrow(/bad magic/)
    expect(() => decodeServerStream(WORKED_EXAMPLE.subarray(0, 20))).toThrow(/stream ends inside/)
    expect(() => decodeServerStream(hex('12 34 00 02 00 01'))).toThrow(ForwardDecodeError)
  })
})
