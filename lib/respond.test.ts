import { PassThrough } from 'node:stream'
import type { ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { BadRequestError, MethodNotAllowedError, NoMemberError } from './errors.js'
import { errorBody, failResponse, writeRawError } from './respond.js'

/** A response that records what is written to it. */
function fakeResponse(headersSent = false): ServerResponse & { written: { status?: number; headers?: Record<string, unknown>; body?: string }; destroyedNow: boolean } {
  const res = {
    headersSent,
    destroyed: false,
    destroyedNow: false,
    written: {} as { status?: number; headers?: Record<string, unknown>; body?: string },
    writeHead(status: number, headers: Record<string, unknown>) {
      res.written.status = status
      res.written.headers = headers
    },
    end(body: string) {
      res.written.body = body
    },
    destroy() {
      res.destroyedNow = true
    },
  }
  return res as unknown as ServerResponse & typeof res
}

describe('respond', () => {
  it('shows the message only when exposed', () => {
    expect(errorBody(new BadRequestError('more than one Host header'))).toBe('400 Bad Request: more than one Host header\n')
    expect(errorBody(new NoMemberError())).toBe('503 Service Unavailable\n')
  })

  it('passes the error to next before the response started, cuts it after', () => {
    const seen: unknown[] = []
    const error = new NoMemberError()
    const res = fakeResponse()
    failResponse(res, (err) => seen.push(err), error)
    expect(seen).toEqual([error])
    expect(res.written).toEqual({})
    const started = fakeResponse(true)
    failResponse(started, (err) => seen.push(err), error)
    expect([seen.length, started.destroyedNow]).toEqual([1, true])
  })

  it('without next, writes the plain answer with the error\'s headers', () => {
    const res = fakeResponse()
    failResponse(res, undefined, new MethodNotAllowedError('GET, HEAD', 'TRACE is not allowed'))
    expect(res.written.status).toBe(405)
    expect(res.written.headers).toMatchObject({ allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
    expect(res.written.body).toBe('405 Method Not Allowed: TRACE is not allowed\n')
  })

  it('on a raw socket: status line, the error\'s headers, one Connection: close', async () => {
    const socket = new PassThrough()
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    writeRawError(socket, new MethodNotAllowedError('GET, HEAD', 'CONNECT is not supported'))
    await new Promise((resolve) => socket.once('end', resolve))
    const text = Buffer.concat(chunks).toString()
    expect(text).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\nConnection: close\r\nAllow: GET, HEAD\r\n/)
    expect(text.endsWith('405 Method Not Allowed: CONNECT is not supported\n')).toBe(true)
    socket.destroy()
    const closing = new PassThrough()
    const parts: Buffer[] = []
    closing.on('data', (c: Buffer) => parts.push(c))
    writeRawError(closing, new BadRequestError('x', undefined, { connection: 'close' }))
    await new Promise((resolve) => closing.once('end', resolve))
    expect(Buffer.concat(parts).toString().match(/connection:/gi)).toHaveLength(1)
    closing.destroy()
  })
})
