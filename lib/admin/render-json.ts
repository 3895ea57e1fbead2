/**
 * The JSON API's body: a snapshot, as is, plus what the page needs to make changes.
 *
 * @module
 */
import type { BalancerSnapshot, MemberSnapshot } from './snapshot.js'

/** What the handler adds next to the snapshot. */
export interface JsonExtras {
  /** A nonce to send back with changes (absent in read-only mode). */
  readonly nonce?: string | undefined
  readonly readOnly: boolean
}

/**
 * Renders the whole snapshot as JSON (`{ ...snapshot, readOnly, nonce? }`).
 *
 * @example
 * ```ts
 * res.end(renderJson(balancerSnapshot(balancer), { readOnly: true }))
 * ```
 */
export function renderJson(snapshot: BalancerSnapshot, extras: JsonExtras): string {
  return JSON.stringify({ ...snapshot, readOnly: extras.readOnly, ...(extras.nonce ? { nonce: extras.nonce } : {}) }, null, 2)
}

/** Renders one member as JSON. */
export function renderMemberJson(member: MemberSnapshot): string {
  return JSON.stringify(member, null, 2)
}
