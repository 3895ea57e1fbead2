/**
 * The probes an active health check sends: an HTTP request on a fresh connection for `http(s)://`
 * members, CPING/CPONG for `ajp://` members.
 *
 * @module
 */
import http from 'node:http'
import https from 'node:https'
import { HealthCheckError } from '../errors.js'
import type { Member } from '../members/member.js'
import { tlsConnectOptions } from '../net/tls-options.js'
import type { TlsOptions } from '../net/tls-options.js'
import type { ResolvedHealthCheck } from './health-check-options.js'

/**
 * One HTTP probe: resolves when the status is in `expect`, rejects otherwise (a
 * {@link HealthCheckError} for a wrong status or no answer in time, the socket error else). An `https://` member
 * is probed with its TLS settings (`tls`), as requests reach it.
 */
export function httpProbe(member: Member, options: ResolvedHealthCheck, host: string, tls?: Readonly<TlsOptions>): Promise<void> {
  const secure = member.protocol === 'https'
  const client = secure ? https : http
  const method = options.method === 'CPING' ? 'GET' : options.method
  return new Promise<void>((resolve, reject) => {
    const req = client.request({
      ...(secure ? tlsConnectOptions(tls, member.url) : undefined),
      host: member.url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: member.url.port || (member.protocol === 'https' ? 443 : 80),
      method,
      path: options.path,
      agent: false,
      timeout: options.timeout,
      headers: { host, 'user-agent': 'sticky-balancer-health-check', connection: 'close' },
    }, (res) => {
      res.resume()
      const status = res.statusCode ?? 0
      if (options.passesStatus(status)) resolve()
      else reject(new HealthCheckError('LB_ERR_HEALTH_CHECK_STATUS', `health check got status ${status}`, status))
    })
    req.on('timeout', () => req.destroy(new HealthCheckError('LB_ERR_HEALTH_CHECK_TIMEOUT', 'health check timed out')))
    req.on('error', reject)
    req.end()
  })
}
