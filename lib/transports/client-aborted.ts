/**
 * The client went away before its response was complete. Not the member's fault: it is neither
 * counted as a member error nor retried.
 *
 * @module
 */
import { LbError } from '../errors.js'

export class ClientAbortedError extends LbError {
  constructor() {
    super('LB_ERR_CLIENT_ABORTED', 'the client closed the connection before the response was complete', 499)
    this.name = 'ClientAbortedError'
  }
}
