/**
 * systemd's file formats, read as systemd reads them, so that a test can run a unit file's
 * commands as systemd would: the unit (`[Section]`, `Key=value`, `\` continuations), its command
 * lines (`ExecStart=`: words, quotes, `$VAR` / `${VAR}`), and an `EnvironmentFile=`.
 * See systemd.syntax(7), systemd.service(5) "COMMAND LINES" and systemd.exec(5).
 */

/** A parsed unit file: every assignment, in order, per section. */
export interface UnitFile {
  /** The last value of `key` in `section` (systemd: a later assignment wins), or undefined. */
  get(section: string, key: string): string | undefined
  /** Every value of `key` in `section`, in order (an empty assignment resets the list, as systemd does). */
  all(section: string, key: string): string[]
}

/** Parses a unit file: comments (`#`, `;`), `[Section]` headers, `Key=value`, lines continued with `\`. */
export function parseUnitFile(text: string): UnitFile {
  const entries = new Map<string, [string, string][]>()
  let section = ''
  let pending = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('#') || line.startsWith(';') || (!pending && line === '')) continue
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trimEnd()} `
      continue
    }
    const full = (pending + line).trim()
    pending = ''
    const header = /^\[([^\]]+)\]$/.exec(full)
    if (header) {
      section = header[1]!
      continue
    }
    const eq = full.indexOf('=')
    if (eq < 0) throw new Error(`not a Key=value line in [${section}]: ${full}`)
    const list = entries.get(section) ?? []
    list.push([full.slice(0, eq).trim(), full.slice(eq + 1).trim()])
    entries.set(section, list)
  }
  const all = (s: string, key: string): string[] => {
    const values: string[] = []
    for (const [k, v] of entries.get(s) ?? []) {
      if (k !== key) continue
      if (v === '') values.length = 0
      else values.push(v)
    }
    return values
  }
  return { all, get: (s, key) => (entries.get(s) ?? []).filter(([k]) => k === key).at(-1)?.[1] }
}

/**
 * Splits an `ExecStart=`-style command line into words, as systemd does: whitespace separates,
 * `"…"` and `'…'` quote, `\` escapes, `$NAME` and `${NAME}` are replaced from `env` (`$NAME` alone as
 * a word may give several words; here it gives one). The prefixes `-@:+!` before the path are refused:
 * the tests run plain commands only.
 */
export function splitCommandLine(line: string, env: Readonly<Record<string, string>> = {}): string[] {
  if (/^[-@:+!]/.test(line)) throw new Error(`command line prefixes are not supported here: ${line}`)
  const words: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i]!
      else if (c === '$' && quote === '"') {
        const [value, next] = variableAt(line, i, env)
        word += value
        i = next - 1
      } else word += c
      continue
    }
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
      continue
    }
    word ??= ''
    if (c === '"' || c === "'") quote = c
    else if (c === '\\' && i + 1 < line.length) word += line[++i]!
    else if (c === '$') {
      const [value, next] = variableAt(line, i, env)
      word += value
      i = next - 1
    } else word += c
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`)
  if (word !== undefined) words.push(word)
  return words
}

/** `$NAME` or `${NAME}` at `at`: its value (empty when unset, as systemd) and the index after it; `$$` is `$`. */
function variableAt(line: string, at: number, env: Readonly<Record<string, string>>): [string, number] {
  if (line[at + 1] === '$') return ['$', at + 2]
  const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(at))
  if (!m) return ['$', at + 1]
  return [env[m[1] ?? m[2]!] ?? '', at + m[0].length]
}

/**
 * Parses an `EnvironmentFile=`: `NAME=value` lines, `#` and `;` comments, values in `"…"` or `'…'`
 * quotes (with `\` escapes inside double quotes), `\` at the end of a line continuing it.
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of text.replace(/\\\n/g, '').split('\n')) {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(trimmed)
    if (!m) throw new Error(`not a NAME=value line: ${trimmed}`)
    let value = m[2]!
    if (/^"(.*)"$/.test(value)) value = value.slice(1, -1).replace(/\\(.)/g, '$1')
    else if (/^'(.*)'$/.test(value)) value = value.slice(1, -1)
    env[m[1]!] = value
  }
  return env
}
