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

describe('createAgent', () => {
  const options = { connectTimeout: 1000, timeout: 1000, maxSockets: 4, maxFreeSockets: 2, idleTimeout: 1000 }
  /** What the agent adds to every request's options (Node keeps them as `agent.options`). */
  const optionsOf = (agent: http.Agent): Record<string, unknown> => (agent as unknown as { options: Record<string, unknown> }).options

  it('gives an https member\'s agent its TLS settings, with the name fixed from the URL', async () => {
    const { Member } = await import('../../members/member.js')
    const { createAgent } = await import('./http-shared.js')
    const https = new Member({ url: new URL('https://tomcat-a.internal:8443'), route: 'a', weight: 1, admin: 'active' })
    const agent = createAgent(https, { ...options, tls: { ca: '-----BEGIN CERTIFICATE-----', rejectUnauthorized: false } })
    expect(optionsOf(agent)).toMatchObject({ ca: '-----BEGIN CERTIFICATE-----', rejectUnauthorized: false, servername: 'tomcat-a.internal', keepAlive: true })
    const byAddress = createAgent(new Member({ url: new URL('https://10.0.0.2:8443'), route: 'b', weight: 1, admin: 'active' }), options)
    expect(optionsOf(byAddress)).toMatchObject({ rejectUnauthorized: true, servername: '' })
    const plain = createAgent(new Member({ url: new URL('http://127.0.0.1:8081'), route: 'c', weight: 1, admin: 'active' }), { ...options, tls: { rejectUnauthorized: false } })
    expect(optionsOf(plain)).not.toHaveProperty('servername')
    expect(optionsOf(plain)).not.toHaveProperty('rejectUnauthorized')
  })
})
