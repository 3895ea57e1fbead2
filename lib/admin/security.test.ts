import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { NONCE_TTL_MS, NonceStore, crossOriginReason, isLoopback, loopbackOnly, proxySign } from './security.js'

function req(headers: Record<string, string>, remoteAddress = '127.0.0.1'): IncomingMessage {
  return { headers, socket: { remoteAddress } } as unknown as IncomingMessage
}

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:127.9.9.9', true],
    ['::1%lo0', true],
    ['0:0:0:0:0:0:0:1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['192.168.1.10', false],
    ['::ffff:10.0.0.1', false],
    ['::2', false],
    ['fe80::1', false],
    ['', false],
    ['localhost', false],
    ['127.0.0.1.evil', false],
  ])('%s → %s', (address, expected) => {
    expect(isLoopback(address)).toBe(expected)
  })

  it('is false for a missing address', () => {
    expect(isLoopback(undefined)).toBe(false)
  })

  it('loopbackOnly reads the socket, never X-Forwarded-For', () => {
    expect(loopbackOnly(req({ 'x-forwarded-for': '127.0.0.1' }, '203.0.113.9'))).toBe(false)
    expect(loopbackOnly(req({ 'x-forwarded-for': '203.0.113.9' }, '::1'))).toBe(true)
  })
})

describe('crossOriginReason', () => {
  const host = { host: 'lb.example:8080' }
  it('accepts same-origin and none (typed URL) Sec-Fetch-Site', () => {
    expect(crossOriginReason(req({ ...host, 'sec-fetch-site': 'same-origin' }))).toBeUndefined()
    expect(crossOriginReason(req({ ...host, 'sec-fetch-site': 'none' }))).toBeUndefined()
  })
  it('refuses cross-site and same-site Sec-Fetch-Site, even with a matching Origin', () => {
    expect(crossOriginReason(req({ ...host, 'sec-fetch-site': 'cross-site', origin: 'http://lb.example:8080' }))).toMatch(/cross-site/)
    expect(crossOriginReason(req({ ...host, 'sec-fetch-site': 'same-site' }))).toMatch(/same-site/)
  })
  it('compares Origin, then Referer, with the Host header', () => {
    expect(crossOriginReason(req({ ...host, origin: 'http://lb.example:8080' }))).toBeUndefined()
    expect(crossOriginReason(req({ ...host, origin: 'http://evil.example' }))).toMatch(/Origin/)
    expect(crossOriginReason(req({ ...host, origin: 'null' }))).toMatch(/Origin/)
    expect(crossOriginReason(req({ ...host, referer: 'http://lb.example:8080/balancer-manager/' }))).toBeUndefined()
    expect(crossOriginReason(req({ ...host, referer: 'http://lb.example:9090/' }))).toMatch(/Referer/)
  })
  it('lets a request with none of the three through (scripts; the nonce still applies)', () => {
    expect(crossOriginReason(req(host))).toBeUndefined()
  })
})

describe('NonceStore', () => {
  it('knows the nonces it issued, and only those; each is good for one change', () => {
    const store = new NonceStore()
    const nonce = store.issue()
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(store.consume(nonce)).toBe(true)
    expect(store.consume(nonce)).toBe(false) // a replay
    expect(store.consume('forged')).toBe(false)
    expect(store.consume('')).toBe(false)
    expect(store.consume(undefined)).toBe(false)
  })
  it('lives five minutes by default, not an hour', () => {
    const store = new NonceStore()
    expect(store.consume(store.issue(0), NONCE_TTL_MS - 1)).toBe(true)
    expect(store.consume(store.issue(0), NONCE_TTL_MS)).toBe(false)
    expect(NONCE_TTL_MS).toBe(300_000)
  })
  it('expires unused nonces; using one never extends another', () => {
    const store = new NonceStore(1_000)
    const a = store.issue(0)
    const b = store.issue(0)
    expect(store.consume(a, 900)).toBe(true)
    expect(store.consume(b, 1_500)).toBe(false)
    expect(store.consume(b, 200)).toBe(false) // an expired nonce is gone, even if the clock went back
  })
  it('forgets a revoked nonce', () => {
    const store = new NonceStore()
    const a = store.issue()
    store.revoke(a)
    expect(store.consume(a)).toBe(false)
  })
  it('forgets the oldest beyond its capacity', () => {
    const store = new NonceStore(60_000, 2)
    const a = store.issue(0)
    const b = store.issue(1)
    store.issue(2)
    expect(store.consume(a, 3)).toBe(false)
    expect(store.consume(b, 3)).toBe(true)
  })
})

describe('proxySign', () => {
  it.each<[Record<string, string>, string | undefined]>([
    [{}, undefined],
    [{ host: 'localhost', cookie: 'a=b', 'x-balancer-nonce': 'n' }, undefined],
    [{ forwarded: 'for=203.0.113.9' }, 'forwarded'],
    [{ 'x-forwarded-for': '203.0.113.9' }, 'x-forwarded-for'],
    [{ 'x-forwarded-for': '' }, 'x-forwarded-for'],
    [{ 'x-real-ip': '203.0.113.9' }, 'x-real-ip'],
    [{ via: '1.1 nginx' }, 'via'],
    [{ via: '' }, 'via'],
    [{ 'x-forwarded-proto': 'https' }, 'x-forwarded-proto'],
    [{ 'x-forwarded-host': 'lb.example' }, 'x-forwarded-host'],
    [{ 'true-client-ip': '203.0.113.9' }, 'true-client-ip'],
    [{ 'cf-connecting-ip': '203.0.113.9' }, 'cf-connecting-ip'],
    [{ 'x-forwarded': 'for=1.2.3.4' }, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(proxySign(req(headers))).toBe(expected)
  })
})
