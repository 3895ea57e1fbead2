/**
 * A member response's header object, built straight from the raw name/value list the HTTP parser
 * produced, without Node's lazily built `IncomingMessage#headers` and without a second copy.
 *
 * Duplicates are merged exactly as Node merges them (`_addHeaderLine` in `_http_incoming.js`):
 * `set-cookie` becomes an array, `cookie` is joined with `; `, the fields where only one value
 * makes sense (`content-type`, `content-length`, `location`, …) keep the first, every other field
 * is joined with `, `. Hop-by-hop fields (RFC 9110 §7.6.1, including those the `Connection` header
 * names) are left out: the balancer would remove them anyway, and removing a property later
 * (`delete`) turns the object into a slow dictionary.
 *
 * @module
 */
import type { ResponseHeaders } from '../transport.js'
import { connectionTokens, isHopByHop } from '../../proxy/hop-by-hop.js'

/** Fields of which Node keeps the first value and drops the others. */
const FIRST_WINS = new Set([
  'age', 'host', 'from', 'etag', 'server', 'referer', 'expires', 'location', 'user-agent',
  'retry-after', 'content-type', 'max-forwards', 'authorization', 'last-modified',
  'content-length', 'if-modified-since', 'proxy-authorization', 'if-unmodified-since',
])

const NO_TOKENS: readonly string[] = []

/**
 * The headers of a raw `[name, value, name, value, …]` list (Node's `rawHeaders`, or undici's
 * Buffers, read as latin1 like Node's parser does), with lower-case names and hop-by-hop fields
 * removed.
 *
 * @example
 * ```ts
 * responseHeadersFromRaw(['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Connection', 'keep-alive'])
 * // { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] }
 * ```
 */
export function responseHeadersFromRaw(raw: ArrayLike<string | Buffer>): ResponseHeaders {
  const headers: ResponseHeaders = {}
  let connection: string | undefined
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const rawName = raw[i] as string | Buffer
    const rawValue = raw[i + 1] as string | Buffer
    const name = (typeof rawName === 'string' ? rawName : rawName.toString('latin1')).toLowerCase()
    const value = typeof rawValue === 'string' ? rawValue : rawValue.toString('latin1')
    if (isHopByHop(name, NO_TOKENS)) {
      if (name === 'connection') connection = connection === undefined ? value : `${connection}, ${value}`
      continue
    }
    if (name === 'set-cookie') {
      const prior = headers['set-cookie']
      if (prior !== undefined) (prior as string[]).push(value)
      else headers['set-cookie'] = [value]
    } else if (FIRST_WINS.has(name)) {
      if (headers[name] === undefined) headers[name] = value
    } else {
      const prior = headers[name]
      headers[name] = typeof prior === 'string' ? `${prior}${name === 'cookie' ? '; ' : ', '}${value}` : value
    }
  }
  // Fields the Connection header names are hop-by-hop too (rare: only then is a property removed).
  if (connection !== undefined) {
    for (const token of connectionTokens(connection)) {
      if (headers[token] !== undefined) delete headers[token]
    }
  }
  return headers
}
