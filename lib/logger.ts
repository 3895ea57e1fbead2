/**
 * Logging without a logger dependency: any pino-compatible object works; by default warnings and
 * errors go to stderr and debug lines to `NODE_DEBUG=sticky-balancer`.
 *
 * @module
 */
import { debuglog } from 'node:util'

/**
 * The four levels we log at; pino, bunyan, winston and `console` all fit. Each line is a context
 * object first (`{ member, code, … }`), then a message, as pino takes them.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 *
 * const balancer = createBalancer({ members, logger: pino({ name: 'balancer' }) })
 * // or: logger: console, or logger: false for nothing
 * ```
 */
export interface Logger {
  /** Routine detail: sessions rerouted, probe results, client aborts, refused requests. */
  debug(obj: object, msg?: string): void
  /** Changes: members added, updated or removed, and every admin action. */
  info(obj: object, msg?: string): void
  /** Member failures, requests no member could take, refused admin access. */
  warn(obj: object, msg?: string): void
  /** Faults of the balancer itself (an admin request or `authorize` hook that failed). */
  error(obj: object, msg?: string): void
}

const debug = debuglog('sticky-balancer')

function line(obj: object, msg?: string): string {
  return `sticky-balancer: ${msg ?? ''} ${JSON.stringify(obj)}`
}

/** The logger used when the user passes none. */
export const defaultLogger: Logger = {
  debug: (obj, msg) => debug('%s', line(obj, msg)),
  info: (obj, msg) => debug('%s', line(obj, msg)),
  warn: (obj, msg) => console.warn(line(obj, msg)),
  error: (obj, msg) => console.error(line(obj, msg)),
}

const noop = (): void => {}

/** The logger that drops everything (`logger: false`). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }
