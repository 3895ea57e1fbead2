/**
 * What each transport says about its protocol (the parts of the Transport contract the balancer
 * asks instead of branching on `member.protocol`): the Host it sends, the origin its member writes
 * about itself, where upgrades go, and its health probe.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { Member } from '../members/member.js'
import { resolveHealthCheckOptions } from '../health/health-check-options.js'
import type { ResolvedHealthCheck } from '../health/health-check-options.js'
import { createAjpTransport } from './ajp/ajp-transport.js'
import { AjpUpgradeNotSupportedError } from './ajp/errors.js'
import { createHttpTransport } from './http/http-transport.js'
import { createNodeHttpTransport } from './http/node-http-transport.js'
import { createUndiciTransport } from './http/undici-transport.js'
import type { HttpTransportOptions } from './http/http-shared.js'
import type { Transport } from './transport.js'

const HTTP: HttpTransportOptions = { connectTimeout: 2000, timeout: 2000, maxSockets: 4, maxFreeSockets: 1, idleTimeout: 1000 }
const member = (url: string): Member => new Member({ url: new URL(url), route: 'A', weight: 1, admin: 'active' })

const HTTP_FACTORIES = [
  ['http-proxy-3', createHttpTransport],
  ['node', createNodeHttpTransport],
  ['undici', createUndiciTransport],
] as const

function track<T extends Transport>(t: T): T {
  onTestFinished(() => t.close())
  return t
}

describe('transport protocol facts', () => {
  it.each(HTTP_FACTORIES)('%s: preserveHost as configured, its own origin, upgrades to its URL or upgradeUrl', (_name, create) => {
    const plain = track(create(member('http://Example.test:8081'), HTTP))
    expect([plain.preserveHost, plain.selfOrigin, plain.upgradeTarget?.href]).toEqual([false, 'http://example.test:8081', 'http://example.test:8081/'])
    const preserved = track(create(member('http://127.0.0.1:8081'), { ...HTTP, preserveHost: true, upgradeUrl: new URL('http://127.0.0.1:9081') }))
    expect([preserved.preserveHost, preserved.upgradeTarget?.href]).toEqual([true, 'http://127.0.0.1:9081/'])
  })

  it('ajp: always the client\'s Host, no origin of its own, upgrades only through upgradeUrl', () => {
    const ajp = track(createAjpTransport(member('ajp://127.0.0.1:8009')))
    expect([ajp.preserveHost, ajp.selfOrigin, ajp.upgradeTarget]).toEqual([true, undefined, undefined])
    expect(ajp.upgradeRefusal?.('websocket')).toBeInstanceOf(AjpUpgradeNotSupportedError)
    const withHttp = track(createAjpTransport(member('ajp://127.0.0.1:8009'), {}, undefined, new URL('http://127.0.0.1:8081')))
    expect(withHttp.upgradeTarget?.href).toBe('http://127.0.0.1:8081/')
  })

  it.each(HTTP_FACTORIES)('%s: probes with an HTTP request to health.path, judged by health.expect', async (_name, create) => {
    const seen: string[] = []
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      res.statusCode = req.url === '/ok' ? 200 : 503
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const t = track(create(member(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), HTTP))
    await expect(t.probe(resolveHealthCheckOptions({ path: '/ok' }) as ResolvedHealthCheck)).resolves.toBeUndefined()
    await expect(t.probe(resolveHealthCheckOptions({ path: '/sick' }) as ResolvedHealthCheck)).rejects.toMatchObject({ code: 'LB_ERR_HEALTH_CHECK_STATUS' })
    expect(seen).toEqual(['GET /ok', 'GET /sick'])
  })
})
