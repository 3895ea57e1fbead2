import { describe, expect, it } from 'vitest'
import { containerPacket as packet, str, u16 } from '../../../test/ajp/support/fake-ajp-server.js'
import { AjpProtocolError, type AjpProtocolErrorCode } from './errors.js'
import { AjpResponseParser, decodeMessage, type AjpMessage } from './response-decoder.js'
import { createSeededRandom as mulberry32 } from '../../schedulers/shared.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

// Container-side vectors worked out by hand from the AJP13 specification.
const HEADERS_200 = hex('41 42 00 20 04 00 c8 00 03 32 30 30 00 00 02 a0 01 00 0a 74 65 78 74 2f 70 6c 61 69 6e 00 a0 03 00 01 32 00')
const BODY_HI = hex('41 42 00 06 03 00 02 68 69 00')
const END_REUSE = hex('41 42 00 02 05 01')
const GET_BODY = hex('41 42 00 03 06 1f fa')
const CPONG = hex('41 42 00 01 09')

function all(parser: AjpResponseParser): AjpMessage[] {
  const out: AjpMessage[] = []
  for (let m = parser.next(); m; m = parser.next()) out.push(m)
  return out
}

/** Builds a SEND_HEADERS packet from parts. */
function headersPacket(status: number, headers: Array<[string | number, string]>): Buffer {
  const parts: Buffer[] = [Buffer.from([4, status >> 8, status & 0xff]), str(String(status)), u16(headers.length)]
  for (const [name, value] of headers) {
    parts.push(typeof name === 'number' ? u16(name) : str(name), str(value))
  }
  return packet(Buffer.concat(parts))
}

function codeOf(fn: () => unknown): AjpProtocolErrorCode | string {
  try {
    fn()
  } catch (err) {
    if (err instanceof AjpProtocolError) return err.code
    return `not an AjpProtocolError: ${String(err)}`
  }
  return 'no error'
}

describe('decodeMessage / AjpResponseParser', () => {
  it('decodes golden vectors worked out from the specification', () => {
    const parser = new AjpResponseParser()
    parser.push(Buffer.concat([HEADERS_200, BODY_HI, GET_BODY, CPONG, END_REUSE]))
    const messages = all(parser)
    expect(messages[0]).toEqual({ type: 'headers', status: 200, message: '200', headers: { 'content-type': 'text/plain', 'content-length': '2' } })
    expect(messages[1]).toEqual({ type: 'body', data: Buffer.from('hi') })
    expect(messages[2]).toEqual({ type: 'get-body', length: 8186 })
    expect(messages[3]).toEqual({ type: 'cpong' })
    expect(messages[4]).toEqual({ type: 'end', reuse: true })
    expect(parser.buffered).toBe(0)
  })

  it('reads END_RESPONSE reuse=0 and any non-zero value as reuse', () => {
    expect(decodeMessage(hex('05 00'))).toEqual({ type: 'end', reuse: false })
    expect(decodeMessage(hex('05 02'))).toEqual({ type: 'end', reuse: true })
  })

  it('keeps repeated Set-Cookie as an array, in order, coded or not, and every coded response name', () => {
    const names = ['content-type', 'content-language', 'content-length', 'date', 'last-modified', 'location', 'set-cookie', 'set-cookie2', 'servlet-engine', 'status', 'www-authenticate']
    const coded = names.map((_, i) => [0xa001 + i, `v${i}`] as [number, string])
    const msg = decodeMessage(headersPacket(302, [...coded, ['Set-Cookie', 'b=2'], [0xa007, 'c=3'], ['X-Thing', 'x']]).subarray(4))
    expect(msg.type).toBe('headers')
    if (msg.type !== 'headers') return
    expect(msg.status).toBe(302)
    names.forEach((name, i) => {
      if (name !== 'set-cookie') expect(msg.headers[name]).toBe(`v${i}`)
    })
    expect(msg.headers['set-cookie']).toEqual(['v6', 'b=2', 'c=3'])
    expect(msg.headers['x-thing']).toBe('x')
    expect(Object.getPrototypeOf(msg.headers)).toBe(null)
  })

  it('keeps latin1 bytes of header values', () => {
    const msg = decodeMessage(headersPacket(200, [['x-n', 'caf\u00e9']]).subarray(4))
    expect(msg.type === 'headers' && msg.headers['x-n']).toBe('caf\u00e9')
  })

  it('treats a zero-length body chunk as a flush and tolerates a missing trailing NUL', () => {
    expect(decodeMessage(hex('03 00 00 00'))).toEqual({ type: 'body', data: Buffer.alloc(0) })
    expect(decodeMessage(hex('03 00 00'))).toEqual({ type: 'body', data: Buffer.alloc(0) })
    expect(decodeMessage(hex('03 00 02 68 69'))).toEqual({ type: 'body', data: Buffer.from('hi') })
  })

  it('accepts a null reason phrase', () => {
    expect(decodeMessage(hex('04 01 94 ff ff 00 00'))).toEqual({ type: 'headers', status: 404, message: '', headers: {} })
  })

  it('rejects each malformed shape with its stable code', () => {
    const cases: Array<[string, AjpProtocolErrorCode]> = [
      ['', 'AJP_ERR_TRUNCATED'],
      ['01', 'AJP_ERR_UNKNOWN_TYPE'],
      ['02', 'AJP_ERR_UNKNOWN_TYPE'],
      ['0a', 'AJP_ERR_UNKNOWN_TYPE'],
      ['ff', 'AJP_ERR_UNKNOWN_TYPE'],
      ['03 00', 'AJP_ERR_TRUNCATED'],
      ['03 00 05 61', 'AJP_ERR_BAD_LENGTH'],
      ['03 00 01 61 00 00', 'AJP_ERR_BAD_LENGTH'],
      ['03 00 01 61 62', 'AJP_ERR_BAD_LENGTH'],
      ['05', 'AJP_ERR_TRUNCATED'],
      ['05 01 00', 'AJP_ERR_BAD_LENGTH'],
      ['06 1f', 'AJP_ERR_TRUNCATED'],
      ['06 1f fa 00', 'AJP_ERR_BAD_LENGTH'],
      ['09 00', 'AJP_ERR_BAD_LENGTH'],
      ['04 00', 'AJP_ERR_TRUNCATED'],
      ['04 00 63 00 00 00 00 00', 'AJP_ERR_BAD_STATUS'],
      ['04 03 e8 00 00 00 00 00', 'AJP_ERR_BAD_STATUS'],
      ['04 00 c8 00 01 32 01 00 00', 'AJP_ERR_BAD_STRING'],
      ['04 00 c8 00 00 00 00 01 a0 0c 00 00 00', 'AJP_ERR_BAD_HEADER'],
      ['04 00 c8 00 00 00 00 01 a0 00 00 00 00', 'AJP_ERR_BAD_HEADER'],
      ['04 00 c8 00 00 00 00 01 a0 01 ff ff', 'AJP_ERR_BAD_STRING'],
      ['04 00 c8 00 00 00 00 01 00 01 20 00 00 00 00', 'AJP_ERR_BAD_HEADER'],
      ['04 00 c8 00 00 00 00 01 00 01 61 00 00 02 0d 0a 00', 'AJP_ERR_BAD_HEADER'],
      ['04 00 c8 00 00 00 00 02 00 01 61 00 00 00 00', 'AJP_ERR_TRUNCATED'],
      ['04 00 c8 00 00 00 00 00 00', 'AJP_ERR_BAD_LENGTH'],
    ]
    for (const [bytes, code] of cases) expect(codeOf(() => decodeMessage(hex(bytes))), bytes).toBe(code)
  })

  it('fails fast on bad magic, oversize, and stays failed', () => {
    const p1 = new AjpResponseParser()
    p1.push(hex('12'))
    expect(codeOf(() => p1.next())).toBe('AJP_ERR_BAD_MAGIC')
    expect(codeOf(() => p1.next())).toBe('AJP_ERR_BAD_MAGIC')
    const p2 = new AjpResponseParser()
    p2.push(hex('41 43'))
    expect(codeOf(() => p2.next())).toBe('AJP_ERR_BAD_MAGIC')
    const p3 = new AjpResponseParser()
    p3.push(hex('41 42 1f fd'))
    expect(codeOf(() => p3.next())).toBe('AJP_ERR_OVERSIZE')
    const p4 = new AjpResponseParser(65536)
    p4.push(hex('41 42 1f fd'))
    expect(p4.next()).toBeUndefined()
    const p5 = new AjpResponseParser()
    p5.push(hex('41 42 00 00'))
    expect(codeOf(() => p5.next())).toBe('AJP_ERR_TRUNCATED')
    p5.reset()
    p5.push(CPONG)
    expect(p5.next()).toEqual({ type: 'cpong' })
  })

  it('accepts the largest packet and body chunk', () => {
    const data = Buffer.alloc(8184, 7)
    const big = packet(Buffer.concat([Buffer.from([3]), u16(data.length), data, Buffer.from([0])]))
    expect(big.length).toBe(8192)
    const parser = new AjpResponseParser()
    parser.push(big)
    const m = parser.next()
    expect(m?.type === 'body' && m.data.length).toBe(8184)
  })

  it('never reads past a packet: bytes after the last taken message stay buffered', () => {
    const parser = new AjpResponseParser()
    parser.push(Buffer.concat([END_REUSE, hex('41 42 00')]))
    expect(parser.next()).toEqual({ type: 'end', reuse: true })
    expect(parser.buffered).toBe(3)
    expect(parser.next()).toBeUndefined()
  })

  it('returns views of the pushed slice for body data when the packet lies in one slice', () => {
    const chunk = Buffer.concat([BODY_HI])
    const parser = new AjpResponseParser()
    parser.push(chunk)
    const m = parser.next()
    expect(m?.type === 'body' && m.data.buffer).toBe(chunk.buffer)
  })

  it('gives the same messages fed byte by byte, in random slices, or whole', () => {
    const cookies: Array<[string | number, string]> = [
      [0xa007, 'JSESSIONID=ABC.TomcatA; Path=/'],
      ['Set-Cookie', 'x=1'],
    ]
    const stream = Buffer.concat([
      GET_BODY,
      headersPacket(200, [[0xa001, 'text/html'], ...cookies]),
      BODY_HI,
      hex('41 42 00 04 03 00 00 00'),
      packet(Buffer.concat([Buffer.from([3]), u16(5000), Buffer.alloc(5000, 0x61), Buffer.from([0])])),
      GET_BODY,
      END_REUSE,
    ])
    const whole = new AjpResponseParser()
    whole.push(stream)
    const expected = all(whole)
    expect(expected).toHaveLength(7)

    const byByte = new AjpResponseParser()
    const got: AjpMessage[] = []
    for (let i = 0; i < stream.length; i++) {
      byByte.push(stream.subarray(i, i + 1))
      got.push(...all(byByte))
    }
    expect(got).toEqual(expected)

    const rnd = mulberry32(42)
    for (let round = 0; round < 50; round++) {
      const parser = new AjpResponseParser()
      const out: AjpMessage[] = []
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(rnd() * 700)
        parser.push(Buffer.from(stream.subarray(i, i + n)))
        out.push(...all(parser))
        i += n
      }
      expect(out).toEqual(expected)
    }
  })
})

describe('AjpResponseParser fuzz', () => {
  const valid = Buffer.concat([
    headersPacket(200, [[0xa001, 'text/plain'], ['Set-Cookie', 'a=1'], [0xa007, 'b=2']]),
    BODY_HI,
    GET_BODY,
    hex('41 42 00 04 03 00 00 00'),
    END_REUSE,
    CPONG,
  ])

  function drive(parser: AjpResponseParser, stream: Buffer, rnd: () => number): void {
    for (let i = 0; i < stream.length; ) {
      const n = 1 + Math.floor(rnd() * 64)
      parser.push(stream.subarray(i, i + n))
      i += n
      try {
        let guard = 0
        for (let m = parser.next(); m; m = parser.next()) {
          if (++guard > stream.length) throw new Error('parser loops')
        }
      } catch (err) {
        if (!(err instanceof AjpProtocolError)) throw err
        return
      }
    }
  }

  it('random byte streams only ever raise AjpProtocolError', () => {
    const rnd = mulberry32(1938)
    const started = Date.now()
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(rnd() * 300)
      const stream = Buffer.alloc(len)
      for (let j = 0; j < len; j++) stream[j] = Math.floor(rnd() * 256)
      // Half the time start with a plausible header so the payload decoders get exercised.
      if (len > 4 && rnd() < 0.5) {
        stream[0] = 0x41
        stream[1] = 0x42
        stream.writeUInt16BE(len - 4, 2)
      }
      drive(new AjpResponseParser(), stream, rnd)
    }
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('mutated valid streams only ever raise AjpProtocolError', () => {
    const rnd = mulberry32(2020)
    for (let i = 0; i < 3000; i++) {
      const stream = Buffer.from(valid)
      const flips = 1 + Math.floor(rnd() * 4)
      for (let f = 0; f < flips; f++) stream[Math.floor(rnd() * stream.length)] = Math.floor(rnd() * 256)
      const cut = rnd() < 0.2 ? Math.floor(rnd() * stream.length) : stream.length
      drive(new AjpResponseParser(), stream.subarray(0, cut), rnd)
    }
  })
})
