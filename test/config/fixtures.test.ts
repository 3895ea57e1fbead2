/**
 * Every fixture (the tutorial's configurations, Debian's sample files, the peers' documented keys)
 * imports into options that our own validation accepts: resolveBalancerOptions, then a real
 * balancer that is created and closed.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import { resolveBalancerOptions } from '../../lib/options.js'
import { fromHttpdConfig, fromNginxConfig, fromWorkersProperties, importConfig } from '../../lib/config/index.js'
import type { ImportResult } from '../../lib/config/index.js'

const dir = new URL('./fixtures/', import.meta.url)
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8')

const cases: [string, () => ImportResult, number][] = [
  ['tutorial-workers.properties + tutorial-mod_jk.conf', () => fromWorkersProperties(read('tutorial-workers.properties'), { jkMounts: read('tutorial-mod_jk.conf') }), 1],
  ['tutorial-mod_proxy_http.conf', () => fromHttpdConfig(read('tutorial-mod_proxy_http.conf')), 1],
  ['tutorial-mod_proxy_ajp.conf', () => fromHttpdConfig(read('tutorial-mod_proxy_ajp.conf')), 1],
  ['tutorial-nginx.conf', () => fromNginxConfig(read('tutorial-nginx.conf')), 1],
  ['tutorial-nginx-ip-hash.conf', () => fromNginxConfig(read('tutorial-nginx-ip-hash.conf')), 1],
  ['debian-workers.properties + debian-httpd-jk.conf', () => fromWorkersProperties(read('debian-workers.properties'), { jkMounts: read('debian-httpd-jk.conf') }), 1],
  ['debian-proxy_balancer.conf', () => fromHttpdConfig(read('debian-proxy_balancer.conf')), 0],
  ['debian-nginx.conf', () => fromNginxConfig(read('debian-nginx.conf')), 0],
  ['peers-workers.properties + peers-mod_jk.conf', () => fromWorkersProperties(read('peers-workers.properties'), { jkMounts: read('peers-mod_jk.conf') }), 1],
  ['peers-httpd.conf', () => fromHttpdConfig(read('peers-httpd.conf')), 3],
  ['peers-nginx.conf', () => fromNginxConfig(read('peers-nginx.conf')), 5],
]

describe('imported fixtures pass our validation', () => {
  it.each(cases)('%s', async (_name, load, count) => {
    const { balancers, warnings } = load()
    expect(balancers).toHaveLength(count)
    for (const w of warnings) expect(w).toMatch(/^[\w.-]+(:\d+)?: \S/)
    for (const b of balancers) {
      expect(b.mount).toMatch(/^\//)
      // JSON round trip: the options are plain data (what the CLI prints with --check).
      const options = JSON.parse(JSON.stringify(b.options))
      expect(options).toEqual(b.options)
      expect(() => resolveBalancerOptions({ ...options, logger: false })).not.toThrow()
      const balancer = createBalancer({ ...options, logger: false })
      await balancer.close()
    }
  })

  it('the tutorial configurations import as the tutorial describes them', () => {
    const jk = fromWorkersProperties(read('tutorial-workers.properties'), { jkMounts: read('tutorial-mod_jk.conf') }).balancers[0]!
    expect(jk).toMatchObject({ name: 'tcsrvs', mount: '/', options: { scheduler: 'byrequests', sticky: {}, admin: { path: '/jkstatus' } } })
    expect(jk.options.members.map((m) => [m.url, m.route])).toEqual([['ajp://172.16.31.50:8009', 'TomcatA'], ['ajp://172.16.31.51:8009', 'TomcatB']])

    const http = fromHttpdConfig(read('tutorial-mod_proxy_http.conf')).balancers[0]!
    expect(http).toMatchObject({ name: 'tcsrvs', mount: '/', options: { preserveHost: true, via: true, exclude: ['/lbmanager'], admin: { path: '/lbmanager' }, sticky: { cookie: 'JSESSIONID' } } })
    const ajp = fromHttpdConfig(read('tutorial-mod_proxy_ajp.conf')).balancers[0]!
    expect(ajp.options.members.map((m) => m.url)).toEqual(['ajp://172.16.31.50:8009', 'ajp://172.16.31.51:8009'])

    expect(fromNginxConfig(read('tutorial-nginx.conf')).balancers[0]!.options).toMatchObject({ scheduler: 'wrr', sticky: false })
    expect(fromNginxConfig(read('tutorial-nginx-ip-hash.conf')).balancers[0]!.options).toMatchObject({ scheduler: 'ip_hash', sticky: false })
  })

  it('importConfig tells every fixture format apart', () => {
    const expected: Record<string, string> = { properties: 'workers.properties', 'mod_jk.conf': 'httpd', 'httpd-jk.conf': 'httpd', 'proxy_': 'httpd', nginx: 'nginx' }
    for (const name of readdirSync(dir)) {
      const key = Object.keys(expected).find((k) => name.includes(k))
      if (!key) continue
      if (name === 'debian-proxy_balancer.conf') continue // only comments: nothing to tell
      expect(importConfig(read(name), name).format, name).toBe(expected[key])
    }
  })
})
