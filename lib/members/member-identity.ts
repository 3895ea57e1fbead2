/**
 * Who a member is: its id and the route it carries, from its URL and configured route. One
 * function, so that the balancer and whoever compares configurations (a reload, a state file)
 * name members alike.
 *
 * @module
 */
import type { ResolvedStickyOptions } from '../session/sticky-options.js'
import { opaqueRoute } from '../session/balancer-cookie.js'

/** A member's id and route. */
export interface MemberIdentity {
  /** The member's id: its route, or `host:port` of its URL when it has none. */
  readonly id: string
  /** Its route: the configured one; without one, an opaque route when the balancer cookie names members. */
  readonly route: string | undefined
}

/**
 * The id and route of a member with this URL and configured route, in a balancer with this
 * `sticky` option: the route when given; without one, an opaque route derived from the URL when
 * the balancer cookie is on (it names members by route), else none and the id is `host:port`.
 *
 * @example
 * ```ts
 * memberIdentity(new URL('http://127.0.0.1:8081'), 'TomcatA', false)   // { id: 'TomcatA', route: 'TomcatA' }
 * memberIdentity(new URL('http://127.0.0.1:8081'), undefined, false)   // { id: '127.0.0.1:8081', route: undefined }
 * ```
 */
export function memberIdentity(url: URL, route: string | undefined, sticky: ResolvedStickyOptions | false): MemberIdentity {
  const carried = route ?? (sticky !== false && sticky.balancerCookie !== false ? opaqueRoute(url) : undefined)
  return { id: carried ?? url.host, route: carried }
}
