import { describe, expect, it } from 'vitest'
import { allowedUpgrade, isProtocolToken } from './upgrade-protocols.js'

const WS = new Set(['websocket'])
const WS_H2C = new Set(['websocket', 'h2c'])

describe('allowedUpgrade', () => {
  it.each([
    ['websocket', WS, 'websocket'],
    ['WebSocket', WS, 'websocket'],
    ['WEBSOCKET', WS, 'websocket'],
    ['  websocket  ', WS, 'websocket'],
    ['h2c, websocket', WS, 'websocket'],
    ['websocket, h2c', WS_H2C, 'websocket, h2c'],
    ['websocket/13', WS, 'websocket/13'],
    [',websocket,', WS, 'websocket'],
    ['h2c', WS, undefined],
    ['tls/1.3', WS, undefined],
    ['websocketx', WS, undefined],
    ['web socket', WS, undefined],
    ['websocket\u0000', WS, undefined],
    ['websocket;q=1', WS, undefined],
    ['<script>alert(1)</script>', WS, undefined],
    ['websocket, <x>', WS, undefined],
    ['websocket/', WS, undefined],
    ['/13', WS, undefined],
    ['', WS, undefined],
    [',', WS, undefined],
    [undefined, WS, undefined],
    ['websocket', new Set<string>(), undefined],
    [`websocket, ${'x'.repeat(2_000)}`, WS, undefined],
  ] as [string | undefined, Set<string>, string | undefined][])('%j with %o → %j', (header, allowed, want) => {
    expect(allowedUpgrade(header, allowed)).toBe(want)
  })
})

describe('isProtocolToken', () => {
  it.each([['websocket', true], ['h2c', true], ['x-my-proto', true], ['tls/1.3', false], ['', false], ['a b', false], ['é', false]])('%j → %s', (name, want) => {
    expect(isProtocolToken(name as string)).toBe(want)
  })
})
