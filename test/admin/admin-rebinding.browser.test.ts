/**
 * The admin surface against a real browser (Debian's /usr/bin/chromium driven by playwright-core):
 * a DNS-rebinding attack simulated with Chromium's own resolver (`attacker.example` → 127.0.0.1),
 * and the balancer-manager page's forms working past a nonce's lifetime. Locally the suite skips
 * when Chromium is missing; with CI=true it fails instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, runBrowserTests } from '../support/chromium.js'
import { startBalancer, startUpstream } from '../support/fake-upstream.js'

/**
 * What the attacker's page does once its name points at 127.0.0.1: read the admin surface (the
 * JSON API and its nonce, jkstatus, metrics), then use the nonce to stop member B through the form
 * and the JSON API. The outcome lands in the page's title.
 */
const ATTACK = `(async () => {
  const out = {};
  const status = async (url, init) => { try { return (await fetch(url, init)).status } catch { return 'error' } };
  let nonce = '';
  try { const r = await fetch('/balancer-manager/api'); out.api = r.status; nonce = (await r.json()).nonce || '' } catch { out.api = out.api || 'error' }
  out.page = await status('/balancer-manager/');
  out.jkstatus = await status('/balancer-manager/?cmd=list&mime=txt');
  out.metrics = await status('/balancer-manager/metrics');
  out.form = await status('/balancer-manager/', { method: 'POST', body: new URLSearchParams({ nonce, w: 'B', w_status_S: '1' }) });
  out.json = await status('/balancer-manager/api/members/B', { method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': nonce }, body: JSON.stringify({ state: 'stopped' }) });
  out.nonce = nonce !== '';
  document.title = JSON.stringify(out);
})()`

/** Both members serve the attacker's page (whichever is chosen) and echo anything else. */
function site(req: IncomingMessage, res: ServerResponse, name: string): void {
  if (req.url === '/attack.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><title>pending</title><script>${ATTACK}</script>`)
    return
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-node': name })
  res.end(JSON.stringify({ node: name }))
}

describe.skipIf(!runBrowserTests)('the admin surface in Chromium: rebinding, and the page past a nonce\'s lifetime', () => {
  let browser: Browser

  beforeAll(async () => {
    // Chromium resolves attacker.example to 127.0.0.1 itself: the state after a rebinding.
    browser = await launchChromium(['--host-resolver-rules=MAP attacker.example 127.0.0.1'])
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
  })

  async function open(url: string, javaScriptEnabled = true): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, javaScriptEnabled })
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(err.message))
    page.on('dialog', (dialog) => void dialog.accept())
    await page.goto(url)
    return { page, problems }
  }

  async function outcome(page: Page): Promise<Record<string, unknown>> {
    await page.waitForFunction('document.title !== "pending"', undefined, { timeout: 15_000 })
    return JSON.parse(await page.title()) as Record<string, unknown>
  }

  it('a page on attacker.example, resolved to 127.0.0.1, reads nothing and changes nothing: 421 on every route', async () => {
    const ups = await Promise.all(['A', 'B'].map((n) => startUpstream(n, site)))
    const { url, balancer } = await startBalancer({ members: ups.map((u) => ({ url: u.url, route: u.name })), health: false, admin: {} })
    const port = new URL(url).port
    const { page } = await open(`http://attacker.example:${port}/attack.html`)
    expect(await outcome(page)).toEqual({ api: 421, page: 421, jkstatus: 421, metrics: 421, form: 421, json: 421, nonce: false })
    expect(balancer.member('B')?.admin).toBe('active')
    await page.context().close()
  }, 60_000)

  it('the same script, run from the site opened as 127.0.0.1, does reach the admin surface (why the admin surface belongs on its own listener)', async () => {
    const ups = await Promise.all(['A', 'B'].map((n) => startUpstream(n, site)))
    const { url, balancer } = await startBalancer({ members: ups.map((u) => ({ url: u.url, route: u.name })), health: false, admin: {} })
    const { page } = await open(`${url}/attack.html`)
    const result = await outcome(page)
    // Proof that the harness would see an attack succeed: this origin is the admin surface's own.
    expect(result).toMatchObject({ api: 200, nonce: true })
    expect(balancer.member('B')?.admin).toBe('stopped')
    await page.context().close()
  }, 60_000)

  it('the page\'s forms keep working after the nonce they were rendered with has expired: the live refresh renews it', async () => {
    const ups = await Promise.all(['TomcatA', 'TomcatB'].map((n) => startUpstream(n)))
    const { url, balancer } = await startBalancer({
      members: ups.map((u) => ({ url: u.url, route: u.name })),
      health: false,
      admin: { refreshMs: 1000, nonceMs: 10_000 },
    })
    const { page, problems } = await open(`${url}/balancer-manager/`)
    const rendered = await page.locator('article[data-card="TomcatB"] input[name="nonce"]').first().inputValue()
    await page.waitForTimeout(11_500) // past the rendered nonce's 10 s
    const current = await page.locator('article[data-card="TomcatB"] input[name="nonce"]').first().inputValue()
    expect(current).not.toBe(rendered)
    await page.locator('article[data-card="TomcatB"] button[name="w_state"][value="stopped"]').click()
    await page.waitForURL(/flash=/)
    expect(await page.locator('p.notice.ok').textContent()).toBe('member TomcatB: state=stopped')
    expect(balancer.member('TomcatB')?.admin).toBe('stopped')
    expect(problems).toEqual([])
    await page.context().close()
  }, 60_000)

  it('with JavaScript off, a form older than its nonce gets the page back with fresh forms; the second click works', async () => {
    const ups = await Promise.all(['TomcatA', 'TomcatB'].map((n) => startUpstream(n)))
    const { url, balancer } = await startBalancer({
      members: ups.map((u) => ({ url: u.url, route: u.name })),
      health: false,
      admin: { nonceMs: 10_000 },
    })
    const { page } = await open(`${url}/balancer-manager/`, false)
    await page.waitForTimeout(11_000)
    const [stale] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.locator('article[data-card="TomcatA"] button[name="w_state"][value="draining"]').click(),
    ])
    expect(stale.status()).toBe(403)
    expect(await page.locator('p.notice.bad[role="alert"]').textContent()).toMatch(/a valid nonce is required for changes/)
    expect(balancer.member('TomcatA')?.admin).toBe('active')
    await page.locator('article[data-card="TomcatA"] button[name="w_state"][value="draining"]').click()
    await page.waitForURL(/flash=/)
    expect(balancer.member('TomcatA')?.admin).toBe('draining')
    await page.context().close()
  }, 60_000)
})
