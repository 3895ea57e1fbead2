import { describe, expect, it } from 'vitest'
import type { IncomingHttpHeaders } from 'node:http'
import { framesBody, requestFraming } from './request-framing.js'
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
