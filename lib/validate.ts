/**
 * The validators every option module uses, so that every message reads the same:
 * `<name> must be …, got <json>`, thrown as {@link InvalidOptionError} naming the option.
 *
 * Each validator takes the option's full name (`members[1].weight`, `health.interval`), the
 * value as the user gave it (`unknown`: plain JavaScript users get no type checks) and, where it
 * has one, the default used for `undefined`.
 *
 * @example
 * ```ts
 * const interval = ms('health.interval', user.interval, { min: 100, max: 3_600_000, default: 10_000 })
 * knownKeys(user, HEALTH_KEYS, 'health')   // health.nope is not a known option (known: interval, …)
 * ```
 *
 * @module
 */
import { InvalidOptionError } from './errors.js'

/** Node timers take at most 2^31−1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Throws {@link InvalidOptionError} with `message`. */
export function fail(message: string): never {
  throw new InvalidOptionError(message)
}

/**
 * A value as a message shows it: JSON where it has one (`"2"`, `1.5`, `null`), else its type
 * (`a function`, `undefined`, `NaN`).
 *
 * @example
 * ```ts
 * shown('60s')          // '"60s"'
 * shown(Number.NaN)     // 'NaN'
 * shown(() => 1)        // 'a function'
 * ```
 */
export function shown(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value)
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return typeof value
  }
}

/** Throws `<name> must be <what>, got <json>`. */
export function mustBe(name: string, what: string, value: unknown): never {
  fail(`${name} must be ${what}, got ${shown(value)}`)
}

/** `true` for an object that is not `null` and not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The keys an option object may have, from a table typed against its interface, so that a key
 * added to the interface and forgotten here is a compile error:
 * `keysOf({ a: true, b: true } satisfies Record<keyof Options, true>)`.
 */
export function keysOf<K extends string>(table: Readonly<Record<K, true>>): readonly K[] {
  return Object.freeze(Object.keys(table) as K[])
}

/**
 * Throws for the first own key of `obj` not in `keys`: `<prefix>.<key> is not a known option
 * (known: …)` (`<key> is not a known option` when `prefix` is empty). Inherited names
 * (`constructor`, `toString`) are unknown like any other.
 */
export function knownKeys(obj: object, keys: readonly string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!keys.includes(key)) fail(`${prefix ? `${prefix}.` : ''}${key} is not a known option (known: ${keys.join(', ')})`)
  }
}

/**
 * Throws for an option that was renamed, with the new name and unit, `note` (where it lives now,
 * say) and, for a number, the value in the new unit:
 * `retry was renamed retryMs (milliseconds): use retryMs: 60000`.
 */
export function renamed(name: string, value: unknown, newKey: string, toNew: (old: number) => number = (v) => v, note = ''): never {
  const unit = newKey.endsWith('Ms') ? ' (milliseconds)' : ''
  const hint = typeof value === 'number' && Number.isFinite(value) ? `: use ${newKey}: ${toNew(value)}` : ''
  fail(`${name} was renamed ${newKey}${unit}${note}${hint}`)
}

/** Bounds and default of a number option. */
export interface NumberRule {
  readonly min: number
  readonly max: number
  /** Used when the value is `undefined`; without one, `undefined` is refused. */
  readonly default?: number
}

/**
 * An integer from `min` to `max`: `<name> must be an integer from <min> to <max>, got <json>`.
 *
 * @example
 * ```ts
 * int('members[0].weight', raw.weight, { min: 1, max: 100, default: 1 })
 * ```
 */
export function int(name: string, value: unknown, rule: NumberRule): number {
  if (value === undefined && rule.default !== undefined) return rule.default
  if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > rule.max) {
    mustBe(name, `an integer from ${rule.min} to ${rule.max}`, value)
  }
  return value
}

/**
 * A duration: a whole number of milliseconds from `min` to `max` (at most {@link MAX_TIMER_MS}
 * when `max` is left out), or `Infinity` when `infinity` is set:
 * `<name> must be an integer number of milliseconds from <min> to <max>, got <json>`.
 */
export function ms(name: string, value: unknown, rule: Partial<NumberRule> & { readonly min: number; readonly infinity?: boolean }): number {
  if (value === undefined && rule.default !== undefined) return rule.default
  if (rule.infinity && value === Infinity) return value
  const max = rule.max ?? MAX_TIMER_MS
  if (typeof value !== 'number' || !Number.isInteger(value) || value < rule.min || value > max) {
    mustBe(name, `an integer number of milliseconds from ${rule.min} to ${max}${rule.infinity ? ' or Infinity' : ''}`, value)
  }
  return value
}

/** A share from 0 to 1: `<name> must be a share from 0 to 1, got <json>`. */
export function share(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) mustBe(name, 'a share from 0 to 1', value)
  return value
}

/** `true` or `false`: `<name> must be true or false, got <json>`. */
export function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') mustBe(name, 'true or false', value)
  return value
}

/**
 * One of a few values: `<name> must be 'a', 'b' or 'c', got <json>`.
 *
 * @example
 * ```ts
 * oneOf('http.transport', http.transport, ['http-proxy-3', 'node', 'undici'], 'http-proxy-3')
 * ```
 */
export function oneOf<const T>(name: string, value: unknown, choices: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback
  if (!choices.includes(value as T)) mustBe(name, listed(choices), value)
  return value as T
}

function listed(choices: readonly unknown[]): string {
  const shownChoices = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c)))
  return shownChoices.length === 1 ? shownChoices.join('') : `${shownChoices.slice(0, -1).join(', ')} or ${shownChoices.at(-1)}`
}

/** A function: `<name> must be a function <signature>, got <type>`. */
export function fn<F extends (...args: never[]) => unknown>(name: string, value: unknown, signature: string): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') mustBe(name, `a function ${signature}`, value)
  return value as F
}

/**
 * An absolute path: a string that starts with `/` and holds no white space or control
 * character: `<name> must be a path starting with "/", got <json>`. Callers add their own rules
 * (no query, normalised …).
 */
export function path(name: string, value: unknown, fallback?: string): string {
  if (value === undefined && fallback !== undefined) return fallback
  if (typeof value !== 'string' || !value.startsWith('/') || /[\s\0-\x1f\x7f]/.test(value)) mustBe(name, 'a path starting with "/"', value)
  return value
}

/** RFC 9110 `token` characters (header names, cookie names, parameter names). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** An RFC 9110 token: `<name> must be <what>, got <json>`. */
export function token(name: string, value: unknown, what = 'a token (letters, digits and !#$%&\'*+-.^_`|~)'): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) mustBe(name, what, value)
  return value
}
