/**
 * What the balancer checks after an `onRequest` or `onResponse` hook changed a message's headers,
 * before anything is sent: the hook is configuration code, but it may copy client text, and what
 * it leaves must not break the message's framing or inject a header.
 *
 * Pure; runs only when a hook is configured.
 *
 * @module
 */

/** A header name as the balancer keeps them: a lower-case token (RFC 9110 §5.1). */
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/

/** A field value Node, undici and the AJP encoder all send as it is: no CR, LF, NUL or other control character but HTAB. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/

/** `host[:port]`: a registered name or IPv4 address, or a bracketed IPv6 literal, then an optional port. */
const HOST = /^(?:[A-Za-z0-9\-._~!$&'()*+;=%]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * Request headers that are the balancer's: the body's framing (written from what the client
 * sent), the connection's own headers (hop-by-hop) and `Expect` (answered by Node). A hook that
 * sets, changes or removes one of them is refused.
 */
export const REQUEST_RESERVED: readonly string[] = Object.freeze([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect',
])

/** Response headers that are the balancer's: the body's framing and the connection's own headers. */
export const RESPONSE_RESERVED: readonly string[] = Object.freeze([
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade',
])

type HeaderValue = string | readonly string[] | undefined

/** The values of `names` in `headers` (arrays copied), to compare after the hook ran. */
export function reservedValues(headers: Readonly<Record<string, HeaderValue>>, names: readonly string[]): HeaderValue[] {
  const out: HeaderValue[] = []
  for (let i = 0; i < names.length; i++) {
    const value = headers[names[i] as string]
    out.push(Array.isArray(value) ? value.slice() : value)
  }
  return out
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Why the headers a hook left cannot be sent, or undefined when they can. `before` holds the
 * values of `reserved` taken before the hook ran ({@link reservedValues}). The reasons are fixed
 * texts (a reserved name at most): never a name or value the hook set, which may be client text.
 *
 * @example
 * ```ts
 * const before = reservedValues(headers, REQUEST_RESERVED)
 * headers.authorization = 'Bearer abc'
 * headerProblem(headers, REQUEST_RESERVED, before)    // undefined
 * headers['x-a'] = 'a\r\nx-injected: 1'
 * headerProblem(headers, REQUEST_RESERVED, before)    // 'set a header value with CR, LF, NUL or another control character'
 * ```
 */
export function headerProblem(headers: Readonly<Record<string, unknown>>, reserved: readonly string[], before: readonly HeaderValue[]): string | undefined {
  for (const name in headers) {
    if (!NAME.test(name)) return 'set a header name that is not a lower-case token (use setHeader(), or lower-case names)'
    const value = headers[name]
    if (typeof value === 'string') {
      if (!VALUE.test(value)) return 'set a header value with CR, LF, NUL or another control character'
    } else if (Array.isArray(value) && value.length > 0) {
      for (const one of value) {
        if (typeof one !== 'string') return 'set a header value that is not a string or an array of strings'
        if (!VALUE.test(one)) return 'set a header value with CR, LF, NUL or another control character'
      }
    } else {
      return 'set a header value that is not a string or a non-empty array of strings'
    }
  }
  for (let i = 0; i < reserved.length; i++) {
    const name = reserved[i] as string
    if (!sameValue(headers[name], before[i])) return `changed ${name}, which the balancer sets`
  }
  return undefined
}

/**
 * Why the `Host` a request hook left cannot be sent (it may change it, not remove it or send two),
 * or undefined.
 *
 * @example
 * ```ts
 * hostProblem('app.example.com')     // undefined
 * hostProblem('[::1]:8080')          // undefined
 * hostProblem(undefined)             // 'removed host'
 * hostProblem('a.example b')         // 'set a host that is not host[:port]'
 * ```
 */
export function hostProblem(value: unknown): string | undefined {
  if (value === undefined) return 'removed host'
  if (typeof value !== 'string' || !HOST.test(value)) return 'set a host that is not host[:port]'
  return undefined
}
