/**
 * The access log's JSON lines: one object per line, every field always present (`null` when
 * unknown), in a fixed order, so `jq` and log shippers can rely on them. Client-controlled text
 * (url, referer, user agent, host) is escaped as in the text lines first (`\xhh` for each byte
 * outside printable ASCII, see log-escape.ts), then JSON-encoded: the value is exact about the
 * bytes the client sent, even when they are not UTF-8, and no value can break the line.
 *
 * @module
 */
import type { AccessRecord } from './access-record.js'
import type { AuditRecord } from './audit-record.js'
import { escapeLogText } from './log-escape.js'

function text(value: string | undefined): string | null {
  return value === undefined ? null : escapeLogText(value)
}

/** Milliseconds with microsecond resolution. */
function ms(value: number): number {
  return Math.round(Math.max(0, value) * 1000) / 1000
}

/**
 * An access record as one JSON line (no newline): `type` is `"access"`.
 *
 * @example
 * ```ts
 * formatAccessJson(record)
 * // {"type":"access","time":"2026-12-08T00:35:12.000Z","client":"127.0.0.1","method":"GET","url":"/testapp/","protocol":"HTTP/1.1","status":200,"bytes":512,
 * //  "referer":null,"userAgent":"curl/8.5.0","durationMs":4.2,"upstreams":[{"member":"TomcatA","address":"127.0.0.1:8081","status":200,"durationMs":3.1,"reason":"sticky","error":null}],
 * //  "route":"TomcatA","reason":"sticky","sessionRoute":"TomcatA","error":null,"aborted":false}
 * ```
 */
export function formatAccessJson(record: AccessRecord): string {
  return JSON.stringify({
    type: 'access',
    time: new Date(record.time).toISOString(),
    client: record.client,
    method: escapeLogText(record.method),
    url: escapeLogText(record.url),
    protocol: record.protocol,
    status: record.status,
    bytes: record.bytes,
    referer: text(record.referer),
    userAgent: text(record.userAgent),
    durationMs: ms(record.durationMs),
    upstreams: record.upstreams.map((u) => ({
      member: u.member,
      address: u.address,
      status: u.status,
      durationMs: ms(u.durationMs),
      reason: u.reason,
      error: u.error ?? null,
    })),
    route: record.route ?? null,
    reason: record.reason ?? null,
    sessionRoute: text(record.sessionRoute),
    error: record.error ?? null,
    aborted: record.aborted,
  })
}

/**
 * An audit record as one JSON line (no newline): `type` is `"audit"`.
 *
 * @example
 * ```ts
 * formatAuditJson(audit)
 * // {"type":"audit","time":"2026-12-08T00:35:12.000Z","outcome":"change","client":"127.0.0.1","forwardedFor":null,"listener":"127.0.0.1:9090",
 * //  "host":"127.0.0.1:9090","method":"POST","url":"/balancer-manager/api/members/TomcatA","via":"json","action":"member TomcatA: state draining","status":null,"reason":null}
 * ```
 */
export function formatAuditJson(record: AuditRecord): string {
  return JSON.stringify({
    type: 'audit',
    time: new Date(record.time).toISOString(),
    outcome: record.outcome,
    client: record.client,
    forwardedFor: text(record.forwardedFor),
    listener: record.listener,
    host: text(record.host),
    method: escapeLogText(record.method),
    url: escapeLogText(record.url),
    via: record.via ?? null,
    action: text(record.action),
    status: record.status ?? null,
    reason: text(record.reason),
  })
}
