/**
 * A member on a raw TCP socket that records exactly the bytes of each request it reads, framed the
 * way RFC 9112 §6.3 frames a request (and the way Tomcat reads one): `Transfer-Encoding` whose
 * last coding is chunked, else `Content-Length`, else no body. Bytes left over after a request are
 * the start of the next one on that connection, so a body sent without framing shows up as a
 * request of its own (a smuggled request), completed by whatever comes next on the pooled socket.
 *
 * Each request is answered 200 with a JSON {@link RawSeen} summary (`Content-Length` framed; no
 * body for HEAD); a head it cannot parse is answered 400 and the connection closed.
 *
 * @module
 */
import net from 'node:net'
import type { AddressInfo } from 'node:net'

/** One request as the member read it off the wire. */
export interface RawSeen {
  /** Which member-side connection it came on (0, 1, …, in accept order). */
  connection: number
  method: string
  target: string
  /** The head exactly as received, request line included, up to the blank line (latin1). */
  head: string
  /** Header lines in order, names as sent. */
  headers: Array<[string, string]>
  /** How the member framed the body. */
  framing: 'length' | 'chunked' | 'none'
  /** The body after de-chunking (latin1). */
  body: string
  /** Every byte of the request on the wire: head, framing and body (latin1). */
  wire: string
}

export interface RawMember {
  readonly url: string
  readonly seen: RawSeen[]
  /** Connections accepted so far. */
  connections(): number
  close(): Promise<void>
}

/** Values of a header by name, case-insensitive. */
export function headerValues(seen: RawSeen, name: string): string[] {
  const lower = name.toLowerCase()
  return seen.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v)
}

/** Reads one request from `buf`: the request and the bytes it used, 'more' when incomplete, 'bad' when unparseable. */
function readRequest(buf: string): { seen: Omit<RawSeen, 'connection'>; used: number } | 'more' | 'bad' {
  const end = buf.indexOf('\r\n\r\n')
  if (end < 0) return buf.length > 64 * 1024 ? 'bad' : 'more'
  const head = buf.slice(0, end)
  const lines = head.split('\r\n')
  const requestLine = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] as string)
  if (!requestLine) return 'bad'
  const headers: Array<[string, string]> = []
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) return 'bad'
    headers.push([line.slice(0, colon), line.slice(colon + 1).trim()])
  }
  const te = headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding').map(([, v]) => v).join(',')
  const cl = headers.filter(([n]) => n.toLowerCase() === 'content-length').map(([, v]) => v)
  let pos = end + 4
  let body = ''
  let framing: RawSeen['framing'] = 'none'
  if (te !== '') {
    if (cl.length > 0 || te.split(',').map((c) => c.trim().toLowerCase()).at(-1) !== 'chunked') return 'bad'
    framing = 'chunked'
    for (;;) {
      const eol = buf.indexOf('\r\n', pos)
      if (eol < 0) return 'more'
      const size = parseInt((buf.slice(pos, eol).split(';')[0] as string).trim(), 16)
      if (!Number.isInteger(size) || size < 0) return 'bad'
      pos = eol + 2
      if (size === 0) {
        // trailer section up to an empty line
        for (;;) {
          const tEol = buf.indexOf('\r\n', pos)
          if (tEol < 0) return 'more'
          const line = buf.slice(pos, tEol)
          pos = tEol + 2
          if (line === '') break
        }
        break
      }
      if (buf.length < pos + size + 2) return 'more'
      body += buf.slice(pos, pos + size)
      if (buf.slice(pos + size, pos + size + 2) !== '\r\n') return 'bad'
      pos += size + 2
    }
  } else if (cl.length > 0) {
    if (cl.length > 1 || !/^\d+$/.test(cl[0] as string)) return 'bad'
    framing = 'length'
    const n = Number(cl[0])
    if (buf.length < pos + n) return 'more'
    body = buf.slice(pos, pos + n)
    pos += n
  }
  return { seen: { method: requestLine[1] as string, target: requestLine[2] as string, head, headers, framing, body, wire: buf.slice(0, pos) }, used: pos }
}

/** Starts the member on 127.0.0.1:0. */
export async function startRawMember(): Promise<RawMember> {
  const seen: RawSeen[] = []
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const server = net.createServer((socket) => {
    const connection = accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buf = ''
    socket.on('data', (data: Buffer) => {
      buf += data.toString('latin1')
      for (;;) {
        const read = readRequest(buf)
        if (read === 'more') return
        if (read === 'bad') {
          socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
          buf = ''
          return
        }
        buf = buf.slice(read.used)
        const entry: RawSeen = { connection, ...read.seen }
        seen.push(entry)
        const json = JSON.stringify({ method: entry.method, target: entry.target, bodyLength: entry.body.length, connection })
        const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n`
        socket.write(entry.method === 'HEAD' ? head : head + json)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    connections: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    }),
  }
}
