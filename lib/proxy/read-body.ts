/**
 * Reads a request body of a known length in full (for replayable retries, `retryBodyLimit`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'

/**
 * The whole body, or `undefined` when the client went away or sent a different number of bytes
 * than `length` (Node's parser refuses more; less means an aborted upload).
 */
export function readBody(req: IncomingMessage, length: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let received = 0
    const done = (value: Buffer | undefined): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      resolve(value)
    }
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      chunks.push(chunk)
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
