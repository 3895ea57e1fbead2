/**
 * Markup in member names and URLs, and in values a form post echoes, never runs as script in a
 * real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), with the page's
 * live refresh running over the same hostile ids. Locally the suite skips when Chromium is
 * missing; with CI=true it fails instead.
 */
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { runBrowserTests, useChromium } from '../support/chromium.js'
import { startBalancer, startUpstream } from '../support/fake-upstream.js'


/**
 * Member URLs whose host (and so, without a route, whose id) carries quotes and event handlers:
 * WHATWG URLs keep `"`, `'`, `(`, `)` and `=` in a host.
 */
const HOSTILE_URLS = [
  `http://x"autofocus"onfocus="alert(1)"'x:1`,
  `http://y'onmouseover='alert(2)'z:2`,
  `ajp://w"),alert(3),("w:8009`,
  `http://a'-alert(4)-'b:3`,
  'ajp://d{}`${alert(6)}`:8011',
]

describe.skipIf(!runBrowserTests)('hostile markup on the balancer-manager page in Chromium', () => {
  const browser = useChromium()

  /** Opens `url`; every dialog (alert) and script error is recorded. */
  async function open(url: string): Promise<{ page: Page; dialogs: string[]; problems: string[] }> {
    const context = await browser().newContext({ viewport: { width: 1440, height: 1000 } })
    const page = await context.newPage()
    const dialogs: string[] = []
    const problems: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text())
    })
    await page.goto(url)
    return { page, dialogs, problems }
  }

  /** Focuses, hovers and clicks every element whose attributes an injection would live in. */
  async function poke(page: Page): Promise<void> {
    for (const selector of ['tr[data-m]', 'article[data-card]', 'span.url', 'th[scope="row"]', 'polyline[data-chart]']) {
      for (const el of await page.locator(selector).all()) {
        await el.hover({ force: true, timeout: 1_000 }).catch(() => {})
        await el.focus({ timeout: 1_000 }).catch(() => {})
      }
    }
  }

  it('member ids and URLs with quotes and handlers are shown as text; no script runs, the live refresh included', async () => {
    const up = await startUpstream('Real')
    const urls = HOSTILE_URLS
    const { url } = await startBalancer({
      members: [{ url: up.url, route: 'Real' }, ...urls.map((u) => ({ url: u }))], // no route: the id is the hostile host
      health: false,
      admin: { sampleMs: 1000, historyMs: 60_000, refreshMs: 1000 },
    })
    const { page, dialogs, problems } = await open(`${url}/balancer-manager/`)
    const ids = await page.$$eval('table#members tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-m')))
    expect(ids).toEqual(['Real', ...urls.map((u) => new URL(u).host)])
    const shown = await page.$$eval('table#members tbody tr span.url', (spans) => spans.map((s) => s.textContent))
    expect(shown.slice(1).join(' ')).toContain('"autofocus"onfocus="alert(1)"')
    await poke(page)
    // two refresh ticks run the page's script over the same ids (CSS selectors built from them)
    await page.waitForTimeout(2_500)
    expect(await page.locator('#stale').isHidden()).toBe(true)
    await poke(page)
    expect(dialogs).toEqual([])
    expect(problems).toEqual([])
    await page.context().close()
  }, 60_000)

  it('values a rejected form post echoes on the error page stay text', async () => {
    const up = await startUpstream('TomcatA')
    const { url } = await startBalancer({ members: [{ url: up.url, route: 'TomcatA' }], health: false, admin: { refreshMs: 0 } })
    const { page, dialogs, problems } = await open(`${url}/balancer-manager/`)
    const payload = `"><img src=x onerror=alert(5)><script>alert(6)</script>`
    const input = page.locator('article[data-card="TomcatA"] input[name="w_wr"]')
    await input.evaluate((el) => el.removeAttribute('pattern')) // as a forged request would
    await input.fill(payload)
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.locator('article[data-card="TomcatA"] form.settings button[type="submit"]').click(),
    ])
    expect(response.status()).toBe(400)
    await page.waitForLoadState('load')
    const notice = await page.locator('p.notice.bad[role="alert"]').textContent()
    expect(notice).toContain('<img src=x onerror=alert(5)>')
    expect(await page.locator('img[src="x"]').count()).toBe(0)
    await poke(page)
    expect(dialogs).toEqual([])
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
    await page.context().close()
  }, 60_000)
})
