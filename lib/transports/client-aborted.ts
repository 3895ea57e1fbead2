/**
 * The client went away before its response was complete. Not the member's fault: it is neither
 * counted as a member error nor retried.
 *
 * @module
 */
import { LbError } from '../errors.js'

/**
 * The client went away before its response was complete: what a transport's `forward` rejects
 * with then (`statusCode` 499, as nginx logs it; never sent). The balancer neither counts it
 * against the member nor emits an `exchange` event for it.
 *
 * @example
 * ```ts
 * try {
 *   await transport.forward(exchange)
 * } catch (err) {
 *   if (err instanceof ClientAbortedError) return   // the user closed the tab: not the member's fault
 *   throw toGatewayError(err)
 * }
 * ```
 */
export class ClientAbortedError extends LbError {
  constructor() {
    super('LB_ERR_CLIENT_ABORTED', 'the client closed the connection before the response was complete', 499)
    this.name = 'ClientAbortedError'
  }
}
