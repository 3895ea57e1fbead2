/**
 * Loggers shaped like the real ones, for tests (neither pino nor winston is a dependency).
 *
 * - {@link fakeWinston}: winston 3's `Logger` as its source defines it: level methods that hand a
 *   single argument on as the message (or as the info object when it is a plain object with a
 *   `message`), and otherwise call `log(level, msg, ...splat)`; `log` builds the info object
 *   exactly as winston does (a metadata object merged in when the message has no `%` tokens, the
 *   message otherwise kept as it is, whatever it is); a `transports` property.
 * - {@link fakePino}: pino's calling convention, `(obj, msg)`, and its output line (`msg` key).
 *
 * @module
 */

/** One info object winston would hand to its transports. */
export interface WinstonInfo {
  level: string
  message: unknown
  [key: string]: unknown
  [SPLAT]?: unknown[]
}

/** triple-beam's SPLAT: winston keeps extra arguments under it, where formats other than splat() never look. */
export const SPLAT = Symbol.for('splat')

const FORMAT_TOKENS = /%[scdjifoO%]/g

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

export class FakeWinston {
  readonly written: WinstonInfo[] = []
  readonly levels: Record<string, number> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 }
  readonly defaultMeta: Record<string, unknown> | null = null

  get transports(): unknown[] {
    return [{ name: 'memory' }]
  }

  add(): this {
    return this
  }

  write(info: WinstonInfo): void {
    this.written.push(info)
  }

  log(level: unknown, msg?: unknown, ...splat: unknown[]): this {
    if (arguments.length === 1) {
      this.write(level as WinstonInfo)
      return this
    }
    if (arguments.length === 2) {
      if (msg && typeof msg === 'object') {
        ;(msg as WinstonInfo).level = level as string
        this.write(msg as WinstonInfo)
        return this
      }
      this.write({ level: level as string, message: msg })
      return this
    }
    const [meta] = splat
    if (typeof meta === 'object' && meta !== null) {
      const tokens = typeof msg === 'string' ? msg.match(FORMAT_TOKENS) : null
      if (!tokens) {
        const info: WinstonInfo = { ...this.defaultMeta, ...(meta as Record<string, unknown>), level: level as string, message: msg }
        if ((meta as { message?: unknown }).message) info.message = `${String(info.message)} ${String((meta as { message?: unknown }).message)}`
        this.write(info)
        return this
      }
    }
    this.write({ ...this.defaultMeta, level: level as string, message: msg, [SPLAT]: splat })
    return this
  }

  // The npm levels' methods, as winston's create-logger defines them.
  debug(...args: unknown[]): this {
    return this.#level('debug', args)
  }

  info(...args: unknown[]): this {
    return this.#level('info', args)
  }

  warn(...args: unknown[]): this {
    return this.#level('warn', args)
  }

  error(...args: unknown[]): this {
    return this.#level('error', args)
  }

  #level(level: string, args: unknown[]): this {
    if (args.length === 1) {
      const [msg] = args
      const info: WinstonInfo = isPlainObject(msg) && msg.message != null ? (msg as WinstonInfo) : { level, message: msg }
      info.level = level
      this.write(info)
      return this
    }
    return this.log(level, ...args)
  }
}

export function fakeWinston(): FakeWinston {
  return new FakeWinston()
}

/** A pino-shaped logger: `(obj, msg)`; `lines` holds what pino would print, as objects. */
export function fakePino(): {
  debug(o: object, m?: string): void
  info(o: object, m?: string): void
  warn(o: object, m?: string): void
  error(o: object, m?: string): void
  child(): unknown
  levels: unknown
  lines: Record<string, unknown>[]
} {
  const lines: Record<string, unknown>[] = []
  const values: Record<string, number> = { debug: 20, info: 30, warn: 40, error: 50 }
  const at = (level: string) => (obj: object, msg?: string): void => {
    lines.push({ level: values[level], ...obj, ...(msg === undefined ? {} : { msg }) })
  }
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), lines, levels: { values, labels: {} }, child: () => logger }
  return logger
}
