/**
 * What a request and an upgrade go through before a member is chosen, one function for both: the
 * request guard (methods, request target, framing, header count), the path confined to the mount
 * as Tomcat maps it, and `pathRewrite`, whose result is confined again.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { HookError } from '../errors.js'
import type { LbError } from '../errors.js'
import type { PathRewriter } from './path-rewrite.js'
import { rewriteTarget } from './path-rewrite.js'
import { checkRequest } from './request-guard.js'
import type { RequestGuardOptions } from './request-guard.js'
import { isPathRefusal, pathRefusalError } from './request-target.js'
import type { PathRefusal, RequestTarget } from './request-target.js'

/** The options preflight reads. */
export interface PreflightOptions extends RequestGuardOptions {
  readonly pathRewrite?: PathRewriter | undefined
}

/**
 * The member-bound path of a request (before any `onRequest` hook), or the error to answer with:
 * a refusal of the guard or of the path (400, 405, 431), or the `HookError` of a failed
 * `pathRewrite`.
 *
 * @param rawTarget - the request target as the client sent it (Express `originalUrl`, else `req.url`).
 * @param target - its path below the mount, from `requestTarget`.
 * @param upstreamPrefix - `upstreamPath`, else the mount path: what `pathRewrite` rewrites below.
 */
export function preflight(req: IncomingMessage, rawTarget: string, target: RequestTarget | PathRefusal, upstreamPrefix: string, options: PreflightOptions): string | LbError {
  // TRACE, non-origin-form targets and ambiguous framing are answered here, never forwarded.
  const refusal = checkRequest(req, rawTarget, options)
  if (refusal !== undefined) return refusal
  // A path that climbs above the mount once normalised as Tomcat maps it, or that Tomcat refuses.
  if (isPathRefusal(target)) return pathRefusalError(target)
  const rewrite = options.pathRewrite
  if (rewrite === undefined) return target.path
  // Rewritten below the mount, then confined as the client's path was.
  const rewritten = rewriteTarget(rewrite, upstreamPrefix, target, req)
  if (rewritten instanceof HookError) return rewritten
  return isPathRefusal(rewritten) ? pathRefusalError(rewritten) : rewritten.path
}
