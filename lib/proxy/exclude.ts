/**
 * Paths the balancer does not forward (`ProxyPass /path !`).
 *
 * Tomcat maps a request after decoding `%xx`, dropping `;parameters` and resolving `.`/`..`, so
 * `/%6Danager/html`, `/manager;x` and `/x/../manager` all reach `/manager`. An exclusion is matched
 * against that normalised path as well as the raw one, as httpd matches `ProxyPass … !` against the
 * decoded path; otherwise an excluded application could be reached by spelling its path another way.
 *
 * @module
 */

/**
 * The path as a servlet container maps it: per segment `;params` dropped and `%xx` decoded; `.`/`..`
 * resolved; empty segments removed. A decoded `%2f` separates segments, as in a Tomcat with
 * `encodedSolidusHandling="decode"` (the default rejects it with 400): an exclusion must hold for
 * the most lenient reading, so `/x/..%2fmanager` is `/manager`.
 */
export function normalizePath(path: string): string {
  const out: string[] = []
  const add = (segment: string): void => {
    if (segment === '' || segment === '.') return
    if (segment === '..') out.pop()
    else out.push(segment)
  }
  for (const raw of path.split('/')) {
    const semi = raw.indexOf(';')
    let segment = semi === -1 ? raw : raw.slice(0, semi)
    if (segment.includes('%')) {
      try {
        segment = decodeURIComponent(segment)
      } catch {
        // an invalid escape stays as it is; Tomcat rejects such a request itself
      }
      if (segment.includes('/')) {
        for (const part of segment.split('/')) add(part)
        continue
      }
    }
    add(segment)
  }
  return `/${out.join('/')}`
}

function matches(path: string, entry: string | RegExp): boolean {
  if (typeof entry === 'string') {
    return path === entry || (path.startsWith(entry) && (entry.endsWith('/') || path.charAt(entry.length) === '/'))
  }
  entry.lastIndex = 0 // a /g or /y expression keeps state between test() calls
  return entry.test(path)
}

/** Whether `url` (path and query, relative to the mount path) is excluded. */
export function isExcluded(url: string, exclude: readonly (string | RegExp)[]): boolean {
  if (exclude.length === 0) return false
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const normalized = normalizePath(path)
  for (const entry of exclude) {
    if (matches(path, entry) || (normalized !== path && matches(normalized, entry))) return true
  }
  return false
}
