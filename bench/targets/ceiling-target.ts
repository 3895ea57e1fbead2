// The ceiling of a Node forwarder on this machine: how fast a node:http host can forward when it
// does nothing but forward. Reference targets of the benchmark (group "ceiling"), not proxies
// anyone should run: no timeouts, no retries, no header policy, no smuggling checks, no limits, no
// metrics, no logging. What the balancer does above this is the price of being a balancer; what
// this reaches is the most any middleware in a node:http process can reach here.
//
//   node --import tsx bench/targets/ceiling-target.ts <ajp|http|ajp-express> <port>
//
// ajp          node:http server, pooled AJP sockets (Nagle off), the project's own AJP encoder and
//              decoder (lib/transports/ajp), the response written with writeHead/write/end, corked;
//              request bodies need a Content-Length (411 otherwise)
// http         node:http server, pooled raw sockets to Tomcat's HTTP connector, the request head
//              written from rawHeaders, the response head and body framing (length or chunked)
//              parsed by hand, the response written as above
// ajp-express  the ajp forwarder mounted on /testapp in Express 5: Express's own cost
//
// Routing, so that the sticky workload stays on BenchA: a Cookie naming `.BenchB` goes to BenchB,
// one naming `.BenchA` to BenchA, anything else round robin. Prints "ready <port>" once listening.
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import net from 'node:net'
import { isHopByHop } from '../../lib/proxy/hop-by-hop.js'
import { EMPTY_BODY_PACKET } from '../../lib/transports/ajp/constants.js'
import { encodeBodyChunkHead, encodeForwardRequest, maxBodyChunk } from '../../lib/transports/ajp/forward-request.js'
import { AjpResponseParser } from '../../lib/transports/ajp/response-decoder.js'

const [variant, portText] = process.argv.slice(2)
const port = Number(portText)
const SECRET = process.env.TOMCAT_AJP_SECRET ?? 'sticky-balancer-dev-secret'
const NODES = [
  { route: 'BenchA', http: 8281, ajp: 8209 },
  { route: 'BenchB', http: 8282, ajp: 8210 },
]
/** Hop-by-hop fields by the project's own list; a `Connection` header's extra tokens are not looked at. */
const hopByHop = (lowerName: string): boolean => isHopByHop(lowerName, [])

let next = 0
function nodeIndex(req: IncomingMessage): number {
  const cookie = req.headers.cookie
  if (cookie !== undefined) {
    if (cookie.includes('.BenchB')) return 1
    if (cookie.includes('.BenchA')) return 0
  }
  next = (next + 1) % NODES.length
  return next
}

function fail(res: ServerResponse): void {
  if (!res.headersSent) {
    res.writeHead(502)
    res.end()
  } else {
    res.destroy()
  }
}

/** A socket with the exchange it serves, if any. */
interface PooledSocket {
  readonly socket: net.Socket
  exchange: { readonly res: ServerResponse } | undefined
}

/** An idle socket of `idle`, or a new one to `port` (Nagle off) that leaves the pool when it closes. */
function pooledSocket<T extends PooledSocket>(idle: T[], port: number, create: (socket: net.Socket) => T, onData: (conn: T, data: Buffer) => void): T {
  const reused = idle.pop()
  if (reused) return reused
  const socket = net.connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  const conn = create(socket)
  socket.on('data', (data: Buffer) => onData(conn, data))
  socket.on('error', () => {})
  socket.on('close', () => {
    const i = idle.indexOf(conn)
    if (i >= 0) idle.splice(i, 1)
    if (conn.exchange) fail(conn.exchange.res)
  })
  return conn
}

/** Request body bytes, handed out as the member asks for them. */
class BodyQueue {
  #chunks: Buffer[] = []
  #ended = false
  #waiting: (() => void) | undefined
  constructor(req: IncomingMessage) {
    req.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.#wake()
    })
    req.on('end', () => {
      this.#ended = true
      this.#wake()
    })
  }
  #wake(): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.()
  }
  /** Calls `use` with up to `max` bytes (empty at the end of the body) once there are any. */
  take(max: number, use: (chunk: Buffer) => void): void {
    const first = this.#chunks[0]
    if (first === undefined) {
      if (this.#ended) use(Buffer.alloc(0))
      else this.#waiting = () => this.take(max, use)
      return
    }
    if (first.length <= max) {
      this.#chunks.shift()
      use(first)
    } else {
      this.#chunks[0] = first.subarray(max)
      use(first.subarray(0, max))
    }
  }
}

// ------------------------------------------------------------------------------------------- AJP

interface AjpSocket {
  readonly socket: net.Socket
  readonly parser: AjpResponseParser
  exchange: AjpExchange | undefined
}
const MAX_CHUNK = maxBodyChunk()
const ajpIdle: AjpSocket[][] = NODES.map(() => [])

function ajpSocket(index: number): AjpSocket {
  return pooledSocket(ajpIdle[index] as AjpSocket[], (NODES[index] as (typeof NODES)[number]).ajp, (socket) => ({ socket, parser: new AjpResponseParser(), exchange: undefined }), (conn, data) => {
    conn.parser.push(data)
    conn.exchange?.onData(conn, index)
  })
}

class AjpExchange {
  readonly res: ServerResponse
  readonly #body: BodyQueue | undefined
  constructor(req: IncomingMessage, res: ServerResponse, url: string) {
    this.res = res
    const lengthHeader = req.headers['content-length']
    if (lengthHeader === undefined && req.headers['transfer-encoding'] !== undefined) {
      // Streamed bodies of unknown length are the balancer's business, not the ceiling's.
      res.writeHead(411)
      res.end()
      return
    }
    const contentLength = lengthHeader === undefined ? 0 : Number(lengthHeader)
    const index = nodeIndex(req)
    const conn = ajpSocket(index)
    conn.exchange = this
    const q = url.indexOf('?')
    conn.socket.write(encodeForwardRequest({
      method: req.method ?? 'GET',
      protocol: 'HTTP/1.1',
      uri: q < 0 ? url : url.slice(0, q),
      queryString: q < 0 ? undefined : url.slice(q + 1),
      remoteAddr: req.socket.remoteAddress ?? '127.0.0.1',
      serverName: '127.0.0.1',
      serverPort: port,
      isSsl: false,
      headers: req.headers,
      contentLength,
      secret: SECRET,
    }))
    if (contentLength !== 0) {
      this.#body = new BodyQueue(req)
      this.#sendBody(conn, MAX_CHUNK) // the first packet goes unasked
    }
  }

  #sendBody(conn: AjpSocket, max: number): void {
    ;(this.#body as BodyQueue).take(max, (chunk) => {
      if (chunk.length === 0) {
        conn.socket.write(EMPTY_BODY_PACKET)
      } else {
        conn.socket.cork()
        conn.socket.write(encodeBodyChunkHead(chunk.length))
        conn.socket.write(chunk)
        conn.socket.uncork()
      }
    })
  }

  onData(conn: AjpSocket, index: number): void {
    const res = this.res
    res.cork()
    for (let msg = conn.parser.next(); msg; msg = conn.parser.next()) {
      switch (msg.type) {
        case 'headers': {
          const headers = msg.headers as Record<string, string | string[]>
          delete headers['transfer-encoding']
          res.writeHead(msg.status, headers)
          break
        }
        case 'body':
          if (msg.data.length > 0) res.write(msg.data)
          break
        case 'get-body':
          this.#sendBody(conn, Math.min(msg.length, MAX_CHUNK))
          break
        case 'end':
          conn.exchange = undefined
          if (msg.reuse) (ajpIdle[index] as AjpSocket[]).push(conn)
          else conn.socket.destroy()
          res.uncork()
          res.end()
          return
        default:
          break
      }
    }
    res.uncork()
  }
}

// ------------------------------------------------------------------------------------------ HTTP

interface HttpSocket {
  readonly socket: net.Socket
  exchange: HttpExchange | undefined
}
const httpIdle: HttpSocket[][] = NODES.map(() => [])

function httpSocket(index: number): HttpSocket {
  return pooledSocket(httpIdle[index] as HttpSocket[], (NODES[index] as (typeof NODES)[number]).http, (socket) => ({ socket, exchange: undefined }), (conn, data) => conn.exchange?.onData(data))
}

const CRLF = 0x0a

class HttpExchange {
  readonly res: ServerResponse
  readonly #conn: HttpSocket
  readonly #index: number
  readonly #head: boolean
  #pending: Buffer | undefined
  #headDone = false
  /** Body bytes still due: a fixed length, or the rest of the current chunk (chunked). */
  #left = 0
  #chunked = false
  /** Chunked: where the decoder is. */
  #state: 'size' | 'data' | 'data-end' | 'trailer' = 'size'

  constructor(req: IncomingMessage, res: ServerResponse, url: string) {
    this.res = res
    this.#head = req.method === 'HEAD'
    this.#index = nodeIndex(req)
    const conn = httpSocket(this.#index)
    this.#conn = conn
    conn.exchange = this
    let head = `${req.method} ${url} HTTP/1.1\r\n`
    const raw = req.rawHeaders
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string
      if (!hopByHop(name.toLowerCase())) head += `${name}: ${raw[i + 1]}\r\n`
    }
    const chunkedBody = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined
    if (chunkedBody) head += 'Transfer-Encoding: chunked\r\n'
    conn.socket.write(`${head}\r\n`, 'latin1')
    if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') {
      req.on('data', (chunk: Buffer) => conn.socket.write(chunk))
    } else if (chunkedBody) {
      req.on('data', (chunk: Buffer) => conn.socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`, 'latin1'))
      req.on('end', () => conn.socket.write('0\r\n\r\n'))
    }
  }

  onData(data: Buffer): void {
    const res = this.res
    res.cork()
    let buf = this.#pending ? Buffer.concat([this.#pending, data]) : data
    this.#pending = undefined
    if (!this.#headDone) {
      const end = buf.indexOf('\r\n\r\n', 0, 'latin1')
      if (end < 0) {
        this.#pending = buf
        res.uncork()
        return
      }
      this.#writeHead(buf.toString('latin1', 0, end))
      buf = buf.subarray(end + 4)
    }
    if (this.#chunked) this.#chunks(buf)
    else this.#fixed(buf)
    res.uncork()
  }

  #writeHead(text: string): void {
    const lines = text.split('\r\n')
    const status = Number((lines[0] as string).slice(9, 12))
    const headers: string[] = []
    let length: number | undefined
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string
      const colon = line.indexOf(':')
      const name = line.slice(0, colon)
      const value = line.slice(colon + 1).trim()
      const lower = name.toLowerCase()
      if (lower === 'transfer-encoding') this.#chunked = value.toLowerCase().includes('chunked')
      if (lower === 'content-length') length = Number(value)
      if (!hopByHop(lower)) headers.push(name, value)
    }
    this.#headDone = true
    this.res.writeHead(status, headers)
    const bodyless = this.#head || status === 204 || status === 304
    if (bodyless) this.#chunked = false
    this.#left = bodyless ? 0 : this.#chunked ? 0 : (length ?? 0)
  }

  #fixed(buf: Buffer): void {
    if (buf.length > 0) {
      const take = Math.min(buf.length, this.#left)
      this.res.write(take === buf.length ? buf : buf.subarray(0, take))
      this.#left -= take
    }
    if (this.#left === 0) this.#finish()
  }

  #chunks(buf: Buffer): void {
    let at = 0
    while (at < buf.length) {
      if (this.#state === 'data') {
        const take = Math.min(buf.length - at, this.#left)
        this.res.write(buf.subarray(at, at + take))
        at += take
        this.#left -= take
        if (this.#left === 0) this.#state = 'data-end'
        continue
      }
      const eol = buf.indexOf(CRLF, at)
      if (eol < 0) {
        this.#pending = buf.subarray(at)
        return
      }
      const line = buf.toString('latin1', at, eol).trim()
      at = eol + 1
      if (this.#state === 'data-end') {
        this.#state = 'size'
      } else if (this.#state === 'size') {
        this.#left = Number.parseInt(line, 16)
        this.#state = this.#left === 0 ? 'trailer' : 'data'
      } else if (line === '') {
        this.#finish()
        return
      }
    }
  }

  #finish(): void {
    this.#conn.exchange = undefined
    ;(httpIdle[this.#index] as HttpSocket[]).push(this.#conn)
    this.res.end()
  }
}

// ----------------------------------------------------------------------------------------- hosts

let server: http.Server
switch (variant) {
  case 'ajp':
    server = http.createServer((req, res) => void new AjpExchange(req, res, req.url ?? '/'))
    break
  case 'http':
    server = http.createServer((req, res) => void new HttpExchange(req, res, req.url ?? '/'))
    break
  case 'ajp-express': {
    const { default: express } = await import('express')
    const app = express()
    app.use('/testapp', (req, res) => void new AjpExchange(req, res, req.originalUrl))
    server = http.createServer(app)
    break
  }
  default:
    console.error('usage: node --import tsx bench/targets/ceiling-target.ts <ajp|http|ajp-express> <port>')
    process.exit(2)
}
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000
server.requestTimeout = 0
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${port}\n`))
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.closeAllConnections()
    server.close()
    process.exit(0)
  })
}
