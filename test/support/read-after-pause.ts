import { request } from 'node:http'

/** How a response read after a pause ended. */
export interface PausedRead<T> {
  readonly status: number
  /** Body bytes received. */
  readonly received: number
  /** Whether the body ended complete (false when the connection was cut). */
  readonly complete: boolean
  /** What `atResume` returned, just before the body was read. */
  readonly atResume: T | undefined
}

/**
 * GETs `url` and leaves the response body unread for `pauseMs` (a slow client), calls `atResume`
 * (to look at what the other side holds back at that moment), then reads the body to its end.
 */
export function readAfterPause<T = undefined>(url: string, pauseMs: number, atResume?: () => T): Promise<PausedRead<T>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let received = 0
      res.pause()
      setTimeout(() => {
        const seen = atResume?.()
        const done = (complete: boolean): void => resolve({ status: res.statusCode ?? 0, received, complete, atResume: seen })
        res.on('data', (d: Buffer) => (received += d.length))
        res.on('end', () => done(res.complete))
        res.on('error', () => done(false))
        res.resume()
      }, pauseMs)
    })
    req.on('error', reject)
    req.end()
  })
}
