/**
 * The access log: one {@link AccessRecord} per client request (the balancer's `access` event),
 * one {@link AuditRecord} per admin change or refused admin request (its `audit` event), and the
 * pure functions that write them as httpd's Common and Combined formats (with the upstream fields)
 * or as JSON lines. See docs/guide/logging.md.
 *
 * @module
 */
export type { AccessRecord, UpstreamAttempt } from './access-record.js'
export type { AuditRecord } from './audit-record.js'
export { AccessTrail } from './access-trail.js'
export type { AccessSink } from './access-trail.js'
export { escapeLogText } from './log-escape.js'
export { ACCESS_LOG_FORMATS, formatAccessLine, formatAuditLine } from './log-format.js'
export type { AccessLogFormat } from './log-format.js'
