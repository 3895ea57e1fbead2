import { describe, expect, it } from 'vitest'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { buildRequestHeaders } from './request-headers.js'
import type { RequestHeaderPolicy } from './request-headers.js'
import type { ClientConnection } from '../transports/transport.js'

const CLIENT: ClientConnection = { address: '10.0.0.9', port: 50_000, localAddress: '192.0.2.1', localPort: 8080, secure: false }
const TLS_CLIENT: ClientConnection = { ...CLIENT, localPort: 8443, secure: true }
const MEMBER_HOST = '127.0.0.1:8081'
const PUBLIC_HOST = 'shop.example:8080'
const DEFAULT_POLICY: RequestHeaderPolicy = { preserveHost: false, xForwarded: true, via: undefined }

/** What buildRequestHeaders reads from a request: its parsed headers and HTTP version. */
function request(headers: IncomingHttpHeaders, httpVersion = '1.1'): IncomingMessage {
  return { headers, httpVersion } as IncomingMessage
}

function build(headers: IncomingHttpHeaders, policy: Partial<RequestHeaderPolicy> = {}, client = CLIENT, httpVersion = '1.1'): Record<string, string | string[]> {
  return buildRequestHeaders(request(headers, httpVersion), client, MEMBER_HOST, PUBLIC_HOST, { ...DEFAULT_POLICY, ...policy })
}

describe('buildRequestHeaders: hop-by-hop removal', () => {
  it('drops the fixed hop-by-hop headers and keeps end-to-end ones', () => {
    const out = build({
      host: PUBLIC_HOST,
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      'proxy-authorization': 'Basic eA==',
      te: 'trailers',
      trailer: 'x-checksum',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      expect: '100-continue',
      'http2-settings': 'AAMAAABkAARAAAAAAAIAAAAA',
      accept: 'text/html',
      authorization: 'Bearer t',
      cookie: 'JSESSIONID=A.n1; a=b',
      'content-type': 'text/plain',
      'x-request-id': 'r1',
    })
    expect(Object.keys(out).sort()).toEqual(
      ['accept', 'authorization', 'content-type', 'cookie', 'host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-request-id'].sort(),
    )
    expect(out.cookie).toBe('JSESSIONID=A.n1; a=b')
    expect(out.authorization).toBe('Bearer t')
  })

  it.each<[connection: string, removed: string[], kept: string[]]>([
    ['x-custom', ['x-custom'], ['x-other']],
    ['close, X-Custom', ['x-custom'], ['x-other']],
    ['  X-Custom ,x-other  ', ['x-custom', 'x-other'], []],
    ['keep-alive', [], ['x-custom', 'x-other']],
    // credentials are forwarded even when named (connection-options.ts)
    ['Cookie', [], ['cookie', 'x-custom']],
    ['close, AUTHORIZATION, x-custom', ['x-custom'], ['authorization', 'cookie', 'x-other']],
    ['cookie, authorization, x-other', ['x-other'], ['cookie', 'authorization', 'x-custom']],
  ])('Connection: %s', (connection, removed, kept) => {
    const out = build({ connection, 'x-custom': '1', 'x-other': '2', cookie: 'JSESSIONID=s.A', authorization: 'Basic eA==' })
    for (const name of removed) expect(out, name).not.toHaveProperty(name)
    for (const name of kept) expect(out, name).toHaveProperty(name)
    expect(out).not.toHaveProperty('connection')
  })

  it('does not modify the request’s own headers', () => {
    const headers: IncomingHttpHeaders = { host: PUBLIC_HOST, connection: 'x-a', 'x-a': '1', 'x-forwarded-for': '1.2.3.4' }
    const copy = structuredClone(headers)
    build(headers)
    expect(headers).toEqual(copy)
  })
})

describe('buildRequestHeaders: Host', () => {
  it.each<[what: string, host: string | undefined, preserveHost: boolean, expected: string]>([
    ['member host by default (ProxyPreserveHost Off)', PUBLIC_HOST, false, MEMBER_HOST],
    ['member host when the client sent none', undefined, false, MEMBER_HOST],
    ['client host with preserveHost', 'Shop.Example:8080', true, 'Shop.Example:8080'],
    ['public host with preserveHost and no client Host', undefined, true, PUBLIC_HOST],
  ])('%s', (_what, host, preserveHost, expected) => {
    const headers: IncomingHttpHeaders = host === undefined ? {} : { host }
    expect(build(headers, { preserveHost }).host).toBe(expected)
  })
})

describe('buildRequestHeaders: X-Forwarded-*', () => {
  it.each<[what: string, prior: string | undefined, expected: string]>([
    ['set from the socket', undefined, '10.0.0.9'],
    ['appended to one address', '203.0.113.7', '203.0.113.7, 10.0.0.9'],
    ['appended to an existing list', '203.0.113.7, 198.51.100.2', '203.0.113.7, 198.51.100.2, 10.0.0.9'],
    ['empty value replaced', '', '10.0.0.9'],
  ])('X-Forwarded-For %s', (_what, prior, expected) => {
    const headers: IncomingHttpHeaders = prior === undefined ? {} : { 'x-forwarded-for': prior }
    expect(build(headers)['x-forwarded-for']).toBe(expected)
  })

  it('replaces X-Forwarded-Proto, -Host and -Port a client sent', () => {
    const out = build({ host: PUBLIC_HOST, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-port': '443' })
    expect(out['x-forwarded-proto']).toBe('http')
    expect(out['x-forwarded-host']).toBe(PUBLIC_HOST)
    expect(out['x-forwarded-port']).toBe('8080')
  })

  it('says https for a TLS client', () => {
    const out = build({ host: 'shop.example', 'x-forwarded-proto': 'http' }, {}, TLS_CLIENT)
    expect(out['x-forwarded-proto']).toBe('https')
    expect(out['x-forwarded-port']).toBe('8443')
  })

  it('adds nothing with xForwarded: false, and passes the client’s own values through', () => {
    const out = build({ host: PUBLIC_HOST, 'x-forwarded-for': '203.0.113.7' }, { xForwarded: false })
    expect(out['x-forwarded-for']).toBe('203.0.113.7')
    expect(out).not.toHaveProperty('x-forwarded-proto')
    expect(out).not.toHaveProperty('x-forwarded-host')
    expect(out).not.toHaveProperty('x-forwarded-port')
  })
})

describe('buildRequestHeaders: Via', () => {
  it.each<[what: string, prior: string | undefined, httpVersion: string, expected: string]>([
    ['added', undefined, '1.1', '1.1 edge-1'],
    ['appended', '1.0 fred, 1.1 p.example', '1.1', '1.0 fred, 1.1 p.example, 1.1 edge-1'],
    ['HTTP/1.0 client', undefined, '1.0', '1.0 edge-1'],
  ])('%s', (_what, prior, httpVersion, expected) => {
    const headers: IncomingHttpHeaders = prior === undefined ? {} : { via: prior }
    expect(build(headers, { via: 'edge-1' }, CLIENT, httpVersion).via).toBe(expected)
  })

  it('is left as the client sent it when off', () => {
    expect(build({ via: '1.0 fred' }).via).toBe('1.0 fred')
    expect(build({})).not.toHaveProperty('via')
  })
})
