import { describe, expect, it } from 'vitest'
import { mulberry32, parseSeed } from './seeded-random.js'

describe('mulberry32', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = mulberry32(42)
    const b = mulberry32(42)
    const c = mulberry32(43)
    const seqA = Array.from({ length: 8 }, a)
    expect(Array.from({ length: 8 }, b)).toEqual(seqA)
    expect(Array.from({ length: 8 }, c)).not.toEqual(seqA)
  })

  it('stays in [0, 1) and spreads over it', () => {
    const next = mulberry32(7)
    const buckets = new Array<number>(10).fill(0)
    for (let i = 0; i < 10_000; i++) {
      const x = next()
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
      buckets[Math.floor(x * 10)]!++
    }
    for (const count of buckets) expect(count).toBeGreaterThan(850)
  })
})

describe('parseSeed', () => {
  it.each(['0', '12345', '4294967295'])('accepts %s', (text) => {
    expect(parseSeed(text)).toBe(Number(text))
  })
  it.each(['', '-1', '1.5', 'abc', '4294967296', '0x10'])('refuses %j', (text) => {
    expect(() => parseSeed(text)).toThrow(/TEST_SEED/)
  })
})
