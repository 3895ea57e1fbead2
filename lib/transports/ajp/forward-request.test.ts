import { describe, expect, it } from 'vitest'
import { BadRequestError, HeadersTooLargeError } from '../../errors.js'
import { METHOD_CODES, REQUEST_HEADER_CODES } from './constants.js'
import { encodeBodyChunkHead, encodeBodyPacket, encodeForwardRequest, maxBodyChunk, type ForwardRequest } from './forward-request.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

const base: ForwardRequest = {
  method: 'GET',
  protocol: 'HTTP/1.1',
  uri: '/',
  remoteAddr: '127.0.0.1',
  serverName: 'h',
  serverPort: 80,
  isSsl: false,
  headers: {},
  contentLength: 0,
}

/** Minimal reader of our own packets, to look at fields in tests. */
function readPacket(packet: Buffer) {
  let p = 4
  const u8 = () => packet[p++] as number
  const u16 = () => {
    const v = packet.readUInt16BE(p)
    p += 2
    return v
  }
  const str = () => {
    const n = u16()
    if (n === 0xffff) return null
    const s = packet.toString('latin1', p, p + n)
    expect(packet[p + n]).toBe(0)
    p += n + 1
    return s
  }
  expect(packet.readUInt16BE(0)).toBe(0x1234)
  expect(packet.readUInt16BE(2)).toBe(packet.length - 4)
  expect(u8()).toBe(2)
  const method = u8()
  const protocol = str()
  const uri = str()
  const remoteAddr = str()
  const remoteHost = str()
  const serverName = str()
  const serverPort = u16()
  const isSsl = u8()
  const n = u16()
  const headers: Array<[string | number, string | null]> = []
  for (let i = 0; i < n; i++) {
    const peek = packet[p] as number
    const name = peek === 0xa0 ? u16() : (str() as string)
    headers.push([name, str()])
  }
  const attributes: Array<[number, unknown]> = []
  for (;;) {
    const code = u8()
    if (code === 0xff) break
    if (code === 0x0a) attributes.push([code, [str(), str()]])
    else if (code === 0x0b) attributes.push([code, u16()])
    else attributes.push([code, str()])
  }
  expect(p).toBe(packet.length)
  return { method, protocol, uri, remoteAddr, remoteHost, serverName, serverPort, isSsl, headers, attributes }
}

describe('encodeForwardRequest', () => {
  it('matches a FORWARD_REQUEST worked out by hand from the specification, byte for byte', () => {
    const packet = encodeForwardRequest({
      method: 'GET',
      protocol: 'HTTP/1.1',
      uri: '/app/hello',
      queryString: 'x=1',
      remoteAddr: '10.0.0.5',
      remoteHost: null,
      serverName: 'example.com',
      serverPort: 443,
      isSsl: true,
      headers: { host: 'example.com', 'user-agent': 'curl/8.5', 'content-length': '0', 'X-Req-Id': '42' },
      contentLength: 0,
      secret: 's3cr3t',
      remotePort: 54321,
    })
    expect(packet.toString('hex')).toBe(
      hex(`
      12 34 00 9a 02 02 00 08 48 54 54 50 2f 31 2e 31
      00 00 0a 2f 61 70 70 2f 68 65 6c 6c 6f 00 00 08
      31 30 2e 30 2e 30 2e 35 00 ff ff 00 0b 65 78 61
      6d 70 6c 65 2e 63 6f 6d 00 01 bb 01 00 04 a0 0b
      00 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d 00 a0 0e
      00 08 63 75 72 6c 2f 38 2e 35 00 a0 08 00 01 30
      00 00 08 58 2d 52 65 71 2d 49 64 00 00 02 34 32
      00 0c 00 06 73 33 63 72 33 74 00 05 00 03 78 3d
      31 00 0a 00 0f 41 4a 50 5f 52 45 4d 4f 54 45 5f
      50 4f 52 54 00 00 05 35 34 33 32 31 00 ff`).toString('hex'),
    )
  })

  it('encodes the smallest request by hand', () => {
    // GET / HTTP/1.1 from 1 to h:80, no headers but the explicit content-length: 0
    const packet = encodeForwardRequest({ ...base, remoteAddr: '1', remoteHost: '1' })
    expect(packet.toString('hex')).toBe(
      hex(`12 34 00 29 02 02 00 08 48 54 54 50 2f 31 2e 31 00
           00 01 2f 00  00 01 31 00  00 01 31 00  00 01 68 00  00 50  00
           00 01  a0 08 00 01 30 00  ff`).toString('hex'),
    )
  })

  it('uses every method code, and the stored method for the others', () => {
    expect(METHOD_CODES.size).toBe(27)
    for (const [method, code] of METHOD_CODES) {
      const r = readPacket(encodeForwardRequest({ ...base, method }))
      expect(r.method, method).toBe(code)
      expect(r.attributes.find(([c]) => c === 0x0d)).toBeUndefined()
    }
    for (const method of ['PATCH', 'PURGE', 'get']) {
      const r = readPacket(encodeForwardRequest({ ...base, method }))
      expect(r.method).toBe(0xff)
      expect(r.attributes).toContainEqual([0x0d, method])
    }
  })

  it('codes the known request headers whatever their case and sends the others as strings', () => {
    const headers: Record<string, string> = {}
    for (const name of REQUEST_HEADER_CODES.keys()) if (name !== 'content-length') headers[name] = `v-${name}`
    headers['X-Custom'] = 'x'
    headers['Accept-Encoding'] = 'gzip'
    const r = readPacket(encodeForwardRequest({ ...base, headers, contentLength: 5 }))
    for (const [name, code] of REQUEST_HEADER_CODES) {
      if (name !== 'content-length') expect(r.headers).toContainEqual([code, `v-${name}`])
    }
    expect(r.headers).toContainEqual(['X-Custom', 'x'])
    expect(r.headers).toContainEqual([0xa003, 'gzip'])
    expect(r.headers).toContainEqual([0xa008, '5'])
  })

  it('always sends one content-length: ours, never the client one, none for streamed bodies', () => {
    const withClient = readPacket(encodeForwardRequest({ ...base, headers: { 'content-length': '999', 'transfer-encoding': 'chunked' }, contentLength: 3 }))
    expect(withClient.headers).toEqual([[0xa008, '3']])
    const none = readPacket(encodeForwardRequest({ ...base, headers: {}, contentLength: 0 }))
    expect(none.headers).toEqual([[0xa008, '0']])
    const streamed = readPacket(encodeForwardRequest({ ...base, headers: { 'content-length': '12', 'transfer-encoding': 'chunked', expect: '100-continue' }, contentLength: undefined }))
    expect(streamed.headers).toEqual([])
  })

  it('sends repeated headers once per value', () => {
    const r = readPacket(encodeForwardRequest({ ...base, headers: { 'x-a': ['1', '2'], cookie: 'a=b' } }))
    expect(r.headers).toEqual([
      ['x-a', '1'],
      ['x-a', '2'],
      [0xa009, 'a=b'],
      [0xa008, '0'],
    ])
  })

  it('sends query, route, secret and the allow-listed req_attributes', () => {
    const r = readPacket(
      encodeForwardRequest({ ...base, queryString: 'a=1&b=%C3%A9', route: 'TomcatA', secret: 'k', remotePort: 40000, localAddr: '10.1.2.3' }),
    )
    expect(r.attributes).toEqual([
      [0x0c, 'k'],
      [0x05, 'a=1&b=%C3%A9'],
      [0x06, 'TomcatA'],
      [0x0a, ['AJP_REMOTE_PORT', '40000']],
      [0x0a, ['AJP_LOCAL_ADDR', '10.1.2.3']],
    ])
    expect(r.uri).toBe('/')
  })

  it('sends an empty query string when the URL ended with "?"', () => {
    expect(readPacket(encodeForwardRequest({ ...base, queryString: '' })).attributes).toEqual([[0x05, '']])
  })

  it('sends TLS attributes only for TLS clients, key size as a 2-byte integer', () => {
    const tls = { cipher: 'TLS_AES_256_GCM_SHA384', session: 'abcd', keySize: 256, cert: '-----BEGIN CERTIFICATE-----', protocol: 'TLSv1.3' }
    const secure = readPacket(encodeForwardRequest({ ...base, isSsl: true, tls }))
    expect(secure.isSsl).toBe(1)
    expect(secure.attributes).toEqual([
      [0x07, tls.cert],
      [0x08, tls.cipher],
      [0x09, 'abcd'],
      [0x0b, 256],
      [0x0a, ['AJP_SSL_PROTOCOL', 'TLSv1.3']],
    ])
    const plain = readPacket(encodeForwardRequest({ ...base, isSsl: false, tls }))
    expect(plain.isSsl).toBe(0)
    expect(plain.attributes).toEqual([])
  })

  it('never turns a client header into an attribute (Ghostcat)', () => {
    const hostile = {
      'javax.servlet.include.request_uri': '/',
      'javax.servlet.include.servlet_path': 'WEB-INF/web.xml',
      'ajp_remote_port': '1',
      'x-ajp-secret': 'guess',
      'x-forwarded-for': '1.2.3.4',
      'remote_user': 'admin',
    }
    const packet = encodeForwardRequest({ ...base, headers: hostile })
    const r = readPacket(packet)
    expect(r.attributes).toEqual([])
    expect(r.headers.map(([n]) => n)).toEqual([...Object.keys(hostile), 0xa008])
    expect(r.remoteAddr).toBe('127.0.0.1')
  })

  it('refuses CR, LF and NUL anywhere with a 400', () => {
    for (const bad of ['a\r\nb', 'a\nb', 'a\0b', 'a\rb']) {
      for (const req of [
        { ...base, headers: { 'x-a': bad } },
        { ...base, headers: { [bad]: 'v' } },
        { ...base, headers: { 'x-a': ['ok', bad] } },
        { ...base, uri: `/${bad}` },
        { ...base, queryString: bad },
      ]) {
        const err = (() => {
          try {
            encodeForwardRequest(req)
          } catch (e) {
            return e
          }
          return undefined
        })()
        expect(err).toBeInstanceOf(BadRequestError)
        expect((err as BadRequestError).statusCode).toBe(400)
      }
    }
  })

  it('refuses a request path that is not origin-form', () => {
    expect(() => encodeForwardRequest({ ...base, uri: 'http://other/' })).toThrow(BadRequestError)
  })

  it('fails with a 431 when the head does not fit the packet, and fits up to the last byte', () => {
    const overhead = encodeForwardRequest({ ...base, headers: { 'x-big': '' } }).length
    const fits = encodeForwardRequest({ ...base, headers: { 'x-big': 'a'.repeat(8192 - overhead) } })
    expect(fits.length).toBe(8192)
    const err = (() => {
      try {
        encodeForwardRequest({ ...base, headers: { 'x-big': 'a'.repeat(8192 - overhead + 1) } })
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(HeadersTooLargeError)
    expect((err as HeadersTooLargeError).statusCode).toBe(431)
    // A bigger packetSize carries it.
    expect(encodeForwardRequest({ ...base, headers: { 'x-big': 'a'.repeat(20_000) } }, 65536).length).toBeGreaterThan(20_000)
    expect(() => encodeForwardRequest({ ...base, headers: { 'x-big': 'a'.repeat(70_000) } }, 65536)).toThrow(HeadersTooLargeError)
  })

  it('keeps latin1 bytes as they are and sends wider characters as UTF-8', () => {
    const raw = Buffer.from('/caf\u00e9/\u65e5', 'utf8').toString('latin1') // as Node's parser holds it
    const r = readPacket(encodeForwardRequest({ ...base, uri: raw }))
    expect(Buffer.from(r.uri as string, 'latin1').toString('utf8')).toBe('/caf\u00e9/\u65e5')
    const packet = encodeForwardRequest({ ...base, uri: '/\u65e5' })
    expect(packet.includes(Buffer.from('/\u65e5', 'utf8'))).toBe(true)
  })

  it('validates packetSize and numbers', () => {
    expect(() => encodeForwardRequest(base, 4096)).toThrow(RangeError)
    expect(() => encodeForwardRequest(base, 65537)).toThrow(RangeError)
    expect(() => encodeForwardRequest({ ...base, serverPort: 70000 })).toThrow(RangeError)
    expect(() => encodeForwardRequest({ ...base, contentLength: -1 })).toThrow(RangeError)
  })
})

describe('body packets (golden)', () => {
  it('"a=1&b=2" is 12 34 00 09 00 07 …', () => {
    expect(encodeBodyPacket(Buffer.from('a=1&b=2')).toString('hex')).toBe(hex('12 34 00 09 00 07 61 3d 31 26 62 3d 32').toString('hex'))
  })

  it('caps a chunk at packetSize − 6', () => {
    expect(maxBodyChunk()).toBe(8186)
    expect(maxBodyChunk(65536)).toBe(65530)
    expect(encodeBodyChunkHead(8186).toString('hex')).toBe('12341ffc1ffa')
    expect(() => encodeBodyChunkHead(8187)).toThrow(RangeError)
    expect(() => encodeBodyChunkHead(0)).toThrow(RangeError)
    expect(encodeBodyChunkHead(65530, 65536).toString('hex')).toBe('1234fffcfffa')
  })
})
