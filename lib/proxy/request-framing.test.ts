import { describe, expect, it } from 'vitest'
import type { IncomingHttpHeaders } from 'node:http'
import { exchangeFraming, framesBody, requestFraming } from './request-framing.js'
import type { RequestFraming } from './request-framing.js'

describe('requestFraming', () => {
  it.each<[headers: IncomingHttpHeaders, framing: RequestFraming, body: boolean]>([
    [{}, 'none', false],
    [{ 'content-length': '0' }, 0, false],
    [{ 'content-length': '12' }, 12, true],
    [{ 'content-length': '000' }, 0, false],
    [{ 'content-length': '007' }, 7, true],
    [{ 'transfer-encoding': 'chunked' }, 'chunked', true],
    [{ 'transfer-encoding': 'identity, chunked' }, 'chunked', true],
    // whatever names the client's Connection header, the framing is the client's own
    [{ connection: 'content-length', 'content-length': '5' }, 5, true],
  ])('%j → %j', (headers, framing, body) => {
    expect(requestFraming(headers)).toBe(framing)
    expect(framesBody(requestFraming(headers))).toBe(body)
  })

  it.each<IncomingHttpHeaders>([
    { 'content-length': '4', 'transfer-encoding': 'chunked' },
    { 'content-length': '+4' },
    { 'content-length': '4, 4' },
    { 'content-length': '' },
    { 'content-length': '1e3' },
    { 'content-length': '9999999999999999' },
  ])('refuses %j with a 400', (headers) => {
    expect(() => requestFraming(headers)).toThrow(expect.objectContaining({ code: 'LB_ERR_BAD_REQUEST', statusCode: 400 }))
  })
})

describe('exchangeFraming', () => {
  it.each<[headers: IncomingHttpHeaders, body: Buffer | undefined, framing: RequestFraming]>([
    [{ 'content-length': '12' }, undefined, 12],
    [{ 'transfer-encoding': 'chunked' }, undefined, 'chunked'],
    [{}, undefined, 'none'],
    // A body the balancer holds (read for retries, or rebuilt after a body parser) is framed by its own length.
    [{ 'transfer-encoding': 'chunked' }, Buffer.from('{"a":1}'), 7],
    [{ 'content-length': '207' }, Buffer.from('{"a":1}'), 7],
    [{ 'content-length': '3' }, Buffer.from('abc'), 3],
    [{ 'content-length': '5' }, Buffer.alloc(0), 0],
  ])('%j with a held body of %j: %j', (headers, body, framing) => {
    expect(exchangeFraming(headers, body)).toBe(framing)
  })
})
