/**
 * The access log's text lines: httpd's Common and Combined Log Formats, exactly as httpd writes
 * them (so every log tool reads them), followed by seven space-separated upstream fields; and the
 * audit line of an admin change. Pure functions of a record; docs/guide/logging.md describes the
 * fields and gives the matching nginx `log_format`, httpd `LogFormat` and GoAccess formats.
 *
 * ```
 * 127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/ HTTP/1.1" 200 512 "-" "curl/8.5.0" 0.004 127.0.0.1:8081 200 0.003 TomcatA sticky -
 * └──────────────────────────── combined (common ends after the size) ────────────────────────┘ └rt─┘ └upstream_addr┘ └us┘ └urt┘ └route┘ └reason┘ └error┘
 * ```
 *
 * @module
 */
import type { AccessRecord } from './access-record.js'
import type { AuditRecord } from './audit-record.js'
import { escapeLogText, logToken } from './log-escape.js'

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/**
 * httpd's `%t`: `[08/Dec/2026:01:35:12 +0100]`, local time with its offset from UTC.
 *
 * @param offsetMinutes - as `Date#getTimezoneOffset` gives it (minutes west of UTC); default: the
 * process's time zone at `ms`.
 *
 * @example
 * ```ts
 * clfTime(Date.UTC(2026, 11, 8, 0, 35, 12), -60)   // '[08/Dec/2026:01:35:12 +0100]'
 * ```
 */
export function clfTime(ms: number, offsetMinutes = new Date(ms).getTimezoneOffset()): string {
  const local = new Date(ms - offsetMinutes * 60_000)
  const east = -offsetMinutes
  const abs = Math.abs(east)
  const zone = `${east < 0 ? '-' : '+'}${two(Math.floor(abs / 60))}${two(abs % 60)}`
  return `[${two(local.getUTCDate())}/${MONTHS[local.getUTCMonth()]}/${local.getUTCFullYear()}:${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())} ${zone}]`
}

/** Seconds with millisecond resolution, as nginx writes `$request_time` (`0.004`). */
export function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3)
}

/** The status field: what was sent, or 499 (nginx's "client closed request") when no head was sent. */
function statusField(status: number): string {
  return status === 0 ? '499' : String(status)
}

/** The first part of every line: `%h %l %u %t`. */
function linePrefix(client: string, time: number, offsetMinutes: number | undefined): string {
  return `${logToken(client)} - - ${clfTime(time, offsetMinutes)}`
}

/** `"%r"`: the request line, escaped. */
function requestLine(method: string, url: string, protocol: string): string {
  return `"${escapeLogText(`${method} ${url} ${protocol}`)}"`
}

/** A quoted header field (`"%{Referer}i"`): escaped, `"-"` when absent. */
function quoted(value: string | undefined): string {
  return value === undefined || value === '' ? '"-"' : `"${escapeLogText(value)}"`
}

/**
 * The seven upstream fields: request time, then the attempts' addresses, statuses and response
 * times (comma-separated in order, as nginx lists attempts but with no space), the route, the
 * sticky reason and the error code; `-` for none.
 */
export function upstreamFields(record: AccessRecord): string {
  const { upstreams } = record
  let addresses = '-'
  let statuses = '-'
  let times = '-'
  if (upstreams.length > 0) {
    addresses = upstreams.map((u) => logToken(u.address)).join(',')
    statuses = upstreams.map((u) => (u.status === 0 ? '-' : String(u.status))).join(',')
    times = upstreams.map((u) => seconds(u.durationMs)).join(',')
  }
  return `${seconds(record.durationMs)} ${addresses} ${statuses} ${times} ${logToken(record.route)} ${logToken(record.reason)} ${logToken(record.error)}`
}

/**
 * httpd's Common Log Format (`%h %l %u %t "%r" %>s %b`) and the upstream fields.
 *
 * @example
 * ```ts
 * formatCommon(record)
 * // 127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/ HTTP/1.1" 200 512 0.004 127.0.0.1:8081 200 0.003 TomcatA sticky -
 * ```
 */
export function formatCommon(record: AccessRecord, offsetMinutes?: number): string {
  return `${commonPart(record, offsetMinutes)} ${upstreamFields(record)}`
}

/**
 * httpd's Combined Log Format (`%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"`) and
 * the upstream fields.
 *
 * @example
 * ```ts
 * formatCombined(record)
 * // 127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] "GET /testapp/ HTTP/1.1" 200 512 "-" "curl/8.5.0" 0.004 127.0.0.1:8081 200 0.003 TomcatA sticky -
 * ```
 */
export function formatCombined(record: AccessRecord, offsetMinutes?: number): string {
  return `${commonPart(record, offsetMinutes)} ${quoted(record.referer)} ${quoted(record.userAgent)} ${upstreamFields(record)}`
}

function commonPart(record: AccessRecord, offsetMinutes: number | undefined): string {
  const size = record.bytes === 0 ? '-' : String(record.bytes)
  return `${linePrefix(record.client, record.time, offsetMinutes)} ${requestLine(record.method, record.url, record.protocol)} ${statusField(record.status)} ${size}`
}

/**
 * The text audit line: it starts as an access line does (`%h %l %u %t`), then the word `audit`
 * where an access line has its quoted request line (so access-log tools skip it, and
 * `grep ' audit '` finds it), then `key=value` fields in a fixed order, `-` for none.
 *
 * @example
 * ```ts
 * formatAuditText(audit)
 * // 127.0.0.1 - - [08/Dec/2026:00:35:12 +0000] audit change listener=127.0.0.1:9090 host="127.0.0.1:9090" xff="-" via=json status=-
 * //   request="POST /balancer-manager/api/members/TomcatA" what="member TomcatA: state draining"   (one line)
 * ```
 */
export function formatAuditText(record: AuditRecord, offsetMinutes?: number): string {
  const what = record.outcome === 'change' ? record.action : record.reason
  const status = record.status === undefined ? '-' : String(record.status)
  const fields = `listener=${logToken(record.listener)} host=${quoted(record.host)} xff=${quoted(record.forwardedFor)} via=${logToken(record.via)} status=${status}`
  return `${linePrefix(record.client, record.time, offsetMinutes)} audit ${record.outcome} ${fields} request="${escapeLogText(`${record.method} ${record.url}`)}" what=${quoted(what)}`
}
