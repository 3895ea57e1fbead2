/**
 * Paths the balancer does not forward (`ProxyPass /path !`).
 *
 * An exclusion is matched against the path as the member maps it ({@link RequestTarget.mapped}:
 * path parameters removed, `%xx` decoded, dot segments resolved, runs of `/` merged, built by
 * `request-target.ts`, the one normaliser), never against the raw text: `/%6Danager/html`,
 * `/manager;x`, `/x/../manager`, `/x/..;/manager` and `//manager` are all `/manager` to Tomcat,
 * so they are all excluded with it, as httpd matches `ProxyPass … !` against its decoded,
 * normalised path. A path that cannot be normalised (`%2f`, `..` above the mount) is refused with
 * 400 before exclusions are looked at.
 *
 * @module
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- named by the {@link}s in the doc comments
import type { RequestTarget } from './request-target.js'

function matches(path: string, entry: string | RegExp): boolean {
  if (typeof entry === 'string') {
    return path === entry || (path.startsWith(entry) && (entry.endsWith('/') || path.charAt(entry.length) === '/'))
  }
  entry.lastIndex = 0 // a /g or /y expression keeps state between test() calls
  return entry.test(path)
}

/**
 * Whether `mapped` (a {@link RequestTarget.mapped} path, relative to the mount path) is excluded:
 * a string entry excludes itself and everything below it, a RegExp is tested against the path.
 */
export function isExcluded(mapped: string, exclude: readonly (string | RegExp)[]): boolean {
  for (let i = 0; i < exclude.length; i++) if (matches(mapped, exclude[i] as string | RegExp)) return true
  return false
}
