/**
 * Hand-written scanners for a session id carried in the request URL: the `;jsessionid=` path
 * parameter (mod_jk `get_path_param`) and an optional query parameter.
 *
 * Both run in time linear in the URL length and never throw. Values are not percent-decoded
 * (neither Apache module decodes them; Tomcat's ids and routes need no escaping).
 *
 * @module
 */

/** Index of the end of the path in a request target: the first `?` or `#`, or the length. */
export function pathEnd(url: string): number {
  const n = url.length
  for (let i = 0; i < n; i++) {
    const c = url.charCodeAt(i)
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) return i
  }
  return n
}

/**
 * Calls `onValue` with the value of every `;<name>=` path parameter, in order, until it returns
 * `false`. Only the path is searched, never the query. A value ends at `?`, `;`, `/` or `#`; empty
 * values are skipped. The name is matched case-sensitively.
 *
 * @example
 * ```ts
 * const seen: string[] = []
 * forEachPathParam('/shop/cart;jsessionid=8F3A.TomcatA;v=2?x=1', 'jsessionid', (v) => { seen.push(v) })
 * seen // ['8F3A.TomcatA']
 * ```
 */
export function forEachPathParam(url: string, name: string, onValue: (value: string) => boolean | void): void {
  const end = pathEnd(url)
  const m = name.length
  let i = url.indexOf(';')
  while (i >= 0 && i < end) {
    const nameStart = i + 1
    let next = i + 1
    if (nameStart + m < end && url.startsWith(name, nameStart) && url.charCodeAt(nameStart + m) === 0x3d /* = */) {
      const start = nameStart + m + 1
      let j = start
      while (j < end) {
        const c = url.charCodeAt(j)
        if (c === 0x3b /* ; */ || c === 0x2f /* / */) break
        j++
      }
      if (j > start && onValue(url.slice(start, j)) === false) return
      next = j
    }
    i = url.indexOf(';', next)
  }
}

/**
 * Calls `onValue` with the value of every `<name>=` query parameter, in order, until it returns
 * `false`. Parameters are separated by `&`; a value ends at `&` or `#`; empty values are skipped.
 *
 * @example
 * ```ts
 * const seen: string[] = []
 * forEachQueryParam('/shop?a=1&jsessionid=8F3A.TomcatA', 'jsessionid', (v) => { seen.push(v) })
 * seen // ['8F3A.TomcatA']
 * ```
 */
export function forEachQueryParam(url: string, name: string, onValue: (value: string) => boolean | void): void {
  const q = url.indexOf('?')
  if (q < 0) return
  let end = url.indexOf('#', q)
  if (end < 0) end = url.length
  const m = name.length
  let i = q + 1
  while (i < end) {
    let amp = url.indexOf('&', i)
    if (amp < 0 || amp > end) amp = end
    if (amp - i > m && url.startsWith(name, i) && url.charCodeAt(i + m) === 0x3d /* = */) {
      const start = i + m + 1
      if (amp > start && onValue(url.slice(start, amp)) === false) return
    }
    i = amp + 1
  }
}
