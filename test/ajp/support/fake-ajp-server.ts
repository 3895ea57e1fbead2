/**
 * A scriptable fake AJP13 container on 127.0.0.1:0, for the cases a real Tomcat cannot produce
 * (garbage, stalls, kills, endless GET_BODY_CHUNK). It decodes what the client sends
 * (FORWARD_REQUEST, data packets, CPING) and lets a test answer packet by packet.
 *
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net'

export interface DecodedForward {
  method: number
  protocol: string
  uri: string
  remoteAddr: string
  remoteHost: string | null
  serverName: string
  serverPort: number
  isSsl: boolean
  /** Header names as sent: a number for coded ones. */
  headers: Array<[string | number, string]>
  attributes: Array<[number, string | number | [string, string]]>
}

export type ClientPacket =
  | { kind: 'forward'; request: DecodedForward }
  | { kind: 'data'; data: Buffer; raw: Buffer }
  | { kind: 'cping' }
  | { kind: 'eof' }

export function decodeForward(payload: Buffer): DecodedForward {
  let p = 1
  const u8 = (): number => payload[p++] as number
  const u16 = (): number => {
    const v = payload.readUInt16BE(p)
    p += 2
    return v
  }
  const str = (): string | null => {
    const n = u16()
    if (n === 0xffff) return null
    const s = payload.toString('latin1', p, p + n)
    p += n + 1
    return s
  }
  const method = u8()
  const protocol = str() as string
  const uri = str() as string
  const remoteAddr = str() as string
  const remoteHost = str()
  const serverName = str() as string
  const serverPort = u16()
  const isSsl = u8() === 1
  const count = u16()
  const headers: Array<[string | number, string]> = []
  for (let i = 0; i < count; i++) {
    const name = payload[p] === 0xa0 ? u16() : (str() as string)
    headers.push([name, str() as string])
  }
  const attributes: DecodedForward['attributes'] = []
  for (;;) {
    const code = u8()
    if (code === 0xff) break
    if (code === 0x0a) attributes.push([code, [str() as string, str() as string]])
    else if (code === 0x0b) attributes.push([code, u16()])
    else attributes.push([code, str() as string])
  }
  return { method, protocol, uri, remoteAddr, remoteHost, serverName, serverPort, isSsl, headers, attributes }
}

/** An AJP integer: two bytes, big-endian. */
export function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}
/** An AJP string: its length, its latin1 bytes, a NUL. */
export function str(s: string): Buffer {
  return Buffer.concat([u16(Buffer.byteLength(s, 'latin1')), Buffer.from(s, 'latin1'), Buffer.from([0])])
}
export function containerPacket(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x41, 0x42]), u16(payload.length), payload])
}
export function sendHeaders(status: number, headers: Array<[string | number, string]> = []): Buffer {
  const parts = [Buffer.from([4]), u16(status), str(String(status)), u16(headers.length)]
  for (const [name, value] of headers) parts.push(typeof name === 'number' ? u16(name) : str(name), str(value))
  return containerPacket(Buffer.concat(parts))
}
export function sendBody(data: Buffer | string): Buffer {
  const b = typeof data === 'string' ? Buffer.from(data) : data
  return containerPacket(Buffer.concat([Buffer.from([3]), u16(b.length), b, Buffer.from([0])]))
}
export function endResponse(reuse = true): Buffer {
  return containerPacket(Buffer.from([5, reuse ? 1 : 0]))
}
export function getBodyChunk(length = 8186): Buffer {
  return containerPacket(Buffer.concat([Buffer.from([6]), u16(length)]))
}
export const CPONG = containerPacket(Buffer.from([9]))

/** One accepted connection, read packet by packet. */
export class FakeConnection {
  readonly socket: Socket
  #buffer = Buffer.alloc(0)
  #waiting: (() => void) | undefined
  #ended = false
  #betweenRequests = true

  constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#waiting?.()
    })
    socket.on('close', () => {
      this.#ended = true
      this.#waiting?.()
    })
    socket.on('error', () => {})
  }

  get closed(): boolean {
    return this.#ended
  }

  /** The next packet from the client, or `eof`; rejects after `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<ClientPacket> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const packet = this.#tryParse()
      if (packet) return packet
      if (this.#ended) return { kind: 'eof' }
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('fake AJP server: no packet in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiting = () => {
          clearTimeout(timer)
          this.#waiting = undefined
          resolve()
        }
      })
    }
  }

  /**
   * The request body as Tomcat reads it: data packets until the empty one, answering each with a
   * GET_BODY_CHUNK for the next. The first packet is the one already on its way (sent unasked, or
   * asked for by the caller).
   */
  async receiveBody(chunk = 8186): Promise<Buffer[]> {
    const parts: Buffer[] = []
    for (;;) {
      const packet = await this.next()
      if (packet.kind !== 'data') throw new Error(`fake AJP server: expected body data, got ${packet.kind}`)
      if (packet.data.length === 0) return parts
      parts.push(packet.data)
      this.write(getBodyChunk(chunk))
    }
  }

  /** Resolves true when nothing more arrives within `ms` (used to prove no unrequested packet). */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms))
    return this.#buffer.length === 0
  }

  #tryParse(): ClientPacket | undefined {
    const b = this.#buffer
    if (b.length < 4) return undefined
    if (b.readUInt16BE(0) !== 0x1234) throw new Error(`fake AJP server: bad magic ${b.subarray(0, 2).toString('hex')}`)
    const len = b.readUInt16BE(2)
    if (b.length < 4 + len) return undefined
    const raw = b.subarray(0, 4 + len)
    const payload = b.subarray(4, 4 + len)
    this.#buffer = b.subarray(4 + len)
    // Like Tomcat: between requests a packet is a CPING or a FORWARD_REQUEST; during one, body data.
    if (this.#betweenRequests) {
      if (len === 1 && payload[0] === 10) return { kind: 'cping' }
      if (payload[0] === 2) {
        this.#betweenRequests = false
        return { kind: 'forward', request: decodeForward(payload) }
      }
      throw new Error(`fake AJP server: unexpected packet ${payload.subarray(0, 8).toString('hex')}`)
    }
    if (len === 0) return { kind: 'data', data: Buffer.alloc(0), raw }
    if (len < 2 || payload.readUInt16BE(0) !== len - 2) throw new Error('fake AJP server: bad data packet')
    return { kind: 'data', data: Buffer.from(payload.subarray(2)), raw }
  }

  write(...packets: Buffer[]): void {
    for (const p of packets) if (p.length === 6 && p[4] === 5) this.#betweenRequests = true
    this.socket.write(Buffer.concat(packets))
  }
}

export interface FakeAjpServer {
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: FakeConnection[]
  close(): Promise<void>
}

/** Starts the fake container; `handle` scripts each accepted connection. */
export async function startFakeAjp(handle: (conn: FakeConnection, index: number) => Promise<void> | void): Promise<FakeAjpServer> {
  const accepted: FakeConnection[] = []
  const server: Server = createServer((socket) => {
    const conn = new FakeConnection(socket)
    const index = accepted.push(conn) - 1
    Promise.resolve(handle(conn, index)).catch(() => socket.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of accepted) c.socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Answers FORWARD_REQUESTs on a connection forever with `answer`, while the connection lives. */
export async function serveLoop(conn: FakeConnection, answer: (req: DecodedForward, conn: FakeConnection) => Promise<void> | void): Promise<void> {
  for (;;) {
    const packet = await conn.next(60_000)
    if (packet.kind === 'eof') return
    if (packet.kind === 'cping') {
      conn.write(CPONG)
      continue
    }
    if (packet.kind !== 'forward') throw new Error('expected FORWARD_REQUEST')
    await answer(packet.request, conn)
  }
}
