/**
 * One HTTP/1.1 exchange over a raw socket: the request target goes exactly as written (fetch() and
 * http.request would resolve dot segments before sending), and the answer is read until the
 * connection closes (or, for an upgrade, until its head).
 */
import net from 'node:net'

export interface RawAnswer {
  status: number
  /** Lower-case names; a repeated header keeps its last value. */
  headers: Record<string, string>
  /** The body, de-chunked, as UTF-8. */
  body: string
}

/** Sends `request` on a fresh connection; `untilHead`: stop at the end of the answer's head (a 101 keeps the connection open). */
export function rawRequest(port: number, request: string, untilHead = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request))
    const chunks: Buffer[] = []
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('latin1')
      const end = text.indexOf('\r\n\r\n')
      const [statusLine = '', ...lines] = (end === -1 ? text : text.slice(0, end)).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      let body = end === -1 ? '' : text.slice(end + 4)
      if (headers['transfer-encoding']?.includes('chunked')) body = dechunk(body)
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: Buffer.from(body, 'latin1').toString('utf8') })
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      if (untilHead && Buffer.concat(chunks).includes('\r\n\r\n')) socket.destroy()
    })
    socket.on('close', done)
    socket.on('error', (err) => (chunks.length > 0 ? done() : reject(err)))
    socket.setTimeout(15_000, () => socket.destroy(new Error('no answer within 15 s')))
  })
}

/** The payload of a chunked body (whatever arrived of it). */
export function dechunk(body: string): string {
  let out = ''
  let at = 0
  for (;;) {
    const eol = body.indexOf('\r\n', at)
    if (eol === -1) return out
    const size = parseInt(body.slice(at, eol), 16)
    if (!(size > 0)) return out
    out += body.slice(eol + 2, eol + 2 + size)
    at = eol + 2 + size + 2
  }
}
