import { describe, expect, it } from 'vitest'
import { shownValue } from './shown-value.js'

describe('shownValue', () => {
  it.each([
    ['TomcatC', '"TomcatC"'],
    ['a\r\nX-Evil: 1', '"a\\x0d\\x0aX-Evil: 1"'],
    ['say "hi"', '"say \\x22hi\\x22"'],
    ['x'.repeat(100), `"${'x'.repeat(64)}…"`],
    [7, '7'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{ a: '\u001b[31m' }, '{\\x22a\\x22:\\x22\\x5cu001b[31m\\x22}'],
  ])('%j → %s', (value, expected) => {
    expect(shownValue(value)).toBe(expected)
  })
})
