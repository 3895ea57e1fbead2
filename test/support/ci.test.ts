import { describe, expect, it } from 'vitest'
import { isCiValue } from './ci.js'

describe('isCiValue', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['0', false],
    ['false', false],
    ['FALSE', false],
    ['no', false],
    ['off', false],
    [' false ', false],
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['github-actions', true],
  ])('CI=%j → %s', (value, expected) => {
    expect(isCiValue(value)).toBe(expected)
  })
})
