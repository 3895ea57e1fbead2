/**
 * Paths the balancer does not forward (`ProxyPass /path !`).
 *
 * @module
 */

/** Whether `url` (path and query, relative to the mount path) is excluded. */
export function isExcluded(url: string, exclude: readonly (string | RegExp)[]): boolean {
  if (exclude.length === 0) return false
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  for (const entry of exclude) {
    if (typeof entry === 'string') {
      if (path === entry || (path.startsWith(entry) && (entry.endsWith('/') || path.charAt(entry.length) === '/'))) return true
    } else if (entry.test(path)) {
      return true
    }
  }
  return false
}
