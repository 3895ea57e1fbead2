import { describe, expect, it } from 'vitest'
import { endToEndHeaders, reasonPhrase, stripHopByHopResponseHeaders, writeResponseHead } from './response-head.js'
import type { ResponseHeaders } from '../transports/transport.js'
import { httpRequest, startFront } from '../../test/support/fake-upstream.js'

describe('reasonPhrase', () => {
  it.each<[status: number, message: string | undefined, expected: string]>([
    // Tomcat over AJP sends the bare status code as the message
    [200, '200', 'OK'],
    [404, '404', 'Not Found'],
    [302, '302', 'Found'],
    [503, '503', 'Service Unavailable'],
    // no message at all
    [200, undefined, 'OK'],
    [200, '', 'OK'],
    [204, undefined, 'No Content'],
    // a real phrase is kept, even a non-standard one
    [200, 'OK', 'OK'],
    [200, 'Fine Thanks', 'Fine Thanks'],
    [404, 'Nope', 'Nope'],
    // a number that is not the status is a phrase
    [200, '201', '201'],
    // unknown status codes
    [299, undefined, 'Unknown'],
    [299, '299', 'Unknown'],
    [299, 'Custom', 'Custom'],
    // never a phrase that would split the head
    [200, 'OK\r\nSet-Cookie: evil=1', 'OK'],
    [200, 'O\nK', 'OK'],
    [200, 'O\0K', 'OK'],
  ])('%i %j → %j', (status, message, expected) => {
    expect(reasonPhrase(status, message)).toBe(expected)
  })
})

describe('stripHopByHopResponseHeaders', () => {
  it('removes fixed hop-by-hop headers and those named in Connection', () => {
    const headers: ResponseHeaders = {
      connection: 'keep-alive, X-Backend-Conn',
      'keep-alive': 'timeout=20',
      'transfer-encoding': 'chunked',
      trailer: 'x-sum',
      upgrade: 'h2c',
      'proxy-authenticate': 'Basic',
      'x-backend-conn': 'secret',
      'content-type': 'text/html',
      'set-cookie': ['a=1', 'b=2'],
      'x-keep': '1',
    }
    stripHopByHopResponseHeaders(headers)
    expect(headers).toEqual({ 'content-type': 'text/html', 'set-cookie': ['a=1', 'b=2'], 'x-keep': '1' })
  })

  it('leaves a clean response alone', () => {
    const headers: ResponseHeaders = { 'content-length': '0' }
    stripHopByHopResponseHeaders(headers)
    expect(headers).toEqual({ 'content-length': '0' })
  })
})

describe('writeResponseHead (on a real socket)', () => {
  it('writes the standard phrase for a bare number, strips hop-by-hop headers and rewrites Location and cookies', async () => {
    const front = await startFront((_req, res) => {
      writeResponseHead(res, 302, {
        location: 'http://127.0.0.1:8081/testapp/login?next=%2F',
        'set-cookie': ['JSESSIONID=A.n1; Path=/testapp; HttpOnly'],
        connection: 'x-hop',
        'x-hop': '1',
        'keep-alive': 'timeout=1',
        'content-length': '0',
      }, '302', { memberOrigins: ['http://127.0.0.1:8081'], upstreamPrefix: '/testapp', publicOrigin: 'http://shop.example', mountPath: '/app' })
      res.end()
    })
    const r = await httpRequest(`${front.url}/app/x`)
    expect(r.status).toBe(302)
    expect(r.statusMessage).toBe('Found')
    expect(r.headers.location).toBe('http://shop.example/app/login?next=%2F')
    expect(r.headers['set-cookie']).toEqual(['JSESSIONID=A.n1; Path=/app; HttpOnly'])
    expect(r.headers).not.toHaveProperty('x-hop')
  })
})

describe('endToEndHeaders', () => {
  it('lists the end-to-end headers in order, as writeHead takes them, without touching the object', () => {
    const headers: ResponseHeaders = {
      connection: 'keep-alive, X-Backend-Conn',
      'content-type': 'text/html',
      'keep-alive': 'timeout=20',
      'x-backend-conn': 'secret',
      'set-cookie': ['a=1', 'b=2'],
      'transfer-encoding': 'chunked',
      'x-keep': '1',
    }
    const copy = structuredClone(headers)
    expect(endToEndHeaders(headers)).toEqual(['content-type', 'text/html', 'set-cookie', ['a=1', 'b=2'], 'x-keep', '1'])
    expect(headers).toEqual(copy)
  })

  it('takes own names only', () => {
    const headers = Object.assign(Object.create({ inherited: 'x' }) as ResponseHeaders, { 'content-length': '0' })
    expect(endToEndHeaders(headers)).toEqual(['content-length', '0'])
    expect(endToEndHeaders({})).toEqual([])
  })
})
