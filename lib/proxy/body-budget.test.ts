import { describe, expect, it } from 'vitest'
import { BodyBudget } from './body-budget.js'

describe('BodyBudget', () => {
  it('reserves while the total is not exceeded, and gives back what was released', () => {
    const b = new BodyBudget(100)
    expect(b.tryReserve(60)).toBe(true)
    expect(b.tryReserve(41)).toBe(false)
    expect(b.tryReserve(40)).toBe(true)
    expect(b.used).toBe(100)
    expect(b.tryReserve(1)).toBe(false)
    b.release(60)
    expect(b.tryReserve(60)).toBe(true)
    b.release(60)
    b.release(40)
    expect(b.used).toBe(0)
  })

  it('a total of 0 reserves nothing', () => {
    expect(new BodyBudget(0).tryReserve(1)).toBe(false)
  })
})
