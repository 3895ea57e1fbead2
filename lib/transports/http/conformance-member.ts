/**
 * The HTTP member of the transport conformance suite: a raw-socket HTTP/1.1 server that reads
 * requests the way a container does (`Content-Length` or chunked bodies, keep-alive) and answers
 * with exactly the bytes a {@link MemberBehaviour} names, including the ones Node's own server
 * would never write (a `Content-Length` beside `Transfer-Encoding`, a status line that is not HTTP).
 *
 * @module
 * @internal
 */
import net from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import type { ConformanceMember, MemberBehaviour } from '../conformance.suite.js'

/** Starts the member on 127.0.0.1:0. */
export async function startHttpConformanceMember(): Promise<ConformanceMember> {
  let behaviour: MemberBehaviour = { kind: 'silent' }
  const sockets = new Set<Socket>()
  const bodies: Buffer[] = []
  const state = { accepted: 0, closed: 0, bodyBytes: 0 }

  const server = net.createServer((socket) => {
    state.accepted++
    sockets.add(socket)
    let buffer: Buffer = Buffer.alloc(0)
    /** The request being read: its head is parsed, its body comes. */
    let body: { chunks: Buffer[]; left: number; chunked: boolean; crlf: boolean; last: boolean } | undefined
    let drip: NodeJS.Timeout | undefined
    socket.on('error', () => {})
    socket.on('close', () => {
      state.closed++
      sockets.delete(socket)
      clearInterval(drip)
    })
    const answer = (): void => {
      const b = behaviour
      switch (b.kind) {
        case 'answer':
          socket.write(`HTTP/1.1 ${b.status} Status\r\n${b.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n${b.body}`)
          return
        case 'silent':
          return
        case 'close-before-head':
          socket.destroy()
          return
        case 'fail-after-head':
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npartial')
          setTimeout(() => socket.resetAndDestroy(), 50)
          return
        case 'drip':
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n')
          drip = setInterval(() => socket.write('5\r\ndrip\n\r\n'), 20)
          return
        case 'conflicting-framing':
          socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n')
          return
        case 'invalid-head':
          socket.write('HTTZ/1.1 200 hello\r\n\r\n')
          return
      }
    }
    const take = (n: number): Buffer => {
      const part = buffer.subarray(0, n)
      buffer = buffer.subarray(n)
      return part
    }
    /** Takes what has come of the `left` body bytes; true once they are all here. */
    const takeBody = (body: { chunks: Buffer[]; left: number }): boolean => {
      if (buffer.length === 0) return false
      const data = take(Math.min(body.left, buffer.length))
      body.chunks.push(data)
      body.left -= data.length
      state.bodyBytes += data.length
      return body.left === 0
    }
    const pump = (): void => {
      for (;;) {
        if (body === undefined) {
          const end = buffer.indexOf('\r\n\r\n')
          if (end < 0) return
          const head = take(end + 4).toString('latin1')
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
          body = { chunks: [], left: length ? Number(length[1]) : 0, chunked: /\r\ntransfer-encoding:\s*chunked/i.test(head), crlf: false, last: false }
        }
        if (body.chunked) {
          // chunk-size line, data, CRLF; the last chunk has size 0 and no trailers. A chunk's
          // data is counted as it arrives (the streaming check); its CRLF may come much later.
          if (body.left > 0) {
            if (!takeBody(body)) return
            body.crlf = true
          }
          if (body.crlf) {
            if (buffer.length < 2) return
            take(2)
            body.crlf = false
            if (!body.last) continue
          } else {
            const line = buffer.indexOf('\r\n')
            if (line < 0) return
            const size = parseInt(take(line + 2).toString('latin1'), 16)
            if (size > 0) {
              body.left = size
              continue
            }
            body.last = true
            body.crlf = true
            continue
          }
        } else if (body.left > 0 && !takeBody(body)) {
          return
        }
        bodies.push(Buffer.concat(body.chunks))
        body = undefined
        answer()
      }
    }
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      pump()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return state.accepted
    },
    get closed() {
      return state.closed
    },
    get bodyBytes() {
      return state.bodyBytes
    },
    bodies,
    behave(next: MemberBehaviour): void {
      behaviour = next
    },
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
