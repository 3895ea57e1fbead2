/**
 * The balancer-manager page in a real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; never a downloaded browser). Locally the suite skips when Chromium is missing;
 * with CI=true it fails instead.
 */
import { mkdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { runBrowserTests, useChromium } from '../support/chromium.js'
import { httpRequest, startBalancer, startUpstream } from '../support/fake-upstream.js'

const SHOTS = new URL('../../.run/admin/', import.meta.url)

describe.skipIf(!runBrowserTests)('balancer-manager page in Chromium', () => {
  const browser = useChromium()

  async function cluster() {
    const ups = await Promise.all(['TomcatA', 'TomcatB', 'TomcatC'].map((name) => startUpstream(name)))
    const started = await startBalancer({
      members: [
        { url: ups[0]!.url, route: 'TomcatA', weight: 2 },
        { url: ups[1]!.url, route: 'TomcatB' },
        { url: ups[2]!.url, route: 'TomcatC', state: 'standby' },
      ],
      admin: { sampleMs: 1000, historyMs: 60_000, refreshMs: 1000 },
    })
    const traffic = async (n: number, cookie?: string): Promise<string[]> => {
      const nodes: string[] = []
      for (let i = 0; i < n; i++) nodes.push(String((await httpRequest(`${started.url}/app`, cookie ? { headers: { cookie } } : {})).headers['x-node']))
      return nodes
    }
    return { ...started, traffic, page: `${started.url}/balancer-manager/` }
  }

  /** A page that fails the test on script errors and CSP violations. */
  async function open(url: string, javaScriptEnabled = true): Promise<{ page: Page; problems: string[] }> {
    const context = await browser().newContext({ viewport: { width: 1440, height: 1000 }, javaScriptEnabled })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text())
    })
    page.on('dialog', (dialog) => void dialog.accept())
    await page.goto(url)
    return { page, problems }
  }

  async function rows(page: Page): Promise<Record<string, string>[]> {
    return page.$$eval('table#members tbody tr', (trs) => trs.map((tr) => {
      const cell = (f: string): string => tr.querySelector(`[data-f="${f}"]`)?.textContent?.trim() ?? ''
      return { id: tr.getAttribute('data-m') ?? '', route: cell('route'), weight: cell('weight'), admin: cell('admin'), health: cell('health'), elected: cell('elected') }
    }))
  }

  it('shows the members, changes a state and a weight through the forms, and refreshes live', async () => {
    const { page: url, traffic, balancer } = await cluster()
    for (let i = 0; i < 4; i++) {
      await traffic(12)
      await traffic(3, 'JSESSIONID=abc.TomcatB')
      await traffic(1, 'JSESSIONID=abc.TomcatGone')
      await new Promise((r) => setTimeout(r, 1_000))
    }
    const { page, problems } = await open(url)
    expect(await page.title()).toBe('Balancer manager · balancer')
    expect(await rows(page)).toEqual([
      { id: 'TomcatA', route: 'TomcatA', weight: '2', admin: 'active', health: 'ok', elected: String(balancer.member('TomcatA')!.counters.elected) },
      { id: 'TomcatB', route: 'TomcatB', weight: '1', admin: 'active', health: 'ok', elected: String(balancer.member('TomcatB')!.counters.elected) },
      { id: 'TomcatC', route: 'TomcatC', weight: '1', admin: 'standby', health: 'ok', elected: '0' },
    ])
    expect(await page.locator('svg.chart polyline[data-chart="TomcatA"]').getAttribute('points')).toMatch(/\d/)

    // Stop TomcatB with one click on its state button.
    await page.locator('article[data-card="TomcatB"] button[name="w_state"][value="stopped"]').click()
    await page.waitForURL(/flash=/)
    await expect.poll(() => page.locator('p.notice.ok').textContent()).toBe('member TomcatB: state=stopped')
    expect((await rows(page)).find((r) => r.id === 'TomcatB')!.admin).toBe('stopped')
    expect(await page.locator('article[data-card="TomcatB"] button.seg.on').textContent()).toBe('Stopped')
    expect(balancer.member('TomcatB')!.admin).toBe('stopped')
    expect(new Set(await traffic(6))).toEqual(new Set(['TomcatA']))

    // Change TomcatA's weight.
    await page.locator('article[data-card="TomcatA"] input[name="w_lf"]').fill('5')
    await page.locator('article[data-card="TomcatA"] form.settings button[type="submit"]').click()
    await page.waitForURL(/flash=/)
    await expect.poll(() => page.locator('p.notice.ok').textContent()).toBe('member TomcatA: weight=5')
    expect((await rows(page)).find((r) => r.id === 'TomcatA')!.weight).toBe('5')
    expect(balancer.member('TomcatA')!.weight).toBe(5)

    // The inline script refreshes numbers from the JSON API (under the page's CSP).
    const before = Number((await rows(page)).find((r) => r.id === 'TomcatA')!.elected)
    await traffic(7)
    const elected = balancer.member('TomcatA')!.counters.elected
    expect(elected).toBeGreaterThanOrEqual(before + 7)
    await expect.poll(async () => Number((await rows(page)).find((r) => r.id === 'TomcatA')!.elected), { timeout: 5_000 }).toBe(elected)
    await page.waitForTimeout(1_200)

    mkdirSync(SHOTS, { recursive: true })
    await page.screenshot({ path: new URL('balancer-manager.png', SHOTS).pathname, fullPage: true })
    expect(problems).toEqual([])
    await page.context().close()
  }, 60_000)

  it('shows the effective weight under the configured one while slow start ramps a member, and follows it live', async () => {
    const up = await startUpstream('TomcatA')
    const { url, balancer } = await startBalancer({
      members: [{ url: up.url, route: 'TomcatA', weight: 10 }],
      slowStartMs: 3_600_000,
      admin: { refreshMs: 1000 },
    })
    const member = balancer.member('TomcatA')!
    // Just back: the ramp starts at a tenth of the weight (and stays there for the first six minutes).
    member.startRamp(Date.now())
    const { page, problems } = await open(`${url}/balancer-manager/`)
    const cell = (f: string) => page.locator(`tr[data-m="TomcatA"] [data-f="${f}"]`).textContent()
    expect(await cell('weight')).toBe('10')
    expect(await cell('effectiveWeight')).toBe('now 1')
    // The ramp ends: the live refresh drops the effective weight; a new ramp brings it back.
    member.rampStart = 0
    await expect.poll(() => cell('effectiveWeight'), { timeout: 10_000 }).toBe('')
    member.startRamp(Date.now())
    await expect.poll(() => cell('effectiveWeight'), { timeout: 10_000 }).toBe('now 1')
    expect(await cell('weight')).toBe('10')
    expect(problems).toEqual([])
    await page.context().close()
  }, 60_000)

  it('works with JavaScript off: state, weight, add and remove through plain form posts', async () => {
    const { page: url, balancer } = await cluster()
    const extra = await startUpstream('TomcatD')
    const { page, problems } = await open(url, false)
    await page.locator('article[data-card="TomcatA"] button[name="w_state"][value="draining"]').click()
    await page.waitForURL(/flash=/)
    expect((await rows(page)).find((r) => r.id === 'TomcatA')!.admin).toBe('draining')
    await page.locator('article[data-card="TomcatC"] input[name="w_lf"]').fill('4')
    await page.locator('article[data-card="TomcatC"] form.settings button[type="submit"]').click()
    await page.waitForURL(/flash=/)
    expect(balancer.member('TomcatC')!.weight).toBe(4)
    await page.locator('input[name="b_nwrkr"]').fill(extra.url)
    await page.locator('input[name="b_nroute"]').fill('TomcatD')
    await page.locator('form.addform button[type="submit"]').click()
    await page.waitForURL(/flash=/)
    expect((await rows(page)).map((r) => r.id)).toEqual(['TomcatA', 'TomcatB', 'TomcatC', 'TomcatD'])
    await page.locator('article[data-card="TomcatD"] button.danger').click()
    await page.waitForURL(/flash=/)
    expect((await rows(page)).map((r) => r.id)).toEqual(['TomcatA', 'TomcatB', 'TomcatC'])
    // A bad value comes back as the page with a 400 and the message.
    await page.locator('article[data-card="TomcatB"] input[name="w_wr"]').fill('TomcatA')
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.locator('article[data-card="TomcatB"] form.settings button[type="submit"]').click()])
    expect(response.status()).toBe(400)
    expect(await page.locator('p.notice.bad[role="alert"]').textContent()).toMatch(/route "TomcatA" is already used/)
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([])
    await page.context().close()
  }, 60_000)
})
