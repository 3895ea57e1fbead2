/**
 * How a refused admin request's value appears in the refusal's message: bounded and printable
 * (`clientText`), so a message never carries raw client text into a log line or a terminal.
 *
 * @module
 */
import { clientText } from '../client-text.js'

/**
 * A value the client sent, for a message: a string in double quotes, anything else as JSON, both
 * cut to 64 characters with every character outside printable ASCII (and `"`, `\` inside a
 * string) written as `\xHH`.
 *
 * @example
 * ```ts
 * shownValue('TomcatC')           // '"TomcatC"'
 * shownValue('a\r\nX-Evil: 1')     // '"a\\x0d\\x0aX-Evil: 1"'
 * shownValue(7)                   // '7'
 * ```
 */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return `"${clientText(value)}"`
  return clientText(JSON.stringify(value) ?? String(value))
}
