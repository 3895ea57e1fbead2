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
  const q = url.indexOf('?')
  const h = url.indexOf('#')
  if (q < 0) return h < 0 ? url.length : h
  return h < 0 || q < h ? q : h
}

/**
 * Finds the next `;<name>=` path parameter at or after `from`, before `end` (the end of the path).
 *
 * @returns the index where its value starts, or -1.
 */
export function findPathParam(url: string, name: string, from: number, end: number): number {
  const m = name.length
  let i = url.indexOf(';', from)
  while (i >= 0 && i < end) {
    const nameStart = i + 1
    if (nameStart + m < end && url.startsWith(name, nameStart) && url.charCodeAt(nameStart + m) === 0x3d /* = */) return nameStart + m + 1
    i = url.indexOf(';', nameStart)
  }
  return -1
}

/** Where a path parameter value starting at `start` ends: the first `;` or `/`, or `end`. */
export function pathParamValueEnd(url: string, start: number, end: number): number {
  let j = start
  while (j < end) {
    const c = url.charCodeAt(j)
    if (c === 0x3b /* ; */ || c === 0x2f /* / */) break
    j++
  }
  return j
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
  for (let from = 0; ; ) {
    const start = findPathParam(url, name, from, end)
    if (start < 0) return
    const stop = pathParamValueEnd(url, start, end)
    if (stop > start && onValue(url.slice(start, stop)) === false) return
    from = stop
  }
}

/**
 * Finds the next `<name>=` query parameter. `from` is 0 to start at the query, or the index just
 * after the end of a previous value (so successive calls scan the URL once in total).
 *
 * @returns the index where its value starts, or -1.
 */
export function findQueryParam(url: string, name: string, from: number): number {
  const n = url.length
  let i = from
  if (from === 0) {
    const q = url.indexOf('?')
    if (q < 0) return -1
    i = q + 1
  }
  const m = name.length
  while (i < n) {
    // i is at the start of a parameter
    if (i + m < n && url.startsWith(name, i) && url.charCodeAt(i + m) === 0x3d /* = */) return i + m + 1
    while (i < n) {
      const c = url.charCodeAt(i)
      if (c === 0x23 /* # */) return -1
      i++
      if (c === 0x26 /* & */) break
    }
  }
  return -1
}

/** Where a query parameter value starting at `start` ends: the first `&` or `#`, or the end. */
export function queryValueEnd(url: string, start: number): number {
  let j = start
  const n = url.length
  while (j < n) {
    const c = url.charCodeAt(j)
    if (c === 0x26 /* & */ || c === 0x23 /* # */) break
    j++
  }
  return j
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
  for (let from = 0; ; ) {
    const start = findQueryParam(url, name, from)
    if (start < 0) return
    const stop = queryValueEnd(url, start)
    if (stop > start && onValue(url.slice(start, stop)) === false) return
    if (stop >= url.length || url.charCodeAt(stop) === 0x23 /* # */) return
    from = stop + 1
  }
}
