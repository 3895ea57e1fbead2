/**
 * Logging without a logger dependency. The balancer logs each line as a context object and a
 * message, at four levels; `logger` may be a pino (or bunyan) logger, which takes them in that
 * order, a winston logger or `console`, which take the message first (recognised and adapted by
 * `toLogger`), or any object with the four methods. Without one, warnings and errors go to
 * stderr and debug and info lines to `NODE_DEBUG=sticky-balancer`.
 *
 * @module
 */
import { Console } from 'node:console'
import { debuglog } from 'node:util'
import { fail } from './validate.js'

/**
 * The four levels the balancer logs at, each called with a context object first
 * (`{ member, code, … }`), then a message, as pino takes them. pino and bunyan loggers are this
 * shape; winston loggers and `console` are adapted (see the `logger` option).
 *
 * @example
 * ```ts
 * import pino from 'pino'
 *
 * const balancer = createBalancer({ members, logger: pino({ name: 'balancer' }) })
 * // or: logger: winston.createLogger(…), logger: console, or logger: false for nothing
 * ```
 */
export interface Logger {
  /** Routine detail: sessions rerouted, probe results, client aborts, refused requests. */
  debug(obj: object, msg?: string): void
  /** Changes: members added, updated or removed, and every admin action. */
  info(obj: object, msg?: string): void
  /** Member failures, requests no member could take, refused admin access, failed hooks. */
  warn(obj: object, msg?: string): void
  /** Faults of the balancer itself (an admin request or `authorize` hook that failed). */
  error(obj: object, msg?: string): void
}

/**
 * A winston logger, as the balancer recognises it: a `log(level, message, meta)` method and a
 * `transports` property (every `winston.createLogger()` logger and its children). Lines go to
 * `log('debug' | 'info' | 'warn' | 'error', message, obj)`: winston's default `npm` levels.
 *
 * @example
 * ```ts
 * import winston from 'winston'
 *
 * const logger: WinstonLikeLogger = winston.createLogger({ transports: [new winston.transports.Console()] })
 * createBalancer({ members, logger })   // logger.log('warn', 'member exchange failed', { member: 'TomcatA', … })
 * ```
 */
export interface WinstonLikeLogger {
  /** Logs `message` at `level` with `meta` merged into winston's info object. */
  log(level: string, message: string, meta: object): unknown
  readonly transports: unknown
}

/**
 * What the `logger` option takes: a {@link Logger} (pino, bunyan), a {@link WinstonLikeLogger},
 * or `console` (any `console.Console`).
 *
 * @example
 * ```ts
 * const logger: LoggerOption = process.env.NODE_ENV === 'production' ? pino() : console
 * ```
 */
export type LoggerOption = Logger | WinstonLikeLogger | Console

const debug = debuglog('sticky-balancer')

function line(obj: object, msg?: string): string {
  return `sticky-balancer: ${msg ?? ''} ${JSON.stringify(obj)}`
}

/** The logger used when the user passes none: warnings and errors on stderr, the rest with `NODE_DEBUG=sticky-balancer`. */
export const defaultLogger: Logger = {
  debug: (obj, msg) => debug('%s', line(obj, msg)),
  info: (obj, msg) => debug('%s', line(obj, msg)),
  warn: (obj, msg) => console.warn(line(obj, msg)),
  error: (obj, msg) => console.error(line(obj, msg)),
}

const noop = (): void => {}

/** The logger that drops everything (`logger: false`). */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

const LEVELS = ['debug', 'info', 'warn', 'error'] as const

/** Whether `value` is a winston logger (see {@link WinstonLikeLogger}). */
function isWinston(value: object): value is WinstonLikeLogger {
  return typeof (value as { log?: unknown }).log === 'function' && 'transports' in value
}

/**
 * A console's lines: `console.warn('sticky-balancer: member exchange failed', { member, … })`,
 * the message first, the context as Node's console prints objects.
 */
function consoleLogger(target: Console): Logger {
  return {
    debug: (obj, msg) => target.debug(`sticky-balancer: ${msg ?? ''}`, obj),
    info: (obj, msg) => target.info(`sticky-balancer: ${msg ?? ''}`, obj),
    warn: (obj, msg) => target.warn(`sticky-balancer: ${msg ?? ''}`, obj),
    error: (obj, msg) => target.error(`sticky-balancer: ${msg ?? ''}`, obj),
  }
}

/** A winston logger's lines: `log(level, message, meta)`, the context as winston's metadata. */
function winstonLogger(target: WinstonLikeLogger): Logger {
  return {
    debug: (obj, msg) => void target.log('debug', msg ?? '', obj),
    info: (obj, msg) => void target.log('info', msg ?? '', obj),
    warn: (obj, msg) => void target.log('warn', msg ?? '', obj),
    error: (obj, msg) => void target.log('error', msg ?? '', obj),
  }
}

/**
 * The {@link Logger} the balancer calls for a `logger` option, recognised in this order:
 * 1. a `console.Console` (the global `console` included): called message first, context second;
 * 2. a winston logger ({@link WinstonLikeLogger}): `log(level, message, obj)`;
 * 3. anything else with `debug`, `info`, `warn` and `error` methods (pino, bunyan): used as it is,
 *    `(obj, msg)`.
 * Throws `InvalidOptionError` naming `name` for anything else.
 *
 * @example
 * ```ts
 * toLogger(console).warn({ member: 'TomcatA' }, 'member exchange failed')
 * // console.warn('sticky-balancer: member exchange failed', { member: 'TomcatA' })
 * toLogger(winstonLogger).warn({ member: 'TomcatA' }, 'member exchange failed')
 * // winstonLogger.log('warn', 'member exchange failed', { member: 'TomcatA' })
 * ```
 */
export function toLogger(value: unknown, name = 'logger'): Logger {
  if (typeof value !== 'object' || value === null) fail(`${name} must have a debug() method, or be false (a pino or bunyan logger, a winston logger or console)`)
  if (value instanceof Console) return consoleLogger(value)
  if (isWinston(value)) return winstonLogger(value)
  for (const level of LEVELS) {
    if (typeof (value as Record<string, unknown>)[level] !== 'function') fail(`${name} must have a ${level}() method, or be false (a pino or bunyan logger, a winston logger or console)`)
  }
  return value as Logger
}
