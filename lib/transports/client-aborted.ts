/**
 * The client went away before its response was complete. Not the member's fault: it is neither
 * counted as a member error nor retried.
 *
 * @module
 */
import { LbError } from '../errors.js'

/**
 * The client went away before its response was complete (status 499 in logs, never sent).
 *
 * @example
 * ```ts
 * balancer.on('exchange', (e) => {
 *   if (e.error === 'LB_ERR_CLIENT_ABORTED') return   // the user closed the tab: not the member's fault
 *   latency.observe({ member: e.member.id }, e.durationMs)
 * })
 * ```
 */
export class ClientAbortedError extends LbError {
  constructor() {
    super('LB_ERR_CLIENT_ABORTED', 'the client closed the connection before the response was complete', 499)
    this.name = 'ClientAbortedError'
  }
}
