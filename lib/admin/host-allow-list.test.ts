import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { isLoopbackHostName, misdirectedReason, normaliseAllowedHosts, splitHost } from './host-allow-list.js'

/** A request as Node hands it over: `rawHeaders` as sent, `headers.host` the first Host. */
function req(rawHeaders: string[], url = '/balancer-manager/api'): IncomingMessage {
  const headers: Record<string, string> = {}
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const key = (rawHeaders[i] as string).toLowerCase()
    if (!(key in headers)) headers[key] = rawHeaders[i + 1] as string
  }
  return { rawHeaders, headers, url } as unknown as IncomingMessage
}

describe('splitHost', () => {
  it.each<[string, { name: string; port: string | undefined } | undefined]>([
    ['localhost', { name: 'localhost', port: undefined }],
    ['LocalHost:8080', { name: 'localhost', port: '8080' }],
    ['127.0.0.1:65535', { name: '127.0.0.1', port: '65535' }],
    ['[::1]', { name: '[::1]', port: undefined }],
    ['[::1]:8080', { name: '[::1]', port: '8080' }],
    ['[::FFFF:127.0.0.1]', { name: '[::ffff:127.0.0.1]', port: undefined }],
    ['lb.internal.example', { name: 'lb.internal.example', port: undefined }],
    ['', undefined],
    ['localhost:', undefined],
    ['localhost:65536', undefined],
    ['localhost:80:80', undefined],
    ['localhost:8o', undefined],
    ['user@localhost', undefined],
    ['user:pw@localhost:8080', undefined],
    ['::1', undefined],
    ['[::1', undefined],
    ['[::1]x', undefined],
    ['[::1%25lo]', undefined],
    ['[]', undefined],
    ['local host', undefined],
    ['localhost%2e', undefined],
    ['localhost/x', undefined],
    ['a'.repeat(301), undefined],
  ])('%j → %j', (value, expected) => {
    expect(splitHost(value)).toEqual(expected)
  })
})

describe('isLoopbackHostName', () => {
  it.each<[string, boolean]>([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['[::1]', true],
    ['[0:0:0:0:0:0:0:1]', true],
    ['[::ffff:127.0.0.1]', true],
    ['localhost.', false],
    ['localhost.attacker.example', false],
    ['127.0.0.1.nip.io', false],
    ['127.1', false],
    ['0x7f.1', false],
    ['0177.0.0.1', false],
    ['127.000.000.001', false],
    ['2130706433', false],
    ['128.0.0.1', false],
    ['0.0.0.0', false],
    ['[::]', false],
    ['[::ffff:10.0.0.1]', false],
    ['attacker.example', false],
  ])('%s → %s', (name, expected) => {
    expect(isLoopbackHostName(name)).toBe(expected)
  })
})

describe('normaliseAllowedHosts', () => {
  it('keeps names and literals in lower case', () => {
    expect(normaliseAllowedHosts('admin.allowedHosts', ['LB.Internal.example', '10.0.0.5', '[FD00::5]'])).toEqual(['lb.internal.example', '10.0.0.5', '[fd00::5]'])
  })
  it.each([[['lb:9090']], [['']], [['a@b']], [['.example']], [['lb.']], [[7]], ['lb.internal'], [null]])('refuses %j, naming the option', (value) => {
    expect(normaliseAllowedHosts('admin.allowedHosts', value)).toMatch(/^admin\.allowedHosts/)
  })
})

describe('misdirectedReason', () => {
  const allowed = ['lb.internal.example']
  it.each<[string[], string | undefined]>([
    [['Host', '127.0.0.1:8080'], undefined],
    [['host', 'LOCALHOST'], undefined],
    [['Host', '[::1]:8080'], undefined],
    [['Host', 'lb.internal.example'], undefined],
    [['Host', 'LB.INTERNAL.EXAMPLE:9090'], undefined],
    [[], 'no Host header'],
    [['Host', 'localhost', 'Host', 'localhost'], 'more than one Host header'],
    [['Host', 'localhost', 'HOST', 'attacker.example'], 'more than one Host header'],
    [['Host', ''], 'the Host header is malformed'],
    [['Host', 'user@localhost'], 'the Host header is malformed'],
    [['Host', 'attacker.example'], 'the Host header names a host this admin surface does not answer (see admin.allowedHosts)'],
    [['Host', 'lb.internal.example.attacker.example'], 'the Host header names a host this admin surface does not answer (see admin.allowedHosts)'],
  ])('%j → %s', (raw, expected) => {
    expect(misdirectedReason(req(raw), allowed)).toBe(expected)
  })
  it('checks the authority of an absolute-form target too', () => {
    expect(misdirectedReason(req(['Host', 'localhost'], 'http://attacker.example/balancer-manager/api'), [])).toBe('the request target names another host')
    expect(misdirectedReason(req(['Host', 'localhost'], 'http://127.0.0.1:8080/balancer-manager/api'), [])).toBeUndefined()
  })
  it('never quotes the Host header in its reason', () => {
    expect(misdirectedReason(req(['Host', '<script>x</script>']), [])).not.toContain('<script>')
  })
})
