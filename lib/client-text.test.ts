import { describe, expect, it } from 'vitest'
import { CLIENT_TEXT_LIMIT, clientText, clientTexts } from './client-text.js'

describe('clientText', () => {
  it.each([
    ['TomcatA', 'TomcatA'],
    ['', ''],
    ['websocket', 'websocket'],
    ['a"b', 'a\\x22b'],
    ['a\\b', 'a\\x5cb'],
    ['x\r\nSet-Cookie: y', 'x\\x0d\\x0aSet-Cookie: y'],
    ['\0\x1b[31m', '\\x00\\x1b[31m'],
    ['\x7f\xe9', '\\x7f\\xe9'],
    ['\u2028é\u{1f600}', '\\u{2028}\\xe9\\u{d83d}\\u{de00}'],
  ])('%j → %j', (input, want) => {
    expect(clientText(input)).toBe(want)
  })

  it('is bounded: at most the limit of input characters, then …', () => {
    expect(clientText('x'.repeat(CLIENT_TEXT_LIMIT))).toBe('x'.repeat(CLIENT_TEXT_LIMIT))
    expect(clientText('x'.repeat(100_000))).toBe(`${'x'.repeat(CLIENT_TEXT_LIMIT)}…`)
    expect(clientText('\n'.repeat(100_000)).length).toBe(CLIENT_TEXT_LIMIT * 4 + 1)
  })
})

describe('clientTexts', () => {
  it('keeps at most four items, each through clientText', () => {
    expect(clientTexts([])).toEqual([])
    expect(clientTexts(['a', 'b"', 'c', 'd', 'e', 'f'])).toEqual(['a', 'b\\x22', 'c', 'd'])
    expect(clientTexts(Array.from({ length: 1000 }, () => 'y'.repeat(1000)))).toEqual(Array.from({ length: 4 }, () => `${'y'.repeat(CLIENT_TEXT_LIMIT)}…`))
  })
})
