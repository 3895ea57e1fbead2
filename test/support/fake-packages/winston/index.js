// Stand-in for winston 3 (not a dependency of this package): createLogger, format.json() and
// transports.Console, with the Logger's argument handling as winston's source has it. Level
// methods hand one argument on as the message (or as the info object when it is a plain object
// with a `message`); more arguments go to log(level, msg, ...splat), which merges a metadata
// object when the message has no % tokens and otherwise keeps the message as it is (an object
// included: that is how pino-style calls lose their text). The json format prints the info
// object; extra arguments are kept under a symbol it does not print.
const SPLAT = Symbol.for('splat')
const LEVELS = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 }
const TOKENS = /%[scdjifoO%]/g

const isPlainObject = (v) => typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v))

class Console {
  log(info) {
    process.stdout.write(`${JSON.stringify(info)}\n`)
  }
}

class Logger {
  constructor({ level = 'info', transports = [] } = {}) {
    this.level = level
    this.levels = LEVELS
    this._transports = transports
    for (const name of Object.keys(LEVELS)) {
      this[name] = (...args) => {
        if (args.length === 1) {
          const [msg] = args
          const info = isPlainObject(msg) && msg.message != null ? msg : { message: msg }
          info.level = name
          this.write(info)
          return this
        }
        return this.log(name, ...args)
      }
    }
  }

  get transports() {
    return this._transports
  }

  add(transport) {
    this._transports.push(transport)
    return this
  }

  write(info) {
    if (LEVELS[info.level] > LEVELS[this.level]) return
    for (const t of this._transports) t.log(info)
  }

  log(level, msg, ...splat) {
    if (arguments.length === 1) return this.write(level), this
    if (arguments.length === 2) {
      if (msg && typeof msg === 'object') {
        msg.level = level
        return this.write(msg), this
      }
      return this.write({ level, message: msg }), this
    }
    const [meta] = splat
    if (typeof meta === 'object' && meta !== null && !(typeof msg === 'string' && msg.match(TOKENS))) {
      const info = { ...meta, level, message: msg }
      if (meta.message) info.message = `${info.message} ${meta.message}`
      return this.write(info), this
    }
    return this.write({ level, message: msg, [SPLAT]: splat }), this
  }
}

const winston = {
  createLogger: (options) => new Logger(options),
  format: { json: () => ({ transform: (info) => info }) },
  transports: { Console },
}
export default winston
