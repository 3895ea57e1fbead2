/**
 * `npm run demo` opens on a page that shows the balancer working: the first URL it prints, opened
 * in a real headless Chromium, is the testapp page through the balancer (node name, session id)
 * with a link to the balancer-manager that works. The demo's server is examples/express-basic
 * (started here as the demo starts it, PORT=0) in front of the Tomcat nodes; what it prints comes
 * from scripts/demo-banner.mjs, the module the demo prints with. Locally the suite skips when
 * Chromium is missing; with CI=true it fails instead.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runBrowserTests, useChromium } from '../support/chromium.js'
import { startExampleProcess } from '../support/example-process.js'
import { staleWebappHint } from '../support/testapp-deployment.js'
import { REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'

type DemoBanner = (origin: string, options?: { ajp?: boolean }) => string

describe.skipIf(!runBrowserTests)('npm run demo, in Chromium', () => {
  const browser = useChromium()

  it('opens on the testapp page through the balancer, whose balancer-manager link works', async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
    const members = TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(',')
    const origin = await startExampleProcess('express-basic', join(REPO_ROOT, 'examples', 'express-basic', 'server.mjs'), { MEMBERS: members })
    const { demoBanner } = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'demo-banner.mjs')).href)) as { demoBanner: DemoBanner }
    const printed = /http:\/\/\S+/.exec(demoBanner(origin))?.[0]
    expect(printed).toBe(`${origin}/`)

    const page = await browser().newPage()
    try {
      await page.goto(printed!)
      expect(new URL(page.url()).pathname).toBe('/testapp/index.jsp')
      const node = (await page.locator('#node').textContent())?.trim()
      expect(TOMCAT_NODES.map((n) => n.name)).toContain(node)
      expect((await page.locator('#session-id').textContent())?.trim()).toMatch(new RegExp(`\\.${node}$`))
      const link = page.locator('a#balancer-manager')
      expect(await link.count(), `the testapp page has no balancer-manager link${staleWebappHint('index.jsp')}`).toBe(1)

      const [response] = await Promise.all([page.waitForNavigation(), link.click()])
      expect(response?.status()).toBe(200)
      expect(new URL(page.url()).pathname).toBe('/balancer-manager/')
      const text = await page.locator('body').innerText()
      for (const n of TOMCAT_NODES) expect(text).toContain(n.route)
    } finally {
      await page.close()
    }
  })
})
