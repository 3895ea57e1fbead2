/**
 * Decoder of the container → server stream: SEND_HEADERS, SEND_BODY_CHUNK, END_RESPONSE,
 * GET_BODY_CHUNK, CPONG_REPLY.
 *
 * Pure and incremental: {@link AjpResponseParser.push} takes socket slices of any size and
 * {@link AjpResponseParser.next} returns one complete message at a time (pull style), so a caller
 * decides when to stop, and bytes after the last message it took stay untouched in the parser:
 * it never reads past a packet. Body data is a view into the pushed slice whenever the packet lies
 * within one slice (no copy). Every fault is an {@link AjpProtocolError}; nothing else is thrown.
 *
 * @module
 */
import type { ResponseHeaders } from '../transport.js'
import {
  CODED_HEADER_PREFIX,
  DEFAULT_PACKET_SIZE,
  HEADER_LENGTH,
  MessageType,
  NULL_STRING_LENGTH,
  RESPONSE_HEADER_NAMES,
} from './constants.js'
import { AjpProtocolError } from './errors.js'
import { checkPacketSize } from './forward-request.js'

/** SEND_HEADERS: the response head. `message` is what Tomcat sends as reason (the bare number). */
export interface SendHeadersMessage {
  readonly type: 'headers'
  readonly status: number
  readonly message: string
  /** Lower-case names; repeated headers (several `set-cookie`) as arrays, in order. */
  readonly headers: ResponseHeaders
}
/** SEND_BODY_CHUNK: response body bytes; an empty chunk is a flush. */
export interface SendBodyChunkMessage {
  readonly type: 'body'
  readonly data: Buffer
}
/** END_RESPONSE: the exchange is over; `reuse` says whether the socket may take another request. */
export interface EndResponseMessage {
  readonly type: 'end'
  readonly reuse: boolean
}
/** GET_BODY_CHUNK: the container asks for up to `length` more request-body bytes. */
export interface GetBodyChunkMessage {
  readonly type: 'get-body'
  readonly length: number
}
/** CPONG_REPLY: the answer to a CPING. */
export interface CpongMessage {
  readonly type: 'cpong'
}

export type AjpMessage = SendHeadersMessage | SendBodyChunkMessage | EndResponseMessage | GetBodyChunkMessage | CpongMessage

const CPONG: CpongMessage = Object.freeze({ type: 'cpong' })
const END_REUSE: EndResponseMessage = Object.freeze({ type: 'end', reuse: true })
const END_CLOSE: EndResponseMessage = Object.freeze({ type: 'end', reuse: false })

/** RFC 9110 token characters, as Node checks header names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
/** Characters Node refuses in header values. */
const INVALID_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/

/**
 * Reads the fields of one message payload, `buf[pos..end)`; bounds-checked, throws only
 * AjpProtocolError. `what` names the field in error messages.
 */
class PayloadReader {
  readonly #buf: Buffer
  readonly #end: number
  #pos: number

  constructor(buf: Buffer, pos: number, end: number = buf.length) {
    this.#buf = buf
    this.#pos = pos
    this.#end = end
  }

  get remaining(): number {
    return this.#end - this.#pos
  }

  u8(what: string): number {
    if (this.#pos + 1 > this.#end) throw truncated(what)
    return this.#buf[this.#pos++] as number
  }

  u16(what: string): number {
    if (this.#pos + 2 > this.#end) throw truncated(what)
    const value = ((this.#buf[this.#pos] as number) << 8) | (this.#buf[this.#pos + 1] as number)
    this.#pos += 2
    return value
  }

  peekU8(what: string): number {
    if (this.#pos + 1 > this.#end) throw truncated(what)
    return this.#buf[this.#pos] as number
  }

  /** A non-null string, decoded as latin1 so every byte survives. */
  string(what: string): string {
    return this.#string(what, undefined)
  }

  /** The value of header `name` (its error messages name the header; built only on error). */
  headerValue(name: string): string {
    return this.#string('', name)
  }

  stringOfLength(length: number, what: string): string {
    return this.#stringOfLength(length, what, undefined)
  }

  #string(what: string, header: string | undefined): string {
    if (this.#pos + 2 > this.#end) throw truncated(fieldName(what, header))
    const length = ((this.#buf[this.#pos] as number) << 8) | (this.#buf[this.#pos + 1] as number)
    this.#pos += 2
    if (length === NULL_STRING_LENGTH) throw new AjpProtocolError('AJP_ERR_BAD_STRING', `${fieldName(what, header)} is null`)
    return this.#stringOfLength(length, what, header)
  }

  #stringOfLength(length: number, what: string, header: string | undefined): string {
    const start = this.#pos
    const end = start + length
    if (end + 1 > this.#end) throw truncated(fieldName(what, header))
    if (this.#buf[end] !== 0) throw new AjpProtocolError('AJP_ERR_BAD_STRING', `${fieldName(what, header)} lacks its terminating NUL`)
    this.#pos = end + 1
    return this.#buf.toString('latin1', start, end)
  }

  done(what: string): void {
    if (this.#pos !== this.#end) {
      throw new AjpProtocolError('AJP_ERR_BAD_LENGTH', `${what} has ${this.#end - this.#pos} bytes after its last field`)
    }
  }
}

function fieldName(what: string, header: string | undefined): string {
  return header === undefined ? what : `the value of header "${header}"`
}

function truncated(what: string): AjpProtocolError {
  return new AjpProtocolError('AJP_ERR_TRUNCATED', `the packet ends inside ${what}`)
}

/**
 * Validated, lower-cased header names by their spelling on the wire. An application sends the same
 * few names on every response (`ETag`, `X-Node`…): a hit saves the check, the lower-casing and a
 * new string, and hands out the same string every time. Bounded: names seen after it is full are
 * checked and lower-cased each time.
 */
const NAMES = new Map<string, string>()
const MAX_NAMES = 256

function lowerCaseName(raw: string): string {
  const known = NAMES.get(raw)
  if (known !== undefined) return known
  if (!TOKEN.test(raw)) throw new AjpProtocolError('AJP_ERR_BAD_HEADER', 'a response header name is not a token')
  const name = raw.toLowerCase()
  if (NAMES.size < MAX_NAMES && raw.length <= 64) NAMES.set(raw, name)
  return name
}

function decodeHeaders(reader: PayloadReader): SendHeadersMessage {
  const status = reader.u16('the status')
  if (status < 100 || status > 999) throw new AjpProtocolError('AJP_ERR_BAD_STATUS', `status ${status} is not an HTTP status`)
  // Tomcat sends the bare number as reason (bug 45026); null is tolerated, it is ignored anyway.
  const reasonLength = reader.u16('the reason phrase')
  const message = reasonLength === NULL_STRING_LENGTH ? '' : reader.stringOfLength(reasonLength, 'the reason phrase')
  const count = reader.u16('the header count')
  // No prototype (a header named `constructor` or `__proto__` is just a header), yet fast
  // properties: Object.create(null) would make a dictionary, slower to fill and to walk.
  const headers = Object.setPrototypeOf({}, null) as ResponseHeaders
  for (let i = 0; i < count; i++) {
    let name: string
    if (reader.peekU8('a header name') === CODED_HEADER_PREFIX) {
      const code = reader.u16('a header code')
      const known = RESPONSE_HEADER_NAMES[code - 0xa001]
      if (known === undefined || code < 0xa001) {
        throw new AjpProtocolError('AJP_ERR_BAD_HEADER', `unknown response header code 0x${code.toString(16)}`)
      }
      name = known
    } else {
      name = lowerCaseName(reader.string('a header name'))
    }
    const value = reader.headerValue(name)
    if (INVALID_VALUE_CHAR.test(value)) {
      throw new AjpProtocolError('AJP_ERR_BAD_HEADER', `the value of response header "${name}" has invalid characters`)
    }
    const previous = headers[name]
    if (previous === undefined) headers[name] = value
    else if (typeof previous === 'string') headers[name] = [previous, value]
    else previous.push(value)
  }
  reader.done('SEND_HEADERS')
  return { type: 'headers', status, message, headers }
}

/**
 * Decodes one container → server message from its payload (the bytes after `41 42 LL LL`).
 *
 * @throws AjpProtocolError for an empty payload, an unknown type or malformed fields.
 */
export function decodeMessage(payload: Buffer): AjpMessage {
  return decodePayload(payload, 0, payload.length)
}

/** {@link decodeMessage} of `buf[start..end)`, without a view of it (the parser's common case). */
function decodePayload(buf: Buffer, start: number, end: number): AjpMessage {
  const size = end - start
  if (size === 0) throw new AjpProtocolError('AJP_ERR_TRUNCATED', 'a packet without a message type')
  const type = buf[start] as number
  switch (type) {
    case MessageType.SEND_BODY_CHUNK: {
      if (size < 3) throw truncated('SEND_BODY_CHUNK')
      const length = ((buf[start + 1] as number) << 8) | (buf[start + 2] as number)
      // Tomcat appends a NUL after the data (n + 4); accept its absence (n + 3), nothing else.
      const dataEnd = 3 + length
      if (size === dataEnd + 1) {
        if (buf[start + dataEnd] !== 0) throw new AjpProtocolError('AJP_ERR_BAD_LENGTH', 'SEND_BODY_CHUNK has a trailing byte that is not NUL')
      } else if (size !== dataEnd) {
        throw new AjpProtocolError('AJP_ERR_BAD_LENGTH', `SEND_BODY_CHUNK announces ${length} bytes in a ${size}-byte payload`)
      }
      return { type: 'body', data: buf.subarray(start + 3, start + dataEnd) }
    }
    case MessageType.SEND_HEADERS:
      return decodeHeaders(new PayloadReader(buf, start + 1, end))
    case MessageType.END_RESPONSE: {
      if (size !== 2) {
        throw new AjpProtocolError(size < 2 ? 'AJP_ERR_TRUNCATED' : 'AJP_ERR_BAD_LENGTH', `END_RESPONSE of ${size} bytes`)
      }
      return buf[start + 1] === 0 ? END_CLOSE : END_REUSE
    }
    case MessageType.GET_BODY_CHUNK: {
      if (size !== 3) {
        throw new AjpProtocolError(size < 3 ? 'AJP_ERR_TRUNCATED' : 'AJP_ERR_BAD_LENGTH', `GET_BODY_CHUNK of ${size} bytes`)
      }
      return { type: 'get-body', length: ((buf[start + 1] as number) << 8) | (buf[start + 2] as number) }
    }
    case MessageType.CPONG_REPLY:
      if (size !== 1) throw new AjpProtocolError('AJP_ERR_BAD_LENGTH', `CPONG of ${size} bytes`)
      return CPONG
    default:
      throw new AjpProtocolError('AJP_ERR_UNKNOWN_TYPE', `unknown container message type ${type}`)
  }
}

/**
 * Incremental parser of the container → server stream.
 *
 * @example
 * ```ts
 * const parser = new AjpResponseParser(8192)
 * socket.on('data', (chunk) => {
 *   parser.push(chunk)
 *   for (let msg = parser.next(); msg; msg = parser.next()) handle(msg)
 * })
 * ```
 */
export class AjpResponseParser {
  readonly #packetSize: number
  /** Pushed slices not yet consumed; `#offset` indexes into the first one. */
  #chunks: Buffer[] = []
  #offset = 0
  #buffered = 0
  #error: AjpProtocolError | undefined

  /** @param packetSize - the connector's `packetSize` (8192..65536). Default 8192. */
  constructor(packetSize: number = DEFAULT_PACKET_SIZE) {
    checkPacketSize(packetSize)
    this.#packetSize = packetSize
  }

  /** Bytes pushed and not yet returned as messages. */
  get buffered(): number {
    return this.#buffered
  }

  /** Appends a socket slice. The parser keeps a reference; do not mutate it afterwards. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#buffered += chunk.length
  }

  /** Drops everything buffered and any earlier error (a fresh stream). */
  reset(): void {
    this.#chunks = []
    this.#offset = 0
    this.#buffered = 0
    this.#error = undefined
  }

  /**
   * Returns the next complete message, or `undefined` until more bytes are pushed.
   *
   * @throws AjpProtocolError on a malformed stream; the parser then stays failed and throws the same
   * error on every call until {@link reset}.
   */
  next(): AjpMessage | undefined {
    if (this.#error) throw this.#error
    try {
      return this.#next()
    } catch (err) {
      this.#error = err instanceof AjpProtocolError ? err : new AjpProtocolError('AJP_ERR_TRUNCATED', String(err))
      throw this.#error
    }
  }

  #next(): AjpMessage | undefined {
    const available = this.#buffered
    if (available === 0) return undefined
    const first = this.#chunks[0] as Buffer
    const offset = this.#offset
    // The packet head from the first slice when it holds it (nearly always), else byte by byte.
    const inFirst = first.length - offset >= HEADER_LENGTH
    if (inFirst ? first[offset] !== 0x41 || first[offset + 1] !== 0x42 : this.#peek(0) !== 0x41 || (available > 1 && this.#peek(1) !== 0x42)) {
      throw new AjpProtocolError('AJP_ERR_BAD_MAGIC', 'a container packet does not start with "AB"')
    }
    if (available < HEADER_LENGTH) return undefined
    const length = inFirst ? ((first[offset + 2] as number) << 8) | (first[offset + 3] as number) : (this.#peek(2) << 8) | this.#peek(3)
    if (length > this.#packetSize - HEADER_LENGTH) {
      throw new AjpProtocolError('AJP_ERR_OVERSIZE', `a ${length}-byte payload exceeds packetSize ${this.#packetSize}`)
    }
    if (available < HEADER_LENGTH + length) return undefined
    const start = offset + HEADER_LENGTH
    if (first.length - start >= length) {
      // The whole packet is in the first slice (nearly always): decode it where it lies.
      this.#consume(HEADER_LENGTH + length, undefined)
      return decodePayload(first, start, start + length)
    }
    this.#skip(HEADER_LENGTH)
    return decodeMessage(this.#take(length))
  }

  #peek(index: number): number {
    let i = index + this.#offset
    for (const chunk of this.#chunks) {
      if (i < chunk.length) return chunk[i] as number
      i -= chunk.length
    }
    return -1
  }

  #skip(n: number): void {
    this.#consume(n, undefined)
  }

  /** Takes `n` bytes: a view when they lie in one slice, a copy otherwise. */
  #take(n: number): Buffer {
    const first = this.#chunks[0]
    if (n === 0) return Buffer.alloc(0)
    if (first !== undefined && first.length - this.#offset >= n) {
      const view = first.subarray(this.#offset, this.#offset + n)
      this.#consume(n, undefined)
      return view
    }
    const out = Buffer.allocUnsafe(n)
    this.#consume(n, out)
    return out
  }

  #consume(n: number, into: Buffer | undefined): void {
    let copied = 0
    this.#buffered -= n
    while (n > 0) {
      const chunk = this.#chunks[0] as Buffer
      const left = chunk.length - this.#offset
      const step = left < n ? left : n
      if (into) chunk.copy(into, copied, this.#offset, this.#offset + step)
      copied += step
      n -= step
      if (step === left) {
        this.#chunks.shift()
        this.#offset = 0
      } else {
        this.#offset += step
      }
    }
  }
}
