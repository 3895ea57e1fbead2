/**
 * `node:diagnostics_channel` channels, for tracing and metrics without a logger dependency
 * (undici and koa do the same). Subscribe with `diagnostics_channel.subscribe(name, fn)`; messages
 * are only built when a channel has subscribers.
 *
 * | channel | message |
 * |---|---|
 * | `sticky-balancer:member:state` | `{ member, admin, health, previousAdmin, previousHealth, reason }` |
 * | `sticky-balancer:request:start` | `{ req, member, reason, attempt }` |
 * | `sticky-balancer:request:end` | `{ req, member, status, durationMs, bytesIn, bytesOut }` |
 * | `sticky-balancer:request:error` | `{ req, member, error, willRetry }` |
 * | `sticky-balancer:ajp:config-error` | `{ member, error }` (Tomcat rejected the AJP `secret`) |
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel'

/**
 * The balancer's channels, exported as `diagnosticsChannels`: subscribe by object or by name.
 *
 * @example
 * ```ts
 * import diagnostics from 'node:diagnostics_channel'
 * import { diagnosticsChannels } from 'sticky-balancer'
 *
 * diagnostics.subscribe(diagnosticsChannels.requestEnd.name, (message) => {
 *   const { member, status, durationMs } = message as { member: { id: string }; status: number; durationMs: number }
 *   histogram.observe({ member: member.id, status }, durationMs / 1000)
 * })
 * diagnostics.subscribe('sticky-balancer:member:state', (change) => console.log(change))
 * if (diagnosticsChannels.requestStart.hasSubscribers) console.log('someone traces requests')
 * ```
 */
export const channels = Object.freeze({
  memberState: diagnostics.channel('sticky-balancer:member:state'),
  requestStart: diagnostics.channel('sticky-balancer:request:start'),
  requestEnd: diagnostics.channel('sticky-balancer:request:end'),
  requestError: diagnostics.channel('sticky-balancer:request:error'),
  ajpConfigError: diagnostics.channel('sticky-balancer:ajp:config-error'),
})
