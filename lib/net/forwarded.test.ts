import { describe, expect, it } from 'vitest'
import { forwardedHost, forwardedPort, forwardedProto, lastForwardedElement, lastListEntry, portOfHost } from './forwarded.js'

describe('lastListEntry: the entry the nearest proxy wrote', () => {
  it.each([
    ['https', 'https'],
    [' https ', 'https'],
    ['http, https', 'https'],
    ['https,http', 'http'],
    ['https, ', undefined],
    ['', undefined],
    [',', undefined],
    [['http', 'https, http'], 'http'],
    [[], undefined],
    [undefined, undefined],
  ] as const)('%j → %j', (value, expected) => {
    expect(lastListEntry(value as string | string[] | undefined)).toBe(expected)
  })
})

describe('forwardedProto: http or https, nothing else', () => {
  it.each([
    ['https', 'https'], ['HTTPS', 'https'], ['Http', 'http'], ['http', 'http'],
    ['wss', undefined], ['ws', undefined], ['ftp', undefined], ['https:', undefined], ['https;', undefined],
    ['https://x', undefined], ['', undefined], ['javascript', undefined], ['h ttps', undefined], [undefined, undefined],
  ] as const)('%j → %j', (entry, expected) => {
    expect(forwardedProto(entry)).toBe(expected)
  })
})

describe('forwardedPort: digits, 1..65535', () => {
  it.each([
    ['443', 443], ['8443', 8443], ['1', 1], ['65535', 65535], ['00443', 443],
    ['0', undefined], ['65536', undefined], ['99999', undefined], ['123456', undefined], ['-1', undefined], ['+443', undefined],
    ['4e2', undefined], ['0x1bb', undefined], ['443.0', undefined], [' 443', undefined], ['', undefined], ['443a', undefined],
    ['٤٤٣', undefined], [undefined, undefined],
  ] as const)('%j → %j', (entry, expected) => {
    expect(forwardedPort(entry)).toBe(expected)
  })
})

describe('forwardedHost: a host[:port] the balancer may write as its own', () => {
  it.each([
    'shop.example', 'shop.example:8443', 'localhost', 'localhost:1', 'a', 'xn--bcher-kva.example', 'my_host.internal',
    '127.0.0.1', '127.0.0.1:8420', '[::1]', '[::1]:443', '[2001:db8::1]:65535', 'shop.example.', 'A-B.EXAMPLE',
    `${'a'.repeat(63)}.example`,
  ])('accepts %j', (host) => {
    expect(forwardedHost(host)).toBe(host)
  })

  it.each([
    '', ' ', 'shop.example ', 'shop example', 'evil.example/path', 'evil.example?x', 'evil.example#x', 'user@evil.example',
    'user:pw@evil.example', 'shop.example:', 'shop.example:0', 'shop.example:65536', 'shop.example:443:1', ':443', 'shop.example:+1',
    '-shop.example', 'shop-.example', 'shop..example', '.shop.example', '[::1', '::1', '[zz::1]', '[::1]x', '[::1]:', '[1.2.3]',
    'shop.example\\x', 'shop%2eexample', '<script>', 'shop.example,evil.example', '"shop.example"', 'shop.exämple',
    `${'a'.repeat(64)}.example`, `${'a.'.repeat(128)}a`, 'http://shop.example',
  ])('refuses %j', (host) => {
    expect(forwardedHost(host)).toBeUndefined()
  })
})

describe('portOfHost', () => {
  it.each([
    ['shop.example', undefined], ['shop.example:8443', 8443], ['[::1]', undefined], ['[::1]:443', 443], ['127.0.0.1:80', 80],
  ] as const)('%j → %j', (host, expected) => {
    expect(portOfHost(host)).toBe(expected)
  })
})

describe('lastForwardedElement (RFC 7239)', () => {
  it.each([
    ['for=192.0.2.60;proto=https;by=203.0.113.43', { for: '192.0.2.60', proto: 'https', host: undefined }],
    ['for=198.51.100.7;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;host=shop.example', { for: '2001:db8:cafe::17', proto: 'https', host: 'shop.example' }],
    ['For="192.0.2.43:47011";PROTO=HTTPS;Host="shop.example:8443"', { for: '192.0.2.43', proto: 'https', host: 'shop.example:8443' }],
    ['for=unknown;proto=https', { for: undefined, proto: 'https', host: undefined }],
    ['for=_hidden;proto=wss;host="evil.example/x"', { for: undefined, proto: undefined, host: undefined }],
    ['for="[::ffff:192.0.2.1]"', { for: '192.0.2.1', proto: undefined, host: undefined }],
    ['for=2001:db8::1', { for: undefined, proto: undefined, host: undefined }],
    ['for=192.0.2.1:x', { for: undefined, proto: undefined, host: undefined }],
  ] as const)('%j', (value, expected) => {
    expect(lastForwardedElement(value)).toEqual(expected)
  })

  it.each([
    'proto', 'proto=https;', '=https', 'proto="https', 'proto="ht"tps"', 'proto="ht\\"tps"', 'proto=https;proto=http',
    'for=192.0.2.1;host="a,b"', '',
  ])('ignores an element that does not parse: %j', (value) => {
    expect(lastForwardedElement(value)).toBeUndefined()
  })
})
