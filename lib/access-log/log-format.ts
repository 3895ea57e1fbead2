/**
 * The access log's formats by name (the CLI's `--access-log-format`), one function for access
 * records and one for audit records.
 *
 * @module
 */
import type { AccessRecord } from './access-record.js'
import type { AuditRecord } from './audit-record.js'
import { formatAccessJson, formatAuditJson } from './json-format.js'
import { formatAuditText, formatCombined, formatCommon } from './text-format.js'

/**
 * An access log format: httpd's `common` or `combined` (each followed by the upstream fields),
 * or `json` (one object per line).
 *
 * @example
 * ```ts
 * const format: AccessLogFormat = 'combined'
 * ```
 */
export type AccessLogFormat = 'common' | 'combined' | 'json'

/**
 * Every {@link AccessLogFormat}, the default first.
 *
 * @example
 * ```ts
 * if (!ACCESS_LOG_FORMATS.includes(value as AccessLogFormat)) throw new Error(`format must be one of ${ACCESS_LOG_FORMATS.join(', ')}`)
 * ```
 */
export const ACCESS_LOG_FORMATS: readonly AccessLogFormat[] = Object.freeze(['combined', 'common', 'json'])

/**
 * One access log line (without its newline).
 *
 * @example
 * ```ts
 * balancer.on('access', (record) => stream.write(`${formatAccessLine(record, 'combined')}\n`))
 * ```
 */
export function formatAccessLine(record: AccessRecord, format: AccessLogFormat): string {
  switch (format) {
    case 'common': return formatCommon(record)
    case 'json': return formatAccessJson(record)
    default: return formatCombined(record)
  }
}

/**
 * One audit line (without its newline), in the family of `format`: a text line for `common` and
 * `combined`, an object with `"type":"audit"` for `json`.
 *
 * @example
 * ```ts
 * balancer.on('audit', (record) => stream.write(`${formatAuditLine(record, 'json')}\n`))
 * ```
 */
export function formatAuditLine(record: AuditRecord, format: AccessLogFormat): string {
  return format === 'json' ? formatAuditJson(record) : formatAuditText(record)
}
