import { describe, expect, it } from 'vitest'
import { KEPT_WHEN_NAMED, isRefusedConnectionOption, refusedConnectionOption } from './connection-options.js'
import { connectionTokens } from './hop-by-hop.js'

describe('isRefusedConnectionOption', () => {
  it.each([
    'content-length', 'transfer-encoding', 'host',
    'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix',
    'x-forwarded-server', 'x-forwarded-client-cert', 'x-forwarded-user', 'forwarded', 'via', 'x-real-ip',
    'x-client-ip', 'true-client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'x-cluster-client-ip', 'x-original-forwarded-for',
  ])('%s is refused', (token) => {
    expect(isRefusedConnectionOption(token)).toBe(true)
  })

  it.each(['close', 'keep-alive', 'upgrade', 'te', 'x-custom', 'cookie', 'authorization', 'proxy-authorization', 'x-forwarded', 'content-type', 'hostx'])(
    '%s is not refused',
    (token) => {
      expect(isRefusedConnectionOption(token)).toBe(false)
    },
  )

  it('keeps only credentials, and refuses none of them', () => {
    expect([...KEPT_WHEN_NAMED].sort()).toEqual(['authorization', 'cookie'])
    for (const name of KEPT_WHEN_NAMED) expect(isRefusedConnectionOption(name)).toBe(false)
  })
})

describe('refusedConnectionOption', () => {
  it.each<[value: string, refused: string | undefined]>([
    ['keep-alive', undefined],
    ['close', undefined],
    ['Upgrade', undefined],
    ['keep-alive, Upgrade', undefined],
    ['TE, close', undefined],
    ['x-custom, cookie, Authorization', undefined],
    ['', undefined],
    [' , ,', undefined],
    ['Content-Length', 'content-length'],
    ['close, content-length', 'content-length'],
    ['CONTENT-LENGTH', 'content-length'],
    ['  Content-Length  ', 'content-length'],
    ['\tcontent-length\t', 'content-length'],
    ['keep-alive,Transfer-Encoding', 'transfer-encoding'],
    ['HoSt', 'host'],
    ['x-a, X-Forwarded-For', 'x-forwarded-for'],
    ['X-Forwarded-Proto,,', 'x-forwarded-proto'],
    ['Forwarded', 'forwarded'],
    ['via', 'via'],
    ['X-Real-IP', 'x-real-ip'],
  ])('%j → %j', (value, refused) => {
    expect(refusedConnectionOption(value)).toBe(refused)
  })

  it('refuses every name the header filter would drop and that must not be dropped (same tokenising)', () => {
    // Random spellings: whatever connectionTokens would make of a value, the guard reads the same.
    const names = ['content-length', 'x-forwarded-for', 'host', 'x-custom', 'cookie', 'keep-alive']
    const pads = ['', ' ', '\t', ' \t ']
    for (let i = 0; i < 500; i++) {
      const parts: string[] = []
      const n = 1 + (i % 4)
      for (let j = 0; j < n; j++) {
        const name = names[(i * 7 + j * 3) % names.length] as string
        const cased = [...name].map((c, k) => ((i + k) % 3 === 0 ? c.toUpperCase() : c)).join('')
        parts.push(`${pads[(i + j) % pads.length]}${cased}${pads[(i * j) % pads.length]}`)
      }
      const value = parts.join(i % 5 === 0 ? ',,' : ',')
      const dropped = connectionTokens(value)
      const expected = dropped.find((t) => isRefusedConnectionOption(t))
      expect(refusedConnectionOption(value), value).toBe(expected)
    }
  })
})
