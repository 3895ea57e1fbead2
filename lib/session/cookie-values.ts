/**
 * A hand-written scanner for the values of one cookie in a `Cookie` header, with mod_jk's rules.
 *
 * - The name must start the header or follow `;`, `,` or whitespace (so `XJSESSIONID=` is not
 *   `JSESSIONID=`, but `a=1,JSESSIONID=b.n1` is); whitespace may stand before the `=`.
 * - The value ends at `;` or `,`; surrounding whitespace is trimmed (mod_jk keeps it, which makes
 *   `JSESSIONID=abc.n1 ;` carry route `"n1 "`), then one pair of surrounding `"` is stripped.
 * - Every cookie of that name counts, in header order (mod_jk); an empty value is skipped.
 *
 * Runs in time linear in the header length: a name compare that reads k characters has matched
 * k non-separator characters, none of which can start another compare. No regular expressions.
 *
 * @module
 */

/** `isspace()` in the C locale, as mod_jk uses it: space, tab, LF, VT, FF, CR. */
export function isCSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d)
}

function sameChar(a: number, b: number, caseSensitive: boolean): boolean {
  if (a === b) return true
  if (caseSensitive) return false
  // ASCII letters only: fold both to lower case.
  const la = a >= 0x41 && a <= 0x5a ? a + 0x20 : a
  const lb = b >= 0x41 && b <= 0x5a ? b + 0x20 : b
  return la === lb
}

/**
 * Finds the next cookie `name` in `header` at or after `from`.
 *
 * @returns the index just after its `=` (where the raw value starts), or -1 when there is none.
 */
export function findCookie(header: string, name: string, caseSensitive: boolean, from: number): number {
  const n = header.length
  const m = name.length
  for (let i = from; i + m < n; i++) {
    if (i > 0) {
      const prev = header.charCodeAt(i - 1)
      if (prev !== 0x3b /* ; */ && prev !== 0x2c /* , */ && !isCSpace(prev)) continue
    }
    let k = 0
    while (k < m && sameChar(header.charCodeAt(i + k), name.charCodeAt(k), caseSensitive)) k++
    if (k < m) continue
    let j = i + m
    while (j < n && isCSpace(header.charCodeAt(j))) j++
    if (j < n && header.charCodeAt(j) === 0x3d /* = */) return j + 1
    // Not this one; the characters up to j hold no boundary, so skip them.
    i = j - 1
  }
  return -1
}

/** Index of the `;` or `,` that ends a raw cookie value starting at `start`, or the header length. */
export function cookieValueEnd(header: string, start: number): number {
  const n = header.length
  let i = start
  while (i < n) {
    const c = header.charCodeAt(i)
    if (c === 0x3b || c === 0x2c) break
    i++
  }
  return i
}

/**
 * The cleaned value of header[start, end): whitespace trimmed, one pair of surrounding `"` removed.
 * May be the empty string.
 */
export function cookieValueAt(header: string, start: number, end: number): string {
  let s = start
  let e = end
  while (s < e && isCSpace(header.charCodeAt(s))) s++
  while (e > s && isCSpace(header.charCodeAt(e - 1))) e--
  if (e - s > 1 && header.charCodeAt(s) === 0x22 && header.charCodeAt(e - 1) === 0x22) {
    s++
    e--
  }
  return s === 0 && e === header.length ? header : header.slice(s, e)
}

/**
 * Calls `onValue` with every non-empty value of cookie `name`, in header order, until it returns
 * `false`. A malformed header never throws; it just yields fewer values.
 *
 * @example
 * ```ts
 * const seen: string[] = []
 * forEachCookieValue('a.n1; JSESSIONID=b.n2, JSESSIONID="c.n3"', 'JSESSIONID', true, (v) => { seen.push(v) })
 * seen // ['b.n2', 'c.n3']
 * ```
 */
export function forEachCookieValue(
  header: string,
  name: string,
  caseSensitive: boolean,
  onValue: (value: string) => boolean | void,
): void {
  let from = 0
  for (;;) {
    const start = findCookie(header, name, caseSensitive, from)
    if (start < 0) return
    const end = cookieValueEnd(header, start)
    const value = cookieValueAt(header, start, end)
    if (value.length > 0 && onValue(value) === false) return
    from = end + 1
  }
}

/**
 * The first non-empty value of cookie `name` in `header`, or `undefined`.
 *
 * @example
 * ```ts
 * firstCookieValue('theme=dark; JSESSIONID=8F3A.TomcatA', 'JSESSIONID', true) // '8F3A.TomcatA'
 * ```
 */
export function firstCookieValue(header: string, name: string, caseSensitive: boolean): string | undefined {
  let from = 0
  for (;;) {
    const start = findCookie(header, name, caseSensitive, from)
    if (start < 0) return undefined
    const end = cookieValueEnd(header, start)
    const value = cookieValueAt(header, start, end)
    if (value.length > 0) return value
    from = end + 1
  }
}
