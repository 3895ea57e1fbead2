/**
 * Test-only decoder of the server → container direction of AJP13 (magic `0x12 0x34`):
 * FORWARD_REQUEST, request-body data packets, the empty end-of-body packet and CPING.
 *
 * It is deliberately independent of `lib/transports/ajp/` (own tables, copied from
 * the AJP13 specification (tomcat-connectors' ajpv13a) and Tomcat's `Constants.java`), so it can judge our
 * encoder and a capture of mod_proxy_ajp by the same yardstick. It is strict where Tomcat is lax:
 * an unknown attribute code, method code or header code, a missing NUL, a packet shorter or longer
 * than its fields all throw `ForwardDecodeError` with the byte offset.
 *
 * @module
 */

/** Method codes 1..27, index = code − 1 (Tomcat `methodTransArray`). */
export const AJP_METHODS: readonly string[] = [
  'OPTIONS', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'TRACE', 'PROPFIND', 'PROPPATCH', 'MKCOL',
  'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'ACL', 'REPORT', 'VERSION-CONTROL', 'CHECKIN', 'CHECKOUT',
  'UNCHECKOUT', 'SEARCH', 'MKWORKSPACE', 'UPDATE', 'LABEL', 'MERGE', 'BASELINE-CONTROL', 'MKACTIVITY',
]

/** Coded request header names 0xA001..0xA00E, index = code − 0xA001. */
export const AJP_REQUEST_HEADERS: readonly string[] = [
  'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'authorization', 'connection',
  'content-type', 'content-length', 'cookie', 'cookie2', 'host', 'pragma', 'referer', 'user-agent',
]

/** Attribute names by code (0x01..0x0D). */
export const AJP_ATTRIBUTES: Readonly<Record<number, string>> = {
  0x01: 'context',
  0x02: 'servlet_path',
  0x03: 'remote_user',
  0x04: 'auth_type',
  0x05: 'query_string',
  0x06: 'route',
  0x07: 'ssl_cert',
  0x08: 'ssl_cipher',
  0x09: 'ssl_session',
  0x0a: 'req_attribute',
  0x0b: 'ssl_key_size',
  0x0c: 'secret',
  0x0d: 'stored_method',
}

export class ForwardDecodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at byte ${offset})`)
    this.name = 'ForwardDecodeError'
  }
}

export interface DecodedHeader {
  /** Lower-case canonical name for a coded header; the name exactly as sent otherwise. */
  readonly name: string
  /** The 0xA0xx code, or undefined when the name was sent as a string. */
  readonly code: number | undefined
  readonly value: string
}

export type DecodedAttribute =
  | { readonly code: number; readonly name: string; readonly value: string }
  | { readonly code: 0x0b; readonly name: 'ssl_key_size'; readonly value: number }
  | { readonly code: 0x0a; readonly name: 'req_attribute'; readonly key: string; readonly value: string }

export interface DecodedForwardRequest {
  /** The method name: from the code table, or the stored_method attribute when the code is 0xFF. */
  readonly method: string
  /** The method byte as sent (0xFF = stored method). */
  readonly methodCode: number
  readonly protocol: string
  readonly reqUri: string
  readonly remoteAddr: string
  /** null when sent as the null string (`FF FF`). */
  readonly remoteHost: string | null
  readonly serverName: string
  readonly serverPort: number
  readonly isSsl: boolean
  /** In the order sent, duplicates kept. */
  readonly headers: readonly DecodedHeader[]
  /** In the order sent (the terminating 0xFF is not listed). */
  readonly attributes: readonly DecodedAttribute[]
}

/** Values of every header named `name` (case-insensitive), in order. */
export function headerValues(request: DecodedForwardRequest, name: string): string[] {
  const wanted = name.toLowerCase()
  return request.headers.filter((h) => h.name.toLowerCase() === wanted).map((h) => h.value)
}

/** The value of the attribute `name` (e.g. `query_string`, `secret`), or undefined. */
export function attributeValue(request: DecodedForwardRequest, name: string): string | number | undefined {
  const found = request.attributes.find((a) => a.name === name)
  return found?.value
}

/** The value of `req_attribute` `key` (e.g. `AJP_REMOTE_PORT`), or undefined. */
export function reqAttribute(request: DecodedForwardRequest, key: string): string | undefined {
  for (const a of request.attributes) if (a.code === 0x0a && 'key' in a && a.key === key) return a.value
  return undefined
}

class Reader {
  pos: number
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start
  }
  fail(message: string): never {
    throw new ForwardDecodeError(message, this.pos)
  }
  u8(what: string): number {
    if (this.pos + 1 > this.end) this.fail(`packet ends inside ${what}`)
    return this.buf[this.pos++] as number
  }
  u16(what: string): number {
    if (this.pos + 2 > this.end) this.fail(`packet ends inside ${what}`)
    const v = this.buf.readUInt16BE(this.pos)
    this.pos += 2
    return v
  }
  /** AJP string: u16 length, bytes, NUL; 0xFFFF = null. Decoded as latin1 (bytes survive). */
  string(what: string): string | null {
    const n = this.u16(what)
    if (n === 0xffff) return null
    if (this.pos + n + 1 > this.end) this.fail(`packet ends inside ${what}`)
    const s = this.buf.toString('latin1', this.pos, this.pos + n)
    if (this.buf[this.pos + n] !== 0) {
      this.pos += n
      this.fail(`${what} lacks its NUL terminator`)
    }
    this.pos += n + 1
    return s
  }
  required(what: string): string {
    const s = this.string(what)
    if (s === null) this.fail(`${what} is null`)
    return s
  }
}

/**
 * Decodes one FORWARD_REQUEST: either the whole packet (`12 34 LL LL 02 …`) or only its payload
 * (`02 …`).
 */
export function decodeForwardRequest(bytes: Buffer): DecodedForwardRequest {
  let start = 0
  let end = bytes.length
  if (bytes.length >= 4 && bytes[0] === 0x12 && bytes[1] === 0x34) {
    const length = bytes.readUInt16BE(2)
    if (4 + length !== bytes.length) throw new ForwardDecodeError(`packet announces ${length} payload bytes, has ${bytes.length - 4}`, 2)
    start = 4
    end = bytes.length
  }
  const r: Reader = new Reader(bytes, start, end)
  const type = r.u8('the message type')
  if (type !== 2) r.fail(`message type ${type} is not FORWARD_REQUEST (2)`)
  const methodCode = r.u8('the method')
  if (methodCode !== 0xff && (methodCode < 1 || methodCode > AJP_METHODS.length)) r.fail(`invalid method code ${methodCode}`)
  const protocol = r.required('protocol')
  const reqUri = r.required('req_uri')
  const remoteAddr = r.required('remote_addr')
  const remoteHost = r.string('remote_host')
  const serverName = r.required('server_name')
  const serverPort = r.u16('server_port')
  const ssl = r.u8('is_ssl')
  if (ssl !== 0 && ssl !== 1) r.fail(`is_ssl is ${ssl}, not 0 or 1`)
  const count = r.u16('num_headers')
  const headers: DecodedHeader[] = []
  for (let i = 0; i < count; i++) {
    let name: string
    let code: number | undefined
    if (r.pos < r.end && bytes[r.pos] === 0xa0) {
      code = r.u16('a header code')
      const known = AJP_REQUEST_HEADERS[code - 0xa001]
      if (code < 0xa001 || known === undefined) r.fail(`invalid header code 0x${code.toString(16)}`)
      name = known
    } else {
      name = r.required('a header name')
    }
    headers.push({ name, code, value: r.required(`the value of header ${name}`) })
  }
  const attributes: DecodedAttribute[] = []
  let storedMethod: string | undefined
  for (;;) {
    const code = r.u8('the attribute list (no 0xFF terminator)')
    if (code === 0xff) break
    const name = AJP_ATTRIBUTES[code]
    if (name === undefined) {
      r.pos--
      r.fail(`unknown attribute code 0x${code.toString(16)}`)
    }
    if (code === 0x0a) {
      const key = r.required('a req_attribute name')
      attributes.push({ code: 0x0a, name: 'req_attribute', key, value: r.required(`req_attribute ${key}`) })
    } else if (code === 0x0b) {
      attributes.push({ code: 0x0b, name: 'ssl_key_size', value: r.u16('ssl_key_size') })
    } else {
      const value = r.required(name)
      if (code === 0x0d) storedMethod = value
      attributes.push({ code, name, value })
    }
  }
  if (r.pos !== end) r.fail(`${end - r.pos} bytes after the 0xFF terminator`)
  let method: string
  if (methodCode === 0xff) {
    if (storedMethod === undefined) r.fail('method 0xFF without a stored_method attribute')
    method = storedMethod
  } else {
    method = AJP_METHODS[methodCode - 1] as string
  }
  return { method, methodCode, protocol, reqUri, remoteAddr, remoteHost, serverName, serverPort, isSsl: ssl === 1, headers, attributes }
}

/** One framed packet of a server → container stream. */
export type ServerPacket =
  | { readonly kind: 'forward'; readonly request: DecodedForwardRequest; readonly raw: Buffer }
  | { readonly kind: 'cping'; readonly raw: Buffer }
  /** A request-body data packet; `data` is empty for an end-of-body packet (`12 34 00 00` or `12 34 00 02 00 00`). */
  | { readonly kind: 'body'; readonly data: Buffer; readonly raw: Buffer }

/** The data of a body packet payload, or undefined when the inner length does not fit the payload. */
function bodyData(payload: Buffer): Buffer | undefined {
  if (payload.length === 0) return payload
  if (payload.length < 2) return undefined
  const n = payload.readUInt16BE(0)
  // Tomcat's own test client adds a NUL inside the length; accept n+2 and n+3.
  if (n + 2 === payload.length || (n + 3 === payload.length && payload[n + 2] === 0)) return payload.subarray(2, 2 + n)
  return undefined
}

/**
 * Splits a recorded server → container byte stream (one connection, possibly several requests)
 * into packets. Body packets carry no type byte, so the framing state decides, as in Tomcat: after
 * a FORWARD_REQUEST with `content-length: N > 0`, packets are body until N bytes arrived; with no
 * content-length (unknown length), packets whose inner length fits are body until an empty one;
 * an empty packet is always an end of body (Tomcat asks once more after the last byte).
 */
export function decodeServerStream(stream: Buffer): ServerPacket[] {
  const packets: ServerPacket[] = []
  let pos = 0
  /** Body bytes still announced; -1 = unknown length (no content-length); 0 = none owed. */
  let remaining = 0
  while (pos < stream.length) {
    if (pos + 4 > stream.length) throw new ForwardDecodeError('stream ends inside a packet header', pos)
    if (stream[pos] !== 0x12 || stream[pos + 1] !== 0x34) throw new ForwardDecodeError('bad magic (want 12 34)', pos)
    const length = stream.readUInt16BE(pos + 2)
    if (pos + 4 + length > stream.length) throw new ForwardDecodeError(`stream ends inside a ${length}-byte payload`, pos)
    const raw = stream.subarray(pos, pos + 4 + length)
    const payload = raw.subarray(4)
    const data = bodyData(payload)
    const isEnd = data !== undefined && data.length === 0
    if (remaining > 0 || isEnd || (remaining === -1 && data !== undefined)) {
      if (data === undefined) throw new ForwardDecodeError(`body packet inner length does not match its ${length}-byte payload`, pos)
      packets.push({ kind: 'body', data, raw })
      if (data.length === 0) remaining = 0
      else if (remaining > 0) {
        if (data.length > remaining) throw new ForwardDecodeError(`body packet of ${data.length} bytes exceeds the ${remaining} announced`, pos)
        remaining -= data.length
      }
    } else if (length === 1 && payload[0] === 0x0a) {
      packets.push({ kind: 'cping', raw })
    } else if (length > 0 && payload[0] === 0x02) {
      const request = decodeForwardRequest(raw)
      packets.push({ kind: 'forward', request, raw })
      const cl = headerValues(request, 'content-length')
      if (cl.length === 0) remaining = -1
      else if (cl.length === 1 && /^\d+$/.test(cl[0] as string)) remaining = Number(cl[0])
      else throw new ForwardDecodeError(`unusable content-length ${JSON.stringify(cl)}`, pos)
    } else {
      throw new ForwardDecodeError(`unexpected packet (payload starts with 0x${(payload[0] ?? 0).toString(16)})`, pos)
    }
    pos += 4 + length
  }
  return packets
}

/** The request body of a decoded stream: the concatenated data packets (end packet excluded). */
export function bodyOf(packets: readonly ServerPacket[]): Buffer {
  return Buffer.concat(packets.flatMap((p) => (p.kind === 'body' ? [p.data] : [])))
}
