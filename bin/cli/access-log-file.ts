/**
 * The CLI's access log (`--access-log <file|->`, `--access-log-format`): the balancers' `access`
 * and `audit` records, and the requests the CLI refuses itself, written one line each to a file
 * opened in append mode (created 0640) or to stdout; audit lines go to stderr when there is no
 * access log. SIGUSR1 reopens the file (logrotate's `postrotate`, as nginx's USR1 does).
 *
 * Writing never stops the server: a write error, or a log that cannot keep up, is reported once
 * on stderr and its lines are dropped until SIGUSR1 opens the file again.
 *
 * @module
 */
import { closeSync, createWriteStream, openSync } from 'node:fs'
import type { WriteStream } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import { AccessTrail } from '../../lib/access-log/access-trail.js'
import type { AccessRecord } from '../../lib/access-log/access-record.js'
import type { AuditRecord } from '../../lib/access-log/audit-record.js'
import { formatAccessLine, formatAuditLine } from '../../lib/access-log/log-format.js'
import type { AccessLogFormat } from '../../lib/access-log/log-format.js'
import type { Balancer } from '../../lib/balancer.js'
import type { LbErrorCode } from '../../lib/errors.js'

/** Lines waiting to be written beyond this many bytes are dropped (the disk cannot keep up). */
const MAX_PENDING_BYTES = 16 * 1024 * 1024

/** The mode a new access log file is created with (before the umask). */
export const ACCESS_LOG_MODE = 0o640

/**
 * Where the CLI writes access and audit lines.
 *
 * @example
 * ```ts
 * const log = AccessLog.open('/var/log/sticky-balancer/access.log', 'combined')
 * const balancer = log.watch(createBalancer(options))
 * process.on('SIGUSR1', () => log.reopen())
 * ```
 */
export class AccessLog {
  readonly #target: string | undefined
  readonly #format: AccessLogFormat
  #stream: Writable | undefined
  /** Whether the current stream's failure was reported (once per stream). */
  #warned = false
  readonly #writeAccess = (record: AccessRecord): void => this.#write(formatAccessLine(record, this.#format))
  readonly #writeAudit = (record: AuditRecord): void => {
    const line = formatAuditLine(record, this.#format)
    if (this.#target === undefined) process.stderr.write(`${line}\n`)
    else this.#write(line)
  }

  private constructor(target: string | undefined, format: AccessLogFormat, stream: Writable | undefined) {
    this.#target = target
    this.#format = format
    this.#stream = stream
  }

  /**
   * The access log of `--access-log` (`-`: stdout; undefined: none, audit lines on stderr).
   * Throws when the file cannot be opened (the CLI then refuses to start, as nginx does).
   */
  static open(target: string | undefined, format: AccessLogFormat): AccessLog {
    if (target === undefined) return new AccessLog(undefined, format, undefined)
    if (target === '-') {
      const log = new AccessLog(target, format, process.stdout)
      process.stdout.on('error', (err) => log.#failed(err))
      return log
    }
    const log = new AccessLog(target, format, undefined)
    log.#stream = log.#openFile(openSync(target, 'a', ACCESS_LOG_MODE))
    return log
  }

  /** Whether access lines are written (otherwise no balancer is asked for them, and pays nothing). */
  get enabled(): boolean {
    return this.#target !== undefined
  }

  /** Writes `balancer`'s access records (when enabled) and audit records; returns it. */
  watch(balancer: Balancer): Balancer {
    if (this.enabled) balancer.on('access', this.#writeAccess)
    balancer.on('audit', this.#writeAudit)
    return balancer
  }

  /** Logs a request the CLI answers itself (404 not mounted, 400 refused path) with the balancers' fields. */
  refused(req: IncomingMessage, res: ServerResponse, code: LbErrorCode): void {
    if (!this.enabled) return
    const trail = new AccessTrail(req, res, req.url ?? '/', this.#writeAccess)
    trail.error = code
  }

  /**
   * Opens the file again by its name (after logrotate moved it): new lines go to the new file,
   * lines still pending are written to the old one. When it cannot be opened, the old file is kept
   * and the failure reported. Nothing to do for stdout or without an access log.
   */
  reopen(): void {
    const target = this.#target
    if (target === undefined || target === '-') return
    let fd: number
    try {
      fd = openSync(target, 'a', ACCESS_LOG_MODE)
    } catch (err) {
      process.stderr.write(`sticky-balancer: SIGUSR1: cannot reopen the access log ${target}: ${(err as Error).message}; keeping the open one\n`)
      return
    }
    const previous = this.#stream
    this.#stream = this.#openFile(fd)
    this.#warned = false
    previous?.end()
  }

  /** Flushes and closes the file (not stdout). */
  close(): Promise<void> {
    const stream = this.#stream
    if (stream === undefined || stream === process.stdout || stream.destroyed) return Promise.resolve()
    return new Promise((resolve) => stream.end(resolve))
  }

  #openFile(fd: number): WriteStream {
    let stream: WriteStream
    try {
      stream = createWriteStream('', { fd, flags: 'a' })
    } catch (err) {
      closeSync(fd)
      throw err
    }
    stream.on('error', (err) => this.#failed(err, stream))
    return stream
  }

  #write(line: string): void {
    const stream = this.#stream
    if (stream === undefined || stream.destroyed || !stream.writable) return
    if (stream.writableLength > MAX_PENDING_BYTES) {
      this.#warn(`the access log ${this.#target} cannot keep up; lines are dropped until it does`)
      return
    }
    stream.write(`${line}\n`)
  }

  #failed(err: Error, stream?: Writable): void {
    if (stream !== undefined && stream !== this.#stream) return // an old file, already replaced
    this.#warn(`cannot write the access log ${this.#target === '-' ? '(stdout)' : this.#target}: ${err.message}; its lines are dropped${this.#target === '-' ? '' : ' until SIGUSR1 reopens it'}`)
  }

  #warn(message: string): void {
    if (this.#warned) return
    this.#warned = true
    process.stderr.write(`sticky-balancer: ${message}\n`)
  }
}
