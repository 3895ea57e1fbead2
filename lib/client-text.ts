/**
 * Client-controlled text made safe for logs and error properties: bounded, printable ASCII only.
 * Error messages never carry client text (they may reach a client, a log line or a terminal);
 * an error that is clearer with it keeps it, through this function, in a property of its own.
 *
 * @module
 */

/** Longest client text kept, in characters, before the `…` mark. */
export const CLIENT_TEXT_LIMIT = 64

/**
 * `value` with every character outside printable ASCII, and `"` and `\`, written as `\xHH` (or
 * `\u{H…}`), cut to `limit` characters of input with `…` appended when longer.
 *
 * @example
 * ```ts
 * clientText('TomcatA')            // 'TomcatA'
 * clientText('a"b\r\n<c>')         // 'a\\x22b\\x0d\\x0a<c>'
 * clientText('x'.repeat(100))      // 64 × 'x' + '…'
 * ```
 */
export function clientText(value: string, limit = CLIENT_TEXT_LIMIT): string {
  const cut = value.length > limit
  let out = ''
  const n = cut ? limit : value.length
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i)
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += value[i]
    else out += c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u{${c.toString(16)}}`
  }
  return cut ? `${out}…` : out
}

/**
 * At most `max` items of a client-controlled list (session routes from cookies, say) through
 * {@link clientText}, for a log line: a request with hundreds of long routes logs a few short ones.
 *
 * @example
 * ```ts
 * clientTexts(['TomcatA', 'x'.repeat(100), 'b', 'c', 'd'])   // ['TomcatA', 64 × 'x' + '…', 'b', 'c']
 * ```
 */
export function clientTexts(values: readonly string[], max = 4): string[] {
  const out: string[] = []
  for (let i = 0; i < values.length && i < max; i++) out.push(clientText(values[i] as string))
  return out
}
