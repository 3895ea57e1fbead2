import { describe, expect, it } from 'vitest'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { resolveTrustProxy } from '../net/trust-proxy.js'
import type { ClientConnection } from '../transports/transport.js'
import { forwardedClient, trustsAnyone } from './forwarded-client.js'
import type { TrustPredicate } from './forwarded-client.js'

const SOCKET: ClientConnection = Object.freeze({ address: '10.0.0.2', port: 40_112, localAddress: '10.0.0.5', localPort: 8080, secure: false })
const TRUST_LB = resolveTrustProxy('10.0.0.0/8')

function request(headers: IncomingHttpHeaders, peer = SOCKET.address): IncomingMessage {
  return { headers, socket: { remoteAddress: peer } } as unknown as IncomingMessage
}

describe('forwardedClient: from a trusted peer', () => {
  it('believes X-Forwarded-Proto/-Host/-Port/-For', () => {
    const req = request({ host: '10.0.0.5:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example', 'x-forwarded-port': '443', 'x-forwarded-for': '203.0.113.9' })
    expect(forwardedClient(req, SOCKET, TRUST_LB)).toEqual({
      ...SOCKET, secure: true, localPort: 443, forwardedHost: 'shop.example', forwardedFor: '203.0.113.9', proxied: true,
    })
  })

  it.each([
    // [headers, secure, localPort, forwardedHost]
    [{ 'x-forwarded-proto': 'https' }, true, 443, undefined],
    [{ 'x-forwarded-proto': 'https', host: 'shop.example:8443' }, true, 8443, undefined],
    [{ 'x-forwarded-proto': 'http' }, false, 80, undefined],
    [{ 'x-forwarded-host': 'shop.example:8443' }, false, 8443, 'shop.example:8443'],
    [{ 'x-forwarded-host': 'shop.example', 'x-forwarded-proto': 'https' }, true, 443, 'shop.example'],
    [{ 'x-forwarded-port': '8443' }, false, 8443, undefined],
    [{ 'x-forwarded-proto': 'https', 'x-forwarded-port': '8443', host: 'shop.example:9999' }, true, 8443, undefined],
    [{ 'x-forwarded-proto': 'http, https' }, true, 443, undefined],
    [{ 'x-forwarded-proto': 'https, http' }, false, 80, undefined],
    [{ forwarded: 'for=203.0.113.9;proto=https;host="shop.example:8443"' }, true, 8443, 'shop.example:8443'],
    // Both families, agreeing (host in any case)
    [{ forwarded: 'proto=https;host=SHOP.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' }, true, 443, 'shop.example'],
    // X-Forwarded-Port next to Forwarded: only when it is the port Forwarded implies
    [{ forwarded: 'proto=https;host="shop.example:8443"', 'x-forwarded-port': '8443' }, true, 8443, 'shop.example:8443'],
    [{ forwarded: 'proto=https;host=shop.example', 'x-forwarded-port': '1' }, true, 443, 'shop.example'],
    [{ forwarded: 'proto=https', 'x-forwarded-port': '443' }, true, 443, undefined],
    [{ forwarded: 'for=203.0.113.9', 'x-forwarded-port': '8443' }, false, 8443, undefined],
    // They disagree on the host only: the proto both give is believed, the host neither
    [{ forwarded: 'proto=https;host=evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' }, true, 443, undefined],
    // An invalid X-Forwarded-* value falls back to Forwarded's
    [{ forwarded: 'proto=https;host=shop.example', 'x-forwarded-proto': 'wss', 'x-forwarded-host': 'a b' }, true, 443, 'shop.example'],
  ] as const)('%j → secure %s, port %s, host %s', (headers, secure, localPort, host) => {
    const client = forwardedClient(request(headers), SOCKET, TRUST_LB)
    expect({ secure: client.secure, localPort: client.localPort, forwardedHost: client.forwardedHost, proxied: client.proxied }).toEqual({ secure, localPort, forwardedHost: host, proxied: true })
    expect(client.address).toBe(SOCKET.address)
  })

  it.each([
    [{ 'x-forwarded-proto': 'javascript' }],
    [{ 'x-forwarded-proto': '' }],
    [{ 'x-forwarded-host': 'evil.example/x' }],
    [{ 'x-forwarded-host': 'user@evil.example' }],
    [{ 'x-forwarded-port': '0' }],
    [{ 'x-forwarded-port': '65536' }],
    [{ 'x-forwarded-port': '443abc' }],
    [{ 'x-forwarded-for': 'not-an-address' }],
    [{ forwarded: 'proto=https;proto=http' }],
    [{ forwarded: 'for=_hidden' }],
  ] as const)('ignores invalid values: %j leaves the socket\'s facts', (headers) => {
    expect(forwardedClient(request(headers), SOCKET, TRUST_LB)).toBe(SOCKET)
  })

  it.each([
    [{ forwarded: 'proto=http;host=evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' }],
    [{ forwarded: 'proto=https;host=evil.example;for=198.51.100.66', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example', 'x-forwarded-for': '203.0.113.9' }],
    [{ forwarded: 'for=198.51.100.66', 'x-forwarded-for': '203.0.113.9' }],
  ] as const)('when the two families disagree, neither is believed (a client may add the one its proxy does not write): %j', (headers) => {
    expect(forwardedClient(request(headers), SOCKET, TRUST_LB)).toBe(SOCKET)
  })

  it('the right-most X-Forwarded-For entry and for= agreeing: the walk goes on', () => {
    const client = forwardedClient(request({ forwarded: 'for=10.1.1.1', 'x-forwarded-for': '203.0.113.9, 10.1.1.1' }), SOCKET, TRUST_LB)
    expect(client.forwardedFor).toBe('203.0.113.9')
  })

  it('walks X-Forwarded-For from the right over trusted hops', () => {
    const client = forwardedClient(request({ 'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.1.1.1' }), SOCKET, TRUST_LB)
    expect(client.forwardedFor).toBe('203.0.113.9')
  })

  it('names the left-most entry when every hop is trusted', () => {
    expect(forwardedClient(request({ 'x-forwarded-for': '10.0.0.7, 10.0.0.8' }), SOCKET, TRUST_LB).forwardedFor).toBe('10.0.0.7')
  })

  it('takes Forwarded: for= when there is no X-Forwarded-For', () => {
    const client = forwardedClient(request({ forwarded: 'for="[2001:db8::7]:4711"' }), SOCKET, TRUST_LB)
    expect(client.forwardedFor).toBe('2001:db8::7')
    expect(client.secure).toBe(false)
    expect(client.localPort).toBe(SOCKET.localPort)
  })

  it('asks a framework predicate with the hop index (Express trust proxy)', () => {
    const asked: [string, number][] = []
    const oneHop: TrustPredicate = (address, hop) => {
      asked.push([address, hop])
      return hop < 1
    }
    const client = forwardedClient(request({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.1, 203.0.113.9' }), SOCKET, oneHop)
    expect(client.secure).toBe(true)
    expect(client.forwardedFor).toBe('203.0.113.9')
    expect(asked).toEqual([['10.0.0.2', 0], ['10.0.0.2', 0], ['203.0.113.9', 1]])
  })

  it('stops the predicate walk at an entry that is not an address', () => {
    const all: TrustPredicate = () => true
    expect(forwardedClient(request({ 'x-forwarded-for': '198.51.100.1, junk, 203.0.113.9' }), SOCKET, all).forwardedFor).toBe('203.0.113.9')
  })
})

describe('forwardedClient: from an untrusted peer', () => {
  const forged = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', 'x-forwarded-port': '443', 'x-forwarded-for': '198.51.100.1', forwarded: 'for=198.51.100.1;proto=https;host=evil.example' }

  it.each([
    ['outside the trusted blocks', { ...SOCKET, address: '203.0.113.50' }, TRUST_LB],
    ['a predicate that says no', SOCKET, (() => false) as TrustPredicate],
    ['a predicate that answers something other than true', SOCKET, (() => 1) as unknown as TrustPredicate],
    ['no address on the socket', { ...SOCKET, address: '' }, resolveTrustProxy(true)],
  ])('%s: the socket\'s facts, the very same object', (_name, socket, trust) => {
    expect(forwardedClient(request(forged, socket.address), socket, trust)).toBe(socket)
  })

  it('without forwarding headers nothing is asked', () => {
    let asked = false
    expect(forwardedClient(request({ host: 'x' }), SOCKET, () => (asked = true))).toBe(SOCKET)
    expect(asked).toBe(false)
  })
})

describe('trustsAnyone', () => {
  it.each([
    [undefined, false], [resolveTrustProxy(false), false], [resolveTrustProxy('loopback'), true], [resolveTrustProxy(true), true], [() => false, true],
  ] as const)('%o → %s', (trust, expected) => {
    expect(trustsAnyone(trust)).toBe(expected)
  })
})
