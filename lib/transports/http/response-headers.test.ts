import { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { stripHopByHopResponseHeaders } from '../../proxy/response-head.js'
import type { ResponseHeaders } from '../transport.js'
import { responseHeadersFromRaw } from './response-headers.js'

/** What the transports handed over before: Node's own header object, copied, hop-by-hop removed. */
function throughNode(raw: string[]): ResponseHeaders {
  const message = new IncomingMessage(new Socket())
  message.rawHeaders = raw
  // Node builds `headers` lazily from rawHeaders with _addHeaderLine.
  const parsed = (message as unknown as { _addHeaderLines(h: string[], n: number): void })
  parsed._addHeaderLines(raw, raw.length)
  const copy: ResponseHeaders = {}
  for (const name in message.headers) {
    const value = message.headers[name]
    if (value !== undefined) copy[name] = value
  }
  stripHopByHopResponseHeaders(copy)
  return copy
}

describe('responseHeadersFromRaw', () => {
  it('lower-cases names and merges repeated fields as Node does', () => {
    const raw = [
      'Content-Type', 'text/html', 'content-type', 'text/plain',
      'Set-Cookie', 'a=1', 'SET-COOKIE', 'b=2',
      'Vary', 'Accept', 'vary', 'Cookie',
      'Cookie', 'x=1', 'cookie', 'y=2',
      'X-Custom', '1', 'x-custom', '2',
      'Location', '/a', 'Location', '/b',
    ]
    expect(responseHeadersFromRaw(raw)).toEqual({
      'content-type': 'text/html',
      'set-cookie': ['a=1', 'b=2'],
      vary: 'Accept, Cookie',
      cookie: 'x=1; y=2',
      'x-custom': '1, 2',
      location: '/a',
    })
  })

  it('leaves out hop-by-hop fields and the fields Connection names', () => {
    const raw = ['Connection', 'keep-alive, X-Private', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'X-Private', 's', 'X-Public', 'p', 'Upgrade', 'h2c', 'Trailer', 'Expires']
    expect(responseHeadersFromRaw(raw)).toEqual({ 'x-public': 'p' })
  })

  it('reads undici Buffers as latin1', () => {
    const raw = [Buffer.from('Content-Type'), Buffer.from('text/plain'), Buffer.from('X-Latin'), Buffer.from([0x63, 0x61, 0x66, 0xe9])]
    expect(responseHeadersFromRaw(raw)).toEqual({ 'content-type': 'text/plain', 'x-latin': 'café' })
  })

  it('ignores a dangling name', () => {
    expect(responseHeadersFromRaw(['A', '1', 'B'])).toEqual({ a: '1' })
  })

  it('gives the same object as Node plus hop-by-hop removal, key order included (random lists)', () => {
    const names = ['Content-Type', 'content-length', 'Set-Cookie', 'Cookie', 'Vary', 'X-A', 'x-a', 'Location', 'ETag', 'Date',
      'Cache-Control', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'X-Hop', 'Server', 'Age', 'Authorization', 'Link', 'TE', 'Proxy-Authenticate']
    let seed = 7
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    for (let round = 0; round < 500; round++) {
      const raw: string[] = []
      const count = next(12)
      for (let i = 0; i < count; i++) {
        const name = names[next(names.length)] as string
        raw.push(name, name.toLowerCase() === 'connection' ? ['close', 'X-Hop', 'keep-alive, x-a', 'Upgrade'][next(4)] as string : `v${next(5)}`)
      }
      const ours = responseHeadersFromRaw(raw)
      const node = throughNode(raw)
      expect(ours, JSON.stringify(raw)).toEqual(node)
      expect(Object.keys(ours), JSON.stringify(raw)).toEqual(Object.keys(node))
    }
  })
})
