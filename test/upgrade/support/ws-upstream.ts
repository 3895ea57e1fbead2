/**
 * In-process WebSocket upstreams on port 0 for edge cases: an echo server that names itself in
 * the 101 (`x-node`), and knobs to answer without upgrading, never answer, or drop the connection.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { onTestFinished } from 'vitest'
import { FrameParser, OP, encodeFrame } from './ws-frames.js'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

export interface WsUpstreamOptions {
  /** What to do with an upgrade request. Default: `echo`. */
  mode?: 'echo' | 'refuse' | 'hang' | 'drop'
  /** How the server answers a close frame and the proxy's end of the connection. Default: echo it and end. */
  onClose?: 'echo' | 'ignore'
}

export interface WsUpstream {
  readonly name: string
  readonly url: string
  readonly server: http.Server
  /** Upgrade requests seen: url and headers. */
  readonly seen: { url: string; headers: http.IncomingHttpHeaders }[]
  /** Close frames received from the proxy side: code per frame. */
  readonly closeCodes: number[]
  /** Upstream-side sockets open now. */
  readonly open: Set<Duplex>
  close(): Promise<void>
}

export async function startWsUpstream(name: string, options: WsUpstreamOptions = {}): Promise<WsUpstream> {
  const mode = options.mode ?? 'echo'
  const seen: WsUpstream['seen'] = []
  const closeCodes: number[] = []
  const open = new Set<Duplex>()
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-node': name })
    res.end(`plain ${name} ${req.url}`)
  })
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    socket.on('error', () => {})
    // Like a real server: the peer went away, so do we (unless told to misbehave).
    if (options.onClose !== 'ignore') socket.once('end', () => socket.end())
    if (mode === 'hang') return
    if (mode === 'drop') return void socket.destroy()
    if (mode === 'refuse') {
      socket.end(`HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nx-node: ${name}\r\n\r\nno socket`)
      return
    }
    const protocol = (req.headers.upgrade ?? '').toLowerCase()
    if (protocol !== 'websocket') {
      // Any other protocol: a raw echo tunnel.
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${protocol}\r\nx-node: ${name}\r\n\r\n`)
      if (head.length > 0) socket.write(head)
      socket.pipe(socket)
      return
    }
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64')
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-accept: ${accept}\r\nx-node: ${name}\r\n\r\n`,
    )
    const parser = new FrameParser()
    const onData = (chunk: Buffer): void => {
      for (const frame of parser.push(chunk)) {
        if (frame.opcode === OP.close) {
          closeCodes.push(frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005)
          if (options.onClose === 'ignore') continue
          socket.end(encodeFrame(OP.close, frame.payload.subarray(0, 2), false))
        } else if (frame.opcode === OP.ping) {
          socket.write(encodeFrame(OP.pong, frame.payload, false))
        } else if (frame.opcode !== OP.pong) {
          socket.write(encodeFrame(frame.opcode, frame.payload, false, frame.fin))
        }
      }
    }
    socket.on('data', onData)
    if (head.length > 0) onData(head)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const upstream: WsUpstream = {
    name,
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    closeCodes,
    open,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  // Closed after the test; outside a test (bench/websockets) the caller closes it.
  if (process.env.VITEST) onTestFinished(() => upstream.close())
  return upstream
}

/** Sends raw bytes from the upstream side on every open socket (to test frame-boundary closing). */
export function writeFromUpstream(upstream: WsUpstream, bytes: Buffer): void {
  for (const s of upstream.open) (s as Socket).write(bytes)
}
