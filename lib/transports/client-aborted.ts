/**
 * The client went away before its response was complete. The class lives in `lib/errors.ts` with
 * every other error; this module keeps the transports' import path.
 *
 * @module
 */
export { ClientAbortedError } from '../errors.js'
