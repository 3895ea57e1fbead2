/**
 * The tutorial's configurations, imported and started, behave as the originals do on the checks
 * of the stickiness issue: new sessions spread over both nodes, a session sticks to its node, and
 * with nginx `ip_hash` one client stays on one node (the plain nginx round robin does not stick).
 *
 * Runs against two dedicated nodes (CfgA, CfgB) so that other suites' nodes are left alone; the
 * fixtures' addresses, ports and routes (172.16.31.50/51, TomcatA/B) are rewritten to them before
 * the import.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer, fromHttpdConfig, fromNginxConfig, fromWorkersProperties } from '../../lib/index.js'
import type { ImportResult } from '../../lib/index.js'
import { startFront } from '../support/fake-upstream.js'
import { AJP_SECRET, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappIndexJson } from '../support/tomcat.js'

const A = { name: 'CfgA', httpPort: 8195, ajpPort: 8123 }
const B = { name: 'CfgB', httpPort: 8196, ajpPort: 8124 }

/** The fixture, with the tutorial's nodes replaced by ours. */
function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
    .replaceAll('TomcatA', A.name)
    .replaceAll('TomcatB', B.name)
    .replaceAll('172.16.31.50:8080', `127.0.0.1:${A.httpPort}`)
    .replaceAll('172.16.31.51:8080', `127.0.0.1:${B.httpPort}`)
    .replaceAll('172.16.31.50:8009', `127.0.0.1:${A.ajpPort}`)
    .replaceAll('172.16.31.51:8009', `127.0.0.1:${B.ajpPort}`)
    .replace(/^(worker\.\w+\.host=)172\.16\.31\.5[01]$/gm, '$1127.0.0.1')
    .replace(new RegExp(`^(worker\\.${A.name}\\.port=)8009$`, 'm'), `$1${A.ajpPort}`)
    .replace(new RegExp(`^(worker\\.${B.name}\\.port=)8009$`, 'm'), `$1${B.ajpPort}`)
}

async function start(result: ImportResult): Promise<string> {
  expect(result.balancers).toHaveLength(1)
  const [{ options, mount }] = result.balancers as [ImportResult['balancers'][number]]
  expect(mount).toBe('/')
  // Tomcat ≥ 9.0.31 wants the AJP secret the 2015 tutorial could not know about.
  const balancer = createBalancer({ ...options, logger: false, ajp: { ...options.ajp, secret: AJP_SECRET } })
  onTestFinished(() => balancer.close())
  return (await startFront((req, res) => void balancer.handle(req, res))).url
}

async function page(url: string, cookie?: string): Promise<{ body: TestappIndexJson; cookie: string }> {
  const res = await fetch(`${url}/testapp/index.jsp?format=json`, { headers: cookie ? { cookie } : {} })
  expect(res.status).toBe(200)
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  return { body: (await res.json()) as TestappIndexJson, cookie: set || cookie || '' }
}

/** New sessions (no cookie) land on both nodes; then each sticks for 10 requests. */
async function spreadsAndSticks(url: string): Promise<void> {
  const sessions: { node: string; cookie: string; id: string }[] = []
  for (let i = 0; i < 8; i++) {
    const { body, cookie } = await page(url)
    expect(body.isNew).toBe(true)
    sessions.push({ node: body.node, cookie, id: body.sessionId })
  }
  expect(new Set(sessions.map((s) => s.node))).toEqual(new Set([A.name, B.name]))
  for (const s of sessions.slice(0, 4)) {
    expect(s.id.endsWith(`.${s.node}`)).toBe(true)
    for (let hit = 2; hit <= 11; hit++) {
      const { body } = await page(url, s.cookie)
      expect(body).toMatchObject({ node: s.node, sessionId: s.id, hits: hit })
    }
  }
}

describe('the tutorial configurations, imported, against Tomcat', () => {
  beforeAll(async () => {
    await ensureTomcatNodes([A, B])
  })
  afterAll(async () => {
    await Promise.all([stopTomcatNode(A), stopTomcatNode(B)])
  })

  it('mod_jk (workers.properties + JkMount, sticky_session=1): spreads, sticks, serves jkstatus', async () => {
    const imported = fromWorkersProperties(fixture('tutorial-workers.properties'), { jkMounts: fixture('tutorial-mod_jk.conf') })
    expect(imported.balancers[0]!.options.members.map((m) => m.url)).toEqual([`ajp://127.0.0.1:${A.ajpPort}`, `ajp://127.0.0.1:${B.ajpPort}`])
    const url = await start(imported)
    await spreadsAndSticks(url)
    const status = await fetch(`${url}/jkstatus?mime=txt`)
    expect(status.status).toBe(200)
    expect(await status.text()).toContain(A.name)
  })

  it('mod_proxy_balancer over HTTP (stickysession=JSESSIONID): spreads, sticks, serves the balancer-manager', async () => {
    const url = await start(fromHttpdConfig(fixture('tutorial-mod_proxy_http.conf')))
    await spreadsAndSticks(url)
    expect((await fetch(`${url}/lbmanager`)).status).toBe(200)
  })

  it('mod_proxy_balancer over AJP (stickysession=JSESSIONID): spreads and sticks', async () => {
    const url = await start(fromHttpdConfig(fixture('tutorial-mod_proxy_ajp.conf')))
    await spreadsAndSticks(url)
  })

  it('nginx ip_hash: one client stays on one node, whatever its sessions', async () => {
    const url = await start(fromNginxConfig(fixture('tutorial-nginx-ip-hash.conf')))
    const nodes = new Set<string>()
    for (let i = 0; i < 10; i++) nodes.add((await page(url)).body.node)
    expect(nodes.size).toBe(1)
  })

  it('nginx round robin (no ip_hash): requests alternate, a session does not stick (as in nginx)', async () => {
    const url = await start(fromNginxConfig(fixture('tutorial-nginx.conf')))
    const { cookie } = await page(url)
    const nodes: string[] = []
    for (let i = 0; i < 6; i++) nodes.push((await page(url, cookie)).body.node)
    expect(new Set(nodes)).toEqual(new Set([A.name, B.name]))
  })
})
