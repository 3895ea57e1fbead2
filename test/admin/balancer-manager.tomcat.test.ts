/**
 * The balancer-manager page in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core), served by an Express app in front of the two real Tomcat nodes: an operator
 * drains TomcatB and then stops it through the page's forms, while plain HTTP clients check what
 * that means for new sessions and for a session that lives on TomcatB. Locally the suite skips
 * when Chromium is missing; with CI=true it fails instead.
 *
 * Also takes a screenshot: into .run/admin/ by default, or over the README's
 * docs/balancer-manager.png with UPDATE_SCREENSHOTS=1 (so a test run leaves the tree clean).
 */
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, runBrowserTests } from '../support/chromium.js'
import { stickyBalancer } from '../../adapters/express/index.js'
import type { StickyBalancerMiddleware } from '../../adapters/express/index.js'
import type { AdminHandler, ExchangeEvent } from '../../lib/index.js'
import { TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappIndexJson, TomcatNode } from '../support/tomcat.js'

const SCREENSHOT = new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/balancer-manager.png' : '../../.run/admin/balancer-manager-tomcat.png', import.meta.url).pathname
const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]

describe.skipIf(!runBrowserTests)('balancer-manager page in Chromium, in front of real Tomcat', () => {
  let browser: Browser
  let mw: StickyBalancerMiddleware
  let admin: AdminHandler
  let server: http.Server
  let base: string
  const exchanges: ExchangeEvent[] = []

  beforeAll(async () => {
    browser = await launchChromium()

    const app = express()
    mw = stickyBalancer({
      members: [{ url: A.httpUrl, route: A.route }, { url: B.httpUrl, route: B.route }],
      sticky: { cookie: 'JSESSIONID' },
      logger: false,
    })
    mw.balancer.on('exchange', (event) => exchanges.push(event))
    app.use('/testapp', mw)
    admin = mw.balancer.adminHandler({ path: '/balancer-manager', sampleMs: 1000 })
    app.use(admin)
    server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    admin?.close()
    if (server) {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    await mw?.balancer.close()
  })

  /** One request to the test page through the balancer; `cookie` is `JSESSIONID=…` or nothing. */
  async function visit(cookie?: string): Promise<{ body: TestappIndexJson; cookie: string | undefined; reason: string | undefined }> {
    const seen = exchanges.length
    const res = await fetch(`${base}/testapp/index.jsp?format=json`, cookie ? { headers: { cookie } } : {})
    expect(res.status).toBe(200)
    const body = (await res.json()) as TestappIndexJson
    const set = res.headers.getSetCookie().find((c) => c.startsWith('JSESSIONID='))
    return { body, cookie: set?.split(';')[0], reason: exchanges.slice(seen).at(-1)?.reason }
  }

  async function rows(page: Page): Promise<Record<string, string>[]> {
    return page.$$eval('table#members tbody tr', (trs) => trs.map((tr) => {
      const cell = (f: string): string => tr.querySelector(`[data-f="${f}"]`)?.textContent?.trim() ?? ''
      return { id: tr.getAttribute('data-m') ?? '', admin: cell('admin'), health: cell('health'), elected: cell('elected'), hits: cell('hits'), new: cell('new'), misses: cell('misses'), missReasons: cell('missReasons') }
    }))
  }
  const row = async (page: Page, id: string): Promise<Record<string, string>> => (await rows(page)).find((r) => r.id === id)!

  /** Clicks a state button of a member's card, as a user would, and waits for the answer page. */
  async function setState(page: Page, id: string, state: 'draining' | 'stopped'): Promise<void> {
    await page.locator(`article[data-card="${id}"] button[name="w_state"][value="${state}"]`).click()
    await page.waitForURL(/flash=/)
    await expect.poll(() => page.locator('p.notice.ok').textContent()).toBe(`member ${id}: state=${state}`)
  }

  it('drains TomcatB (its session stays, new ones go to TomcatA), then stops it (the session moves)', async () => {
    // A user with a session on TomcatB.
    let user: { cookie: string; sessionId: string } | undefined
    for (let i = 0; i < 10 && !user; i++) {
      const { body, cookie } = await visit()
      if (body.node === B.name) user = { cookie: cookie!, sessionId: body.sessionId }
    }
    expect(user, 'no request landed on TomcatB').toBeDefined()
    expect(user!.sessionId.endsWith(`.${B.route}`)).toBe(true)
    expect(user!.cookie).toBe(`JSESSIONID=${user!.sessionId}`)

    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text())
    })
    await page.goto(`${base}/balancer-manager/`)
    expect(await page.title()).toBe('Balancer manager · balancer')
    expect((await rows(page)).map((r) => [r.id, r.admin, r.health])).toEqual([['TomcatA', 'active', 'ok'], ['TomcatB', 'active', 'ok']])

    // Drain TomcatB through the page.
    await setState(page, B.name, 'draining')
    expect((await row(page, B.name)).admin).toBe('draining')
    expect(await page.locator(`article[data-card="${B.name}"] button.seg.on`).textContent()).toBe('Draining')
    expect(mw.balancer.member(B.name)!.admin).toBe('draining')

    // New sessions all go to TomcatA; the TomcatB user keeps node and session.
    for (let i = 0; i < 10; i++) {
      const { body, reason } = await visit()
      expect([body.node, body.isNew, reason]).toEqual([A.name, true, 'new'])
      expect(body.sessionId.endsWith(`.${A.route}`)).toBe(true)
      const mine = await visit(user!.cookie)
      expect([mine.body.node, mine.body.sessionId, mine.body.isNew, mine.reason]).toEqual([B.name, user!.sessionId, false, 'sticky'])
      await new Promise((r) => setTimeout(r, 150))
    }

    // The page shows the counters: 10 sticky hits on draining TomcatB, new sessions on TomcatA.
    await page.reload()
    const drainedB = await row(page, B.name)
    expect(drainedB).toMatchObject({ admin: 'draining', hits: '10', misses: '0' })
    expect(Number((await row(page, A.name)).new)).toBeGreaterThanOrEqual(10)
    await page.waitForTimeout(1_200) // one more rate sample for the charts
    await page.screenshot({ path: SCREENSHOT, fullPage: true })

    // Stop TomcatB through the page; after a reload it still shows stopped.
    await setState(page, B.name, 'stopped')
    await page.reload()
    expect((await row(page, B.name)).admin).toBe('stopped')
    expect(await page.locator(`article[data-card="${B.name}"] button.seg.on`).textContent()).toBe('Stopped')
    expect(mw.balancer.member(B.name)!.admin).toBe('stopped')

    // The TomcatB user's next request is rescheduled to TomcatA, in a new session.
    const moved = await visit(user!.cookie)
    expect(moved.body.node).toBe(A.name)
    expect(moved.body.isNew).toBe(true)
    expect(moved.body.requestedSessionId).toBe(user!.sessionId)
    expect(moved.body.sessionId).not.toBe(user!.sessionId)
    expect(moved.body.sessionId.endsWith(`.${A.route}`)).toBe(true)
    expect(moved.reason).toBe('rescheduled:member-stopped')
    expect(moved.cookie).toBe(`JSESSIONID=${moved.body.sessionId}`)
    // …and it keeps its new node from then on.
    expect((await visit(moved.cookie)).body).toMatchObject({ node: A.name, sessionId: moved.body.sessionId, isNew: false })

    await page.reload()
    expect(await row(page, A.name)).toMatchObject({ misses: '1', missReasons: 'member-stopped 1' })

    expect(problems).toEqual([])
    await context.close()
  }, 30_000)
})
