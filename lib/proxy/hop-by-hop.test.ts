import { describe, expect, it } from 'vitest'
import { connectionTokens, isHopByHop } from './hop-by-hop.js'

describe('connectionTokens', () => {
  it.each<[value: string | string[] | undefined, expected: string[]]>([
    [undefined, []],
    ['', []],
    ['close', ['close']],
    ['Keep-Alive', ['keep-alive']],
    ['close, X-Custom', ['close', 'x-custom']],
    ['  Keep-Alive ,X-A,,  x-b  ,', ['keep-alive', 'x-a', 'x-b']],
    [' , ,', []],
    [['keep-alive', 'X-A, x-B'], ['keep-alive', 'x-a', 'x-b']],
    ['upgrade\t,\tX-Tab', ['upgrade', 'x-tab']],
  ])('%j → %j', (value, expected) => {
    expect(connectionTokens(value)).toEqual(expected)
  })
})

describe('isHopByHop', () => {
  it.each([
    'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
    'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings',
  ])('%s is always hop-by-hop', (name) => {
    expect(isHopByHop(name, [])).toBe(true)
  })

  it.each(['host', 'content-length', 'content-type', 'cookie', 'authorization', 'x-forwarded-for', 'via', 'trailers', 'x-te'])(
    '%s is end-to-end unless Connection names it',
    (name) => {
      expect(isHopByHop(name, [])).toBe(false)
      expect(isHopByHop(name, ['close', 'x-other'])).toBe(false)
      expect(isHopByHop(name, connectionTokens(`close, ${name.toUpperCase()}`))).toBe(true)
    },
  )

  it('Connection: x-custom makes x-custom hop-by-hop', () => {
    const tokens = connectionTokens('X-Custom')
    expect(isHopByHop('x-custom', tokens)).toBe(true)
    expect(isHopByHop('x-custom-2', tokens)).toBe(false)
  })
})
