/**
 * The `pathRewrite` option: http-proxy-middleware's rewrite rules (an object of regular
 * expression → replacement, the first rule that matches wins) or a function, applied to the path
 * below the mount before it is confined, so that a rewritten path is still confined to the mount.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { HookError } from '../errors.js'
import { fail, mustBe } from '../validate.js'
import { isRequestTargetText, normalisedPrefix, requestTarget } from './request-target.js'
import type { PathRefusal, RequestTarget } from './request-target.js'

/**
 * How paths are rewritten: rules (`{ '^/old/': '/new/' }`, regular expressions as strings; the
 * first that matches is applied with `String.prototype.replace`, `$1` and all) or a function of
 * the path and the client's request that returns the new path (`undefined`: unchanged). It must
 * be synchronous.
 *
 * The path it gets is the one below the mount, normalised as Tomcat maps it (dot segments and
 * `//` resolved, each segment in the client's spelling with its `;` parameters), with the query:
 * `/api/users?page=2` for `GET /app/api/users?page=2` under `app.use('/app', …)`; `''` (or
 * `?query`) for the mount itself. What it returns is placed below the upstream prefix and checked
 * as a client's path is: a result that climbs above the mount is answered 400
 * (`LB_ERR_PATH_OUTSIDE_MOUNT`).
 *
 * @example
 * ```ts
 * createBalancer({ members, upstreamPath: '/testapp', pathRewrite: { '^/old/': '/new/' } })
 * createBalancer({ members, pathRewrite: (path) => path.replace(/^\/v1\//, '/') })
 * ```
 */
export type PathRewrite = Readonly<Record<string, string>> | ((path: string, req: IncomingMessage) => string | undefined)

/**
 * A validated `pathRewrite`: one function (`balancer.options.pathRewrite`).
 *
 * @example
 * ```ts
 * const rewrite: PathRewriter | undefined = createBalancer({ members, pathRewrite: { '^/old/': '/new/' } }).options.pathRewrite
 * rewrite?.('/old/x', req)   // '/new/x'
 * ```
 */
export type PathRewriter = (path: string, req: IncomingMessage) => string | undefined

/**
 * Validates `pathRewrite` once: an object whose keys are valid regular expressions and values
 * strings, or a function. Undefined for none (also for an empty object).
 *
 * @example
 * ```ts
 * resolvePathRewrite({ '^/api/': '/' })?.('/api/users', req)   // '/users'
 * resolvePathRewrite({ '(': '/' })                             // throws InvalidOptionError naming pathRewrite
 * ```
 */
export function resolvePathRewrite(value: unknown, name = 'pathRewrite'): PathRewriter | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'function') return value as PathRewriter
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${name} must be an object of { 'regular expression': 'replacement' } or a function (path, req) => path`)
  }
  const rules: { regex: RegExp; replacement: string }[] = []
  for (const [pattern, replacement] of Object.entries(value as Record<string, unknown>)) {
    if (typeof replacement !== 'string') mustBe(`${name}[${JSON.stringify(pattern)}]`, 'a string', replacement)
    let regex: RegExp
    try {
      regex = new RegExp(pattern)
    } catch {
      fail(`${name} key ${JSON.stringify(pattern)} is not a valid regular expression`)
    }
    rules.push({ regex, replacement })
  }
  if (rules.length === 0) return undefined
  return (path) => {
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as { regex: RegExp; replacement: string }
      if (rule.regex.test(path)) return path.replace(rule.regex, rule.replacement)
    }
    return undefined
  }
}

/**
 * Applies `rewrite` to the path of `target` below `prefix` (the mount's upstream prefix) and
 * confines the result to the mount, as a client's path is confined. `target` is returned as it is
 * when the rewrite leaves the path unchanged.
 *
 * @returns the new target (its `mapped` is the client's, for `exclude` and logs), the refusal to
 *   answer 400 with, or a {@link HookError} (502) when the rewrite threw, returned a promise or
 *   something that is not a string, or text that cannot be sent (space, control, non-ASCII, `#`).
 *
 * @example
 * ```ts
 * const target = requestTarget('/testapp', '/old/x?y=1')       // { path: '/testapp/old/x?y=1', … }
 * rewriteTarget(resolvePathRewrite({ '^/old/': '/new/' })!, '/testapp', target, req)
 * // { path: '/testapp/new/x?y=1', mapped: '/old/x' }
 * ```
 */
export function rewriteTarget(rewrite: PathRewriter, prefix: string, target: RequestTarget, req: IncomingMessage): RequestTarget | PathRefusal | HookError {
  const base = normalisedPrefix(prefix)
  if (typeof base !== 'string') return base
  const below = base === '' ? target.path : target.path.slice(base.length)
  let result: unknown
  try {
    result = rewrite(below, req)
  } catch (err) {
    return new HookError('pathRewrite', 'threw', err)
  }
  if (result === undefined || result === below) return target
  if (typeof result !== 'string') {
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      ;(result as Promise<unknown>).then(undefined, () => {})
      return new HookError('pathRewrite', 'returned a promise: it must be synchronous')
    }
    return new HookError('pathRewrite', 'returned something that is not a string')
  }
  if (!isRequestTargetText(result)) return new HookError('pathRewrite', 'returned a path with a space, control, non-ASCII or # character (escape them as %xx)')
  const rewritten = requestTarget(base, result)
  if ('code' in rewritten) return rewritten
  return { path: rewritten.path, mapped: target.mapped }
}
