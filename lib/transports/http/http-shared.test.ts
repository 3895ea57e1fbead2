import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { RequestFraming } from '../../proxy/request-framing.js'
import { headerList } from './http-shared.js'

describe('headerList', () => {
  it('flattens the member-bound headers, one line per array element, cookie lists joined', () => {
    expect(headerList({ host: 'a:1', accept: 'x', 'x-many': ['1', '2'], cookie: ['a=1', 'b=2'], via: ['1.1 p'] }, 'none'))
      .toEqual(['host', 'a:1', 'accept', 'x', 'x-many', '1', 'x-many', '2', 'cookie', 'a=1; b=2', 'via', '1.1 p'])
  })

  it.each<[framing: RequestFraming, chunkedHeader: boolean, tail: string[]]>([
    ['none', true, []],
    [0, true, ['content-length', '0']],
    [17, true, ['content-length', '17']],
    ['chunked', true, ['transfer-encoding', 'chunked']],
    ['chunked', false, []],
  ])('frames the body from the client\'s framing (%j), never from the headers given', (framing, chunkedHeader, tail) => {
    const headers = { host: 'a:1', 'content-length': '5', 'transfer-encoding': 'chunked', accept: 'x' }
    expect(headerList(headers, framing, chunkedHeader)).toEqual(['host', 'a:1', 'accept', 'x', ...tail])
  })

  it('puts the same lines on the wire as the header object did', async () => {
    const seen: string[][] = []
    const server = http.createServer((req, res) => {
      seen.push(req.rawHeaders)
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => void server.close())
    const { port } = server.address() as AddressInfo
    const headers = { host: 'front:80', 'x-forwarded-for': '10.0.0.1', 'x-many': ['1', '2'], cookie: ['a=1', 'b=2'] }
    for (const form of [headers, headerList(headers, 'none')]) {
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/', headers: form, setHost: false, agent: false }, (res) => {
          res.resume()
          res.on('end', resolve)
        })
        req.on('error', reject)
        req.end()
      })
    }
    expect(seen[1]).toEqual(seen[0])
  })
})
