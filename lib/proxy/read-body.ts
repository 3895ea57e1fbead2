/**
 * Reads a request body of a known length in full (for replayable retries, `retryBodyLimit`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { ClientTimeoutError } from '../transports/client-timeout.js'

/**
 * The whole body; `undefined` when the client went away or sent a different number of bytes
 * than `length` (Node's parser refuses more; less means an aborted upload); a
 * {@link ClientTimeoutError} when the client sent nothing for `idleTimeout` ms
 * (`clientBodyTimeout`).
 */
export function readBody(req: IncomingMessage, length: number, idleTimeout: number): Promise<Buffer | ClientTimeoutError | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let received = 0
    const timer = setTimeout(() => {
      req.pause()
      done(new ClientTimeoutError('body', idleTimeout))
    }, idleTimeout)
    const done = (value: Buffer | ClientTimeoutError | undefined): void => {
      clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      resolve(value)
    }
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      chunks.push(chunk)
      timer.refresh()
    }
    const onEnd = (): void => done(received === length ? Buffer.concat(chunks, received) : undefined)
    const onError = (): void => done(undefined)
    const onClose = (): void => {
      if (!req.complete) done(undefined)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}
