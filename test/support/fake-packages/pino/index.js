// Stand-in for pino (not a dependency of this package): pino's calling convention, (obj, msg),
// its level numbers and filtering, and its output, one JSON line per call on stdout with the
// message under `msg`.
const VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

export default function pino(options = {}) {
  const threshold = VALUES[options.level ?? 'info']
  const logger = { levels: { values: VALUES, labels: {} }, level: options.level ?? 'info', child: () => logger }
  for (const [name, value] of Object.entries(VALUES)) {
    logger[name] = (obj, msg) => {
      if (value < threshold) return
      const line = typeof obj === 'string' ? { msg: obj } : { ...obj, ...(msg === undefined ? {} : { msg }) }
      process.stdout.write(`${JSON.stringify({ level: value, time: Date.now(), pid: process.pid, ...line })}\n`)
    }
  }
  return logger
}
