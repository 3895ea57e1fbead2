/**
 * Encoder of the server → container messages: FORWARD_REQUEST, request-body data packets.
 *
 * Pure: no sockets, no clocks. A FORWARD_REQUEST is built from a plain {@link ForwardRequest}
 * description straight into a shared slab (encoding is synchronous) and returned as an exact-size
 * view of it that the caller owns: the encoder never writes those bytes again. Every string is checked in the same
 * pass that measures it: CR, LF and NUL are refused with a `BadRequestError` (400), and a request
 * that does not fit `packetSize` fails with a `HeadersTooLargeError` (431), never a broken packet.
 *
 * What becomes an attribute is decided here and only here, from the fields of
 * {@link ForwardRequest}; no header or other client input is ever turned into an attribute
 * (Ghostcat, CVE-2020-1938).
 *
 * @module
 */
import { BadRequestError, HeadersTooLargeError } from '../../errors.js'
import {
  Attribute,
  CODED_HEADER_PREFIX,
  CONTENT_LENGTH_CODE,
  DATA_HEADER_LENGTH,
  DEFAULT_PACKET_SIZE,
  HEADER_LENGTH,
  MAX_PACKET_SIZE,
  METHOD_CODES,
  MessageType,
  NULL_STRING_LENGTH,
  REQUEST_HEADER_CODES,
  ReqAttributeName,
  STORED_METHOD_CODE,
} from './constants.js'

/** TLS facts of the client connection; sent only when {@link ForwardRequest.isSsl} is true. */
export interface ForwardRequestTls {
  /** Cipher name (attribute 0x08), e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly cipher?: string | undefined
  /** TLS session id as hex (attribute 0x09). */
  readonly session?: string | undefined
  /** Symmetric key size in bits (attribute 0x0B, a 2-byte integer as Tomcat reads it). */
  readonly keySize?: number | undefined
  /** Verified client certificate (chain) as PEM (attribute 0x07). */
  readonly cert?: string | undefined
  /** TLS protocol, e.g. `TLSv1.3` (req_attribute `AJP_SSL_PROTOCOL`). */
  readonly protocol?: string | undefined
}

/** A request to forward, as plain facts. Strings are byte strings (latin1), as Node holds them. */
export interface ForwardRequest {
  /** Request method (upper case for the coded ones); methods without a code go as stored method. */
  readonly method: string
  /** Protocol string, e.g. `HTTP/1.1`. */
  readonly protocol: string
  /** Path only, still %-encoded, starting with `/`; no query string. */
  readonly uri: string
  /** Query string without `?` (attribute 0x05); `undefined` when the URL had no `?`. */
  readonly queryString?: string | undefined
  /** Client IP address, from the proxy's socket. */
  readonly remoteAddr: string
  /** Client host name; `null`/`undefined` sends a null string (Tomcat then uses the address). */
  readonly remoteHost?: string | null | undefined
  /** Host name the client addressed (`server_name`). */
  readonly serverName: string
  /** Port the client addressed (`server_port`). */
  readonly serverPort: number
  /** Whether the client connection is TLS. */
  readonly isSsl: boolean
  /**
   * Headers with lower-case names; arrays send one header per value. `content-length`,
   * `transfer-encoding` and `expect` are ignored here: body framing is {@link contentLength}'s
   * job and `100-continue` is the proxy's.
   */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
  /**
   * Body length sent as `content-length` (always, `0` for no body, as mod_jk does). `undefined`
   * means a streamed body of unknown length: no `content-length`, the body ends with the empty packet.
   */
  readonly contentLength: number | undefined
  /** Connector secret (attribute 0x0C). */
  readonly secret?: string | undefined
  /** Route of the member (attribute 0x06; Tomcat discards it, it is informational). */
  readonly route?: string | undefined
  /** Client port (req_attribute `AJP_REMOTE_PORT`, Tomcat's `getRemotePort()`). */
  readonly remotePort?: number | undefined
  /** Proxy address the client connected to (req_attribute `AJP_LOCAL_ADDR`, `getLocalAddr()`). */
  readonly localAddr?: string | undefined
  /** TLS facts, honoured only when {@link isSsl} is true. */
  readonly tls?: ForwardRequestTls | undefined
}

function hasUpperCase(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) return true
  }
  return false
}

/**
 * Packets are encoded straight into a slab and handed out as views of it, never written again: no
 * copy per packet. A new slab is taken when the one in use has less than a whole packet left.
 */
const SLAB_SIZE = 2 * MAX_PACKET_SIZE
// Taken on the first packet (a balancer without AJP members never allocates it).
let slab = Buffer.alloc(0)
let slabUsed = SLAB_SIZE
/** Where the packet being encoded must end (`packetSize` bytes after its start). */
let limit = 0
/** The `packetSize` of the packet being encoded, for error messages. */
let packetLimit = 0

function overflow(): never {
  throw new HeadersTooLargeError(`the request head does not fit one AJP packet of ${packetLimit} bytes (packetSize)`)
}

// The put* helpers take the write position and return the next one: the position stays in a local
// of the caller instead of a module variable written on every byte.

function putU8(p: number, value: number): number {
  if (p + 1 > limit) overflow()
  slab[p] = value
  return p + 1
}

function putU16(p: number, value: number): number {
  if (p + 2 > limit) overflow()
  slab[p] = value >>> 8
  slab[p + 1] = value & 0xff
  return p + 2
}

/**
 * Writes an AJP string (length, bytes, NUL). One pass over the characters both checks them (CR,
 * LF and NUL are refused with a 400) and writes them as bytes: strings are byte strings (latin1),
 * as Node's HTTP parser holds them. A character above 0xFF cannot come from the parser; such a
 * string is rewritten as UTF-8 rather than silently truncated. `what` names the string in the
 * error; for a header value, `header` names the header (the message is built only on error).
 */
function putString(start: number, value: string, what: string, header?: string): number {
  const n = value.length
  if (n >= NULL_STRING_LENGTH || start + 2 + n + 1 > limit) overflow()
  const buf = slab
  let p = start + 2
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c > 0xff) return putUtf8(start, value, what, header)
    if (c === 0x0d || c === 0x0a || c === 0x00) throw new BadRequestError(`${describe(what, header)} contains a CR, LF or NUL character`)
    buf[p++] = c
  }
  buf[start] = n >>> 8
  buf[start + 1] = n & 0xff
  buf[p++] = 0
  return p
}

/** What the error names: never the header itself (client text stays out of error messages). */
function describe(what: string, header: string | undefined): string {
  return header === undefined ? what : 'a request header value'
}

function putUtf8(start: number, value: string, what: string, header: string | undefined): number {
  if (/[\r\n\0]/.test(value)) throw new BadRequestError(`${describe(what, header)} contains a CR, LF or NUL character`)
  const length = Buffer.byteLength(value, 'utf8')
  if (length >= NULL_STRING_LENGTH || start + 2 + length + 1 > limit) overflow()
  slab[start] = length >>> 8
  slab[start + 1] = length & 0xff
  slab.write(value, start + 2, length, 'utf8')
  slab[start + 2 + length] = 0
  return start + 2 + length + 1
}

function putNullString(p: number): number {
  return putU16(p, NULL_STRING_LENGTH)
}

function putHeaderName(p: number, name: string, spelling: string): number {
  const code = REQUEST_HEADER_CODES.get(name)
  if (code !== undefined) return putU16(p, code)
  // A string name must not look like a code: its length's high byte must not be 0xA0.
  if (spelling.length >= CODED_HEADER_PREFIX << 8) overflow()
  return putString(p, spelling, 'a header name')
}

/** `String(n)` without a new string for the usual 0. */
function decimal(n: number): string {
  return n === 0 ? '0' : String(n)
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`${what} must be an integer in 0..65535, got ${value}`)
  }
}

/**
 * Validates `packetSize`: an integer in 8192..65536 (Tomcat's range).
 * @throws RangeError when out of range.
 */
export function checkPacketSize(packetSize: number): void {
  if (!Number.isInteger(packetSize) || packetSize < DEFAULT_PACKET_SIZE || packetSize > MAX_PACKET_SIZE) {
    throw new RangeError(`packetSize must be an integer in ${DEFAULT_PACKET_SIZE}..${MAX_PACKET_SIZE}, got ${packetSize}`)
  }
}

/**
 * Encodes a FORWARD_REQUEST packet (`12 34 LL LL 02 …`).
 *
 * @param request - the request facts.
 * @param packetSize - the connector's `packetSize`; the whole packet, header included, must fit. Default 8192.
 * @returns a new buffer holding exactly the packet.
 * @throws BadRequestError (400) when a string contains CR, LF or NUL.
 * @throws HeadersTooLargeError (431) when the request does not fit one packet.
 * @throws RangeError for impossible inputs (a port outside 0..65535, a negative content length).
 *
 * @example
 * ```ts
 * const packet = encodeForwardRequest({
 *   method: 'GET', protocol: 'HTTP/1.1', uri: '/app/', remoteAddr: '10.0.0.5',
 *   serverName: 'example.com', serverPort: 443, isSsl: true,
 *   headers: { host: 'example.com' }, contentLength: 0, secret: 's3cr3t',
 * })
 * socket.write(packet)
 * ```
 */
export function encodeForwardRequest(request: ForwardRequest, packetSize: number = DEFAULT_PACKET_SIZE): Buffer {
  checkPacketSize(packetSize)
  checkUint16(request.serverPort, 'serverPort')
  const contentLength = request.contentLength
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw new RangeError(`contentLength must be a non-negative integer, got ${contentLength}`)
  }
  if (request.uri.charCodeAt(0) !== 0x2f /* / */) {
    throw new BadRequestError('the request path must start with "/" (origin-form)')
  }

  if (SLAB_SIZE - slabUsed < packetSize) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE)
    slabUsed = 0
  }
  const first = slabUsed
  limit = first + packetSize
  packetLimit = packetSize
  let p = first + HEADER_LENGTH
  p = putU8(p, MessageType.FORWARD_REQUEST)
  const methodCode = METHOD_CODES.get(request.method)
  p = putU8(p, methodCode ?? STORED_METHOD_CODE)
  p = putString(p, request.protocol, 'the protocol')
  p = putString(p, request.uri, 'the request path')
  p = putString(p, request.remoteAddr, 'remote_addr')
  if (request.remoteHost == null) p = putNullString(p)
  else p = putString(p, request.remoteHost, 'remote_host')
  p = putString(p, request.serverName, 'server_name')
  p = putU16(p, request.serverPort)
  p = putU8(p, request.isSsl ? 1 : 0)

  const countAt = p
  p = putU16(p, 0)
  let count = 0
  let lengthSent = false
  const headers = request.headers
  const names = Object.keys(headers)
  for (let h = 0; h < names.length; h++) {
    const key = names[h] as string
    const value = headers[key]
    if (value === undefined) continue
    // Names should arrive lower-case already; lowering again keeps the skip list and codes exact.
    const name = hasUpperCase(key) ? key.toLowerCase() : key
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'expect') {
      // Keep content-length where the caller had it; its value is ours.
      if (name === 'content-length' && contentLength !== undefined && !lengthSent) {
        p = putU16(p, CONTENT_LENGTH_CODE)
        p = putString(p, decimal(contentLength), 'content-length')
        lengthSent = true
        count++
      }
      continue
    }
    if (typeof value === 'string') {
      p = putHeaderName(p, name, key)
      p = putString(p, value, '', name)
      count++
    } else {
      for (const item of value) {
        p = putHeaderName(p, name, key)
        p = putString(p, item, '', name)
        count++
      }
    }
  }
  if (contentLength !== undefined && !lengthSent) {
    p = putU16(p, CONTENT_LENGTH_CODE)
    p = putString(p, decimal(contentLength), 'content-length')
    count++
  }
  if (count > 0xffff) overflow()
  slab[countAt] = count >>> 8
  slab[countAt + 1] = count & 0xff

  // Attributes, in mod_proxy_ajp's order. Only these fields, never client input.
  if (request.secret !== undefined) {
    p = putU8(p, Attribute.SECRET)
    p = putString(p, request.secret, 'the secret')
  }
  if (request.queryString !== undefined) {
    p = putU8(p, Attribute.QUERY_STRING)
    p = putString(p, request.queryString, 'the query string')
  }
  if (request.route !== undefined) {
    p = putU8(p, Attribute.ROUTE)
    p = putString(p, request.route, 'the route')
  }
  const tls = request.isSsl ? request.tls : undefined
  if (tls) {
    if (tls.cert) {
      p = putU8(p, Attribute.SSL_CERT)
      p = putString(p, tls.cert, 'the client certificate')
    }
    if (tls.cipher) {
      p = putU8(p, Attribute.SSL_CIPHER)
      p = putString(p, tls.cipher, 'the TLS cipher')
    }
    if (tls.session) {
      p = putU8(p, Attribute.SSL_SESSION)
      p = putString(p, tls.session, 'the TLS session id')
    }
    if (tls.keySize !== undefined) {
      checkUint16(tls.keySize, 'tls.keySize')
      p = putU8(p, Attribute.SSL_KEY_SIZE)
      p = putU16(p, tls.keySize)
    }
  }
  if (methodCode === undefined) {
    p = putU8(p, Attribute.STORED_METHOD)
    p = putString(p, request.method, 'the method')
  }
  if (tls?.protocol) {
    p = putU8(p, Attribute.REQ_ATTRIBUTE)
    p = putString(p, ReqAttributeName.SSL_PROTOCOL, 'an attribute name')
    p = putString(p, tls.protocol, 'the TLS protocol')
  }
  if (request.remotePort !== undefined) {
    checkUint16(request.remotePort, 'remotePort')
    p = putU8(p, Attribute.REQ_ATTRIBUTE)
    p = putString(p, ReqAttributeName.REMOTE_PORT, 'an attribute name')
    p = putString(p, decimal(request.remotePort), 'the remote port')
  }
  if (request.localAddr !== undefined) {
    p = putU8(p, Attribute.REQ_ATTRIBUTE)
    p = putString(p, ReqAttributeName.LOCAL_ADDR, 'an attribute name')
    p = putString(p, request.localAddr, 'the local address')
  }
  p = putU8(p, Attribute.ARE_DONE)

  const payload = p - first - HEADER_LENGTH
  slab[first] = 0x12
  slab[first + 1] = 0x34
  slab[first + 2] = payload >>> 8
  slab[first + 3] = payload & 0xff
  // The next packet starts 8-byte aligned, as Buffer's own pool does.
  slabUsed = p + 7 - ((p + 7) % 8)
  return slab.subarray(first, p)
}

/**
 * The largest body chunk one data packet carries: `packetSize − 6` (8186 by default).
 */
export function maxBodyChunk(packetSize: number = DEFAULT_PACKET_SIZE): number {
  return packetSize - DATA_HEADER_LENGTH
}

/**
 * Encodes the 6-byte head of a request-body data packet carrying `length` bytes:
 * `12 34 <length+2> <length>`. Write the chunk right after it (corked, to avoid copying the body).
 *
 * @throws RangeError when `length` is 0 (use `EMPTY_BODY_PACKET`) or above `packetSize − 6`.
 */
export function encodeBodyChunkHead(length: number, packetSize: number = DEFAULT_PACKET_SIZE): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > packetSize - DATA_HEADER_LENGTH) {
    throw new RangeError(`a body chunk must hold 1..${packetSize - DATA_HEADER_LENGTH} bytes, got ${length}`)
  }
  const head = Buffer.allocUnsafe(DATA_HEADER_LENGTH)
  head[0] = 0x12
  head[1] = 0x34
  head.writeUInt16BE(length + 2, 2)
  head.writeUInt16BE(length, 4)
  return head
}

/**
 * Encodes a whole data packet (head and a copy of `chunk`). For tests and small bodies; the driver
 * writes {@link encodeBodyChunkHead} and the chunk separately instead.
 */
export function encodeBodyPacket(chunk: Uint8Array, packetSize: number = DEFAULT_PACKET_SIZE): Buffer {
  const head = encodeBodyChunkHead(chunk.length, packetSize)
  return Buffer.concat([head, chunk], DATA_HEADER_LENGTH + chunk.length)
}
