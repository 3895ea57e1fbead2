/**
 * A minimal RFC 6455 client for tests (Node 20 has no stable global WebSocket): handshake with
 * Sec-WebSocket-Key, masked text and binary frames, fragmented messages, close frames.
 */
import { createHash, randomBytes } from 'node:crypto'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { FrameParser, OP, closePayload, encodeFrame } from './ws-frames.js'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

export interface WsMessage {
  readonly type: 'text' | 'binary' | 'close' | 'ping' | 'pong'
  readonly data: Buffer
  /** Close code of a close message. */
  readonly code?: number
  readonly reason?: string
}

export interface HttpAnswer {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

export class WsClient {
  readonly socket: net.Socket
  readonly response: HttpAnswer
  readonly #queue: WsMessage[] = []
  readonly #waiters: ((m: WsMessage | undefined) => void)[] = []
  readonly #parser = new FrameParser()
  #fragments: Buffer[] = []
  #fragmentType: 'text' | 'binary' = 'text'
  #ended = false
  /** Resolves when the TCP connection is closed. */
  readonly closed: Promise<void>

  constructor(socket: net.Socket, response: HttpAnswer, rest: Buffer) {
    this.socket = socket
    this.response = response
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    socket.on('close', () => {
      this.#ended = true
      for (const w of this.#waiters.splice(0)) w(undefined)
    })
    if (rest.length > 0) this.#onData(rest)
  }

  #onData(chunk: Buffer): void {
    for (const frame of this.#parser.push(chunk)) {
      if (frame.opcode === OP.close) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : undefined
        this.#deliver({ type: 'close', data: frame.payload, code, reason: frame.payload.subarray(2).toString() })
      } else if (frame.opcode === OP.ping) {
        this.socket.write(encodeFrame(OP.pong, frame.payload, true))
        this.#deliver({ type: 'ping', data: frame.payload })
      } else if (frame.opcode === OP.pong) {
        this.#deliver({ type: 'pong', data: frame.payload })
      } else {
        if (frame.opcode !== OP.continuation) this.#fragmentType = frame.opcode === OP.text ? 'text' : 'binary'
        this.#fragments.push(frame.payload)
        if (frame.fin) {
          this.#deliver({ type: this.#fragmentType, data: Buffer.concat(this.#fragments) })
          this.#fragments = []
        }
      }
    }
  }

  #deliver(message: WsMessage): void {
    const waiter = this.#waiters.shift()
    if (waiter) waiter(message)
    else this.#queue.push(message)
  }

  /** The next message (pings answered automatically); rejects when none comes in `timeoutMs`. */
  next(timeoutMs = 5_000): Promise<WsMessage> {
    const queued = this.#queue.shift()
    if (queued) return Promise.resolve(queued)
    if (this.#ended) return Promise.reject(new Error('connection closed'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs)
      this.#waiters.push((m) => {
        clearTimeout(timer)
        if (m) resolve(m)
        else reject(new Error('connection closed'))
      })
    })
  }

  sendText(text: string): void {
    this.socket.write(encodeFrame(OP.text, Buffer.from(text), true))
  }

  sendBinary(data: Buffer): void {
    this.socket.write(encodeFrame(OP.binary, data, true))
  }

  /** Sends a message in `parts` fragments. */
  sendFragmented(text: string, parts: number): void {
    const data = Buffer.from(text)
    const size = Math.ceil(data.length / parts)
    for (let i = 0; i < parts; i++) {
      const piece = data.subarray(i * size, (i + 1) * size)
      this.socket.write(encodeFrame(i === 0 ? OP.text : OP.continuation, piece, true, i === parts - 1))
    }
  }

  /** Sends a close frame and waits for the server's close and the end of the connection. */
  async close(code = 1000, reason = ''): Promise<WsMessage | undefined> {
    if (!this.#ended) this.socket.write(encodeFrame(OP.close, closePayload(code, reason), true))
    let answer: WsMessage | undefined
    try {
      for (;;) {
        const m = await this.next(5_000)
        if (m.type === 'close') {
          answer = m
          break
        }
      }
    } catch {
      // closed without a close frame
    }
    this.socket.end()
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 3_000))])
    this.socket.destroy()
    return answer
  }

  destroy(): void {
    this.socket.destroy()
  }
}

export interface ConnectOptions {
  /** Extra request headers (e.g. `cookie`). */
  headers?: Record<string, string>
  /** The Upgrade token. Default: `websocket`. */
  protocol?: string
  timeoutMs?: number
}

/**
 * Opens a WebSocket to `http://host:port/path`. Resolves with a client whose `response.status` is
 * 101 and whose `Sec-WebSocket-Accept` was checked, or with the HTTP answer when it was not a 101.
 */
export function connectWs(url: string, options: ConnectOptions = {}): Promise<WsClient | HttpAnswer> {
  const target = new URL(url)
  const key = randomBytes(16).toString('base64')
  const protocol = options.protocol ?? 'websocket'
  const headers: Record<string, string> = {
    host: target.host,
    connection: 'Upgrade',
    upgrade: protocol,
    ...(protocol === 'websocket' ? { 'sec-websocket-key': key, 'sec-websocket-version': '13' } : {}),
    ...options.headers,
  }
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(target.port), target.hostname)
    let buffer = Buffer.alloc(0)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no handshake answer within ${options.timeoutMs ?? 5_000} ms`))
    }, options.timeoutMs ?? 5_000)
    let answer: { status: number; headers: Record<string, string>; bodyAt: number } | undefined
    let done = false
    const finish = (): void => {
      if (done || !answer) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ status: answer.status, headers: answer.headers, body: buffer.subarray(answer.bodyAt).toString() })
    }
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk])
      if (!answer) {
        const end = buffer.indexOf('\r\n\r\n')
        if (end < 0) return
        const lines = buffer.subarray(0, end).toString('latin1').split('\r\n')
        const status = Number((lines[0] ?? '').split(' ')[1])
        const answerHeaders: Record<string, string> = {}
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':')
          answerHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
        }
        answer = { status, headers: answerHeaders, bodyAt: end + 4 }
        if (status === 101) {
          socket.off('data', onData)
          clearTimeout(timer)
          done = true
          if (protocol === 'websocket') {
            const expected = createHash('sha1').update(key + GUID).digest('base64')
            if (answerHeaders['sec-websocket-accept'] !== expected) {
              socket.destroy()
              reject(new Error(`bad Sec-WebSocket-Accept ${answerHeaders['sec-websocket-accept']}`))
              return
            }
          }
          resolve(new WsClient(socket, { status, headers: answerHeaders, body: '' }, buffer.subarray(end + 4)))
          return
        }
        socket.once('close', finish)
      }
      // Not upgraded: the body ends at Content-Length or with the connection.
      const length = Number(answer.headers['content-length'] ?? NaN)
      if (Number.isFinite(length) && buffer.length - answer.bodyAt >= length) finish()
    }
    socket.on('data', onData)
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once('connect', () => {
      const head = [`GET ${target.pathname}${target.search} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n')
      socket.write(`${head}\r\n\r\n`)
    })
  })
}

/** Like {@link connectWs}, but fails unless the connection was upgraded. */
export async function openWs(url: string, options?: ConnectOptions): Promise<WsClient> {
  const answer = await connectWs(url, options)
  if (!(answer instanceof WsClient)) throw new Error(`expected 101, got ${answer.status}: ${answer.body}`)
  return answer
}

export function portOf(server: net.Server): number {
  return (server.address() as AddressInfo).port
}
