/**
 * The audit record of an admin request: who sent it (address, `X-Forwarded-For`), through which
 * listener and `Host`, and what it changed or why it was refused. The admin handler reports it as
 * the balancer's `audit` event (the CLI writes it in the access log).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { AuditRecord } from '../access-log/audit-record.js'

/** `address:port`, with an IPv6 address in brackets. */
function hostPort(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '-'
  return `${address.includes(':') ? `[${address}]` : address}:${port ?? '-'}`
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The audit record of `req`.
 *
 * @example
 * ```ts
 * balancer.emit('audit', auditRecordOf(req, 'change', { via: 'json', action: 'member TomcatA: state draining' }))
 * ```
 */
export function auditRecordOf(
  req: IncomingMessage, outcome: AuditRecord['outcome'],
  details: { via?: string | undefined; action?: string | undefined; status?: number | undefined; reason?: string | undefined },
): AuditRecord {
  const socket = req.socket
  const originalUrl = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl
  return {
    time: Date.now(),
    outcome,
    client: socket?.remoteAddress ?? '-',
    forwardedFor: first(req.headers['x-forwarded-for']),
    listener: hostPort(socket?.localAddress, socket?.localPort),
    host: req.headers.host,
    method: req.method ?? 'GET',
    url: typeof originalUrl === 'string' ? originalUrl : req.url ?? '/',
    via: details.via,
    action: details.action,
    status: details.status,
    reason: details.reason,
  }
}
