import { describe, expect, it } from 'vitest'
import { InvalidOptionError } from './errors.js'
import { bool, fn, int, keysOf, knownKeys, MAX_TIMER_MS, ms, oneOf, path, renamed, share, shown, token } from './validate.js'

/** The message `run` throws; fails the test when it returns or throws anything but InvalidOptionError. */
function thrown(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError)
    expect((err as InvalidOptionError).code).toBe('LB_ERR_INVALID_OPTION')
    return (err as Error).message
  }
  throw new Error('expected an InvalidOptionError')
}

describe('shown', () => {
  it.each<[unknown, string]>([
    ['60s', '"60s"'],
    [1.5, '1.5'],
    [null, 'null'],
    [undefined, 'undefined'],
    [Number.NaN, 'NaN'],
    [-Infinity, '-Infinity'],
    [() => 1, 'a function'],
    [10n, '10n'],
    [{ a: [1] }, '{"a":[1]}'],
  ])('%s → %s', (value, expected) => {
    expect(shown(value)).toBe(expected)
  })

  it('a value JSON cannot hold is shown by its type', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(shown(cyclic)).toBe('object')
  })
})

describe('int', () => {
  const rule = { min: 1, max: 100, default: 7 }
  it.each<[unknown, number]>([[undefined, 7], [1, 1], [100, 100], [42, 42]])('accepts %s → %s', (value, expected) => {
    expect(int('w', value, rule)).toBe(expected)
  })
  it.each<[unknown, string]>([
    [0, 'w must be an integer from 1 to 100, got 0'],
    [101, 'w must be an integer from 1 to 100, got 101'],
    [1.5, 'w must be an integer from 1 to 100, got 1.5'],
    ['2', 'w must be an integer from 1 to 100, got "2"'],
    [Number.NaN, 'w must be an integer from 1 to 100, got NaN'],
    [null, 'w must be an integer from 1 to 100, got null'],
  ])('refuses %s', (value, message) => {
    expect(thrown(() => int('w', value, rule))).toBe(message)
  })
  it('refuses undefined when there is no default', () => {
    expect(thrown(() => int('w', undefined, { min: 0, max: 1 }))).toBe('w must be an integer from 0 to 1, got undefined')
  })
})

describe('ms', () => {
  it.each<[unknown, Parameters<typeof ms>[2], number]>([
    [undefined, { min: 0, default: 5000 }, 5000],
    [0, { min: 0 }, 0],
    [MAX_TIMER_MS, { min: 0 }, MAX_TIMER_MS],
    [Infinity, { min: 0, infinity: true }, Infinity],
  ])('accepts %s', (value, rule, expected) => {
    expect(ms('t', value, rule)).toBe(expected)
  })
  it.each<[unknown, Parameters<typeof ms>[2], string]>([
    [0, { min: 1, max: 600_000 }, 't must be an integer number of milliseconds from 1 to 600000, got 0'],
    [0.5, { min: 0, max: 10 }, 't must be an integer number of milliseconds from 0 to 10, got 0.5'],
    ['60s', { min: 0, max: 10 }, 't must be an integer number of milliseconds from 0 to 10, got "60s"'],
    [MAX_TIMER_MS + 1, { min: 0 }, `t must be an integer number of milliseconds from 0 to ${MAX_TIMER_MS}, got ${MAX_TIMER_MS + 1}`],
    [Infinity, { min: 0 }, `t must be an integer number of milliseconds from 0 to ${MAX_TIMER_MS}, got Infinity`],
    [-1, { min: 0, infinity: true }, `t must be an integer number of milliseconds from 0 to ${MAX_TIMER_MS} or Infinity, got -1`],
  ])('refuses %s', (value, rule, message) => {
    expect(thrown(() => ms('t', value, rule))).toBe(message)
  })
})

describe('share, bool, oneOf, fn', () => {
  it.each<[string, () => unknown, unknown]>([
    ["share('s', undefined, 0.5)", () => share('s', undefined, 0.5), 0.5],
    ["share('s', 0, 0.5)", () => share('s', 0, 0.5), 0],
    ["share('s', 1, 0)", () => share('s', 1, 0), 1],
    ["bool('b', undefined, true)", () => bool('b', undefined, true), true],
    ["bool('b', false, true)", () => bool('b', false, true), false],
    ["oneOf('o', undefined, ['a', 'b'], 'b')", () => oneOf('o', undefined, ['a', 'b'], 'b'), 'b'],
    ["oneOf('o', 'a', ['a', 'b'])", () => oneOf('o', 'a', ['a', 'b']), 'a'],
    ["fn('f', undefined, '() => void')", () => fn('f', undefined, '() => void'), undefined],
  ])('accepts %s', (_call, run, expected) => {
    expect(run()).toBe(expected)
  })
  it.each<[string, () => unknown, string]>([
    ["share('s', 1.01, 0)", () => share('s', 1.01, 0), 's must be a share from 0 to 1, got 1.01'],
    ["share('s', Number.NaN, 0)", () => share('s', Number.NaN, 0), 's must be a share from 0 to 1, got NaN'],
    ["share('s', '0.5', 0)", () => share('s', '0.5', 0), 's must be a share from 0 to 1, got "0.5"'],
    ["bool('b', 'yes', false)", () => bool('b', 'yes', false), 'b must be true or false, got "yes"'],
    ["bool('b', 1, false)", () => bool('b', 1, false), 'b must be true or false, got 1'],
    ["oneOf('o', 'c', ['a', 'b', 'x'])", () => oneOf('o', 'c', ['a', 'b', 'x']), `o must be 'a', 'b' or 'x', got "c"`],
    ["oneOf('o', 'c', ['a'])", () => oneOf('o', 'c', ['a']), `o must be 'a', got "c"`],
    ["oneOf('o', 'A', ['a', 'b'])", () => oneOf('o', 'A', ['a', 'b']), `o must be 'a' or 'b', got "A"`],
    ["fn('f', 'x', '(ctx) => void')", () => fn('f', 'x', '(ctx) => void'), 'f must be a function (ctx) => void, got "x"'],
  ])('refuses %s', (_call, run, message) => {
    expect(thrown(run)).toBe(message)
  })
})

describe('path and token', () => {
  it.each(['/', '/a/b', '/my%20app'])('path accepts %s', (value) => {
    expect(path('p', value)).toBe(value)
  })
  it('path uses the default for undefined', () => {
    expect(path('p', undefined, '/')).toBe('/')
  })
  it.each<[unknown, string]>([
    ['a', 'p must be a path starting with "/", got "a"'],
    ['/a b', 'p must be a path starting with "/", got "/a b"'],
    ['/a\r\nX: 1', 'p must be a path starting with "/", got "/a\\r\\nX: 1"'],
    [1, 'p must be a path starting with "/", got 1'],
  ])('path refuses %j', (value, message) => {
    expect(thrown(() => path('p', value))).toBe(message)
  })
  it.each(['JSESSIONID', 'edge-1', "a!#$%&'*+.^_`|~9"])('token accepts %s', (value) => {
    expect(token('t', value)).toBe(value)
  })
  it.each<[unknown]>([[''], ['a b'], ['a;b'], ['a=b'], ['é'], [1]])('token refuses %j', (value) => {
    expect(thrown(() => token('t', value, 'a cookie name'))).toBe(`t must be a cookie name, got ${shown(value)}`)
  })
})

describe('knownKeys and keysOf', () => {
  const keys = keysOf({ a: true, b: true } satisfies Record<'a' | 'b', true>)
  it('lists the table keys, frozen', () => {
    expect(keys).toEqual(['a', 'b'])
    expect(Object.isFrozen(keys)).toBe(true)
  })
  it('accepts known keys', () => {
    expect(() => knownKeys({ a: 1 }, keys, 'x')).not.toThrow()
  })
  it.each<[object, string, string]>([
    [{ a: 1, c: 2 }, 'x', 'x.c is not a known option (known: a, b)'],
    [{ c: 2 }, '', 'c is not a known option (known: a, b)'],
    [{ constructor: 1 }, 'x.y', 'x.y.constructor is not a known option (known: a, b)'],
    [JSON.parse('{"__proto__": 1}') as object, 'x', 'x.__proto__ is not a known option (known: a, b)'],
  ])('refuses %j under %j', (obj, prefix, message) => {
    expect(thrown(() => knownKeys(obj, keys, prefix))).toBe(message)
  })
})

describe('renamed', () => {
  const toMs = (s: number): number => Math.round(s * 1000)
  it.each<[string, unknown, string, string]>([
    ['retry', 30, 'retryMs', 'retry was renamed retryMs (milliseconds): use retryMs: 30000'],
    ['retry', 0.2, 'retryMs', 'retry was renamed retryMs (milliseconds): use retryMs: 200'],
    ['admin.refreshSeconds', 5, 'refreshMs', 'admin.refreshSeconds was renamed refreshMs (milliseconds): use refreshMs: 5000'],
    ['retry', '30', 'retryMs', 'retry was renamed retryMs (milliseconds)'],
    ['retry', Number.NaN, 'retryMs', 'retry was renamed retryMs (milliseconds)'],
  ])('%s = %s', (name, value, newKey, message) => {
    expect(thrown(() => renamed(name, value, newKey, toMs))).toBe(message)
  })
  it('adds a note before the hint', () => {
    expect(thrown(() => renamed('members[0].retry', 60, 'retryMs', toMs, ', on the balancer'))).toBe('members[0].retry was renamed retryMs (milliseconds), on the balancer: use retryMs: 60000')
  })
  it('names no unit for a name without one', () => {
    expect(thrown(() => renamed('old', true, 'fresh'))).toBe('old was renamed fresh')
  })
})
