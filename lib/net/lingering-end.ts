/**
 * A lingering close for answers given before the request body was read (413): the answer is
 * written at once, then what the client is still sending is read and thrown away for a bounded
 * time and size before the response ends and the connection closes.
 *
 * Closing a socket with unread bytes in its receive buffer makes the kernel send a reset, and a
 * client still uploading may then lose the answer that was already on its way (RFC 9112 §9.6).
 * httpd does the same ("lingering close"): stop writing, keep reading, close later.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * Bounds of a lingering close: it ends when the client has been silent for `idleMs` (httpd waits
 * 2 s per read), after `maxMs` in all, or after `maxBytes` of discarded body.
 */
export const LINGER_LIMITS = { idleMs: 500, maxMs: 5_000, maxBytes: 8 * 1024 * 1024 } as const

/** Bounds of {@link endAfterDraining}; see {@link LINGER_LIMITS}. */
export interface LingerLimits {
  readonly idleMs: number
  readonly maxMs: number
  readonly maxBytes: number
}

/**
 * Writes `body` (the head must have been written, with `Connection: close`), then ends the
 * response once the request has been read to its end, or when the client has been silent for
 * `idleMs`, or after `maxMs` or `maxBytes` of discarded body, whichever comes first. A request
 * already read ends at once.
 *
 * @example
 * ```ts
 * res.writeHead(413, { connection: 'close', 'content-length': String(body.length) })
 * endAfterDraining(req, res, body)
 * ```
 */
export function endAfterDraining(req: IncomingMessage, res: ServerResponse, body: string | Buffer, limits: LingerLimits = LINGER_LIMITS): void {
  if (req.readableEnded || req.destroyed) {
    res.end(body)
    return
  }
  res.write(body)
  let discarded = 0
  const finish = (): void => {
    clearTimeout(timer)
    clearTimeout(idle)
    req.off('data', onData)
    req.off('end', finish)
    req.off('close', finish)
    if (!res.writableEnded) res.end()
  }
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length
    if (discarded > limits.maxBytes) finish()
    else idle.refresh()
  }
  const timer = setTimeout(finish, limits.maxMs)
  const idle = setTimeout(finish, limits.idleMs)
  req.on('data', onData)
  req.once('end', finish)
  req.once('close', finish)
  req.resume()
}
