/**
 * Shared helpers of the config importers (internal).
 *
 * @internal
 * @module
 */

/** Collects warnings that name the file line they are about. */
export class Warnings {
  readonly list: string[] = []
  readonly #file: string
  constructor(file: string) {
    this.#file = file
  }

  /** Adds `<file>:<line>: <message>`; line 0 (the whole file) is written without a line number. */
  add(line: number, message: string): void {
    this.list.push(line > 0 ? `${this.#file}:${line}: ${message}` : `${this.#file}: ${message}`)
  }
}

/** `true`/`false` as mod_jk, httpd and nginx spell them, or `undefined` when it is neither. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase()
  if (['true', '1', 'on', 'yes', 't', 'y'].includes(v)) return true
  if (['false', '0', 'off', 'no', 'f', 'n'].includes(v)) return false
  return undefined
}

/** A non-negative integer, or `undefined`. */
export function parseInteger(value: string): number | undefined {
  return /^\s*\d+\s*$/.test(value) ? Number(value) : undefined
}

/** Our weight range is 1..100; rounds and clamps, with a warning when the value changes. */
export function toWeight(raw: string, what: string, line: number, warnings: Warnings): number | undefined {
  const n = Number(raw)
  if (!Number.isFinite(n)) {
    warnings.add(line, `${what}=${raw} is not a number: ignored (weight 1)`)
    return undefined
  }
  const w = Math.min(100, Math.max(1, Math.round(n)))
  if (w !== n) warnings.add(line, `${what}=${raw} becomes weight ${w} (weights are integers from 1 to 100)`)
  return w
}

/** A path prefix as a mount: `/app/*` → `/app`, `/` stays `/`. */
export function mountOf(path: string): string {
  let p = path.replace(/\*+$/, '').replace(/\/+$/, '')
  if (p === '') p = '/'
  return p
}

/** Whether `path` is `mount` or below it. */
export function isBelow(path: string, mount: string): boolean {
  if (mount === '/') return path.startsWith('/')
  return path === mount || path.startsWith(`${mount}/`)
}

/** `path` relative to `mount` (which must contain it), starting with `/`. */
export function relativeTo(path: string, mount: string): string {
  if (mount === '/') return path
  const rest = path.slice(mount.length)
  return rest === '' ? '/' : rest
}

/** A name unique among `taken` (`name`, `name-2`, …); adds it to `taken`. */
export function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name
  for (let i = 2; taken.has(candidate); i++) candidate = `${name}-${i}`
  taken.add(candidate)
  return candidate
}

/** A route accepted by our options (letters, digits, `-_.~:`), or `undefined`. */
export function asRoute(value: string): string | undefined {
  return /^[A-Za-z0-9_\-.~:]+$/.test(value) ? value : undefined
}
