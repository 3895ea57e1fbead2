/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded browser).
 * Locally the tests skip when it is missing; with CI=true they fail instead.
 */
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { inCi } from './ci.js'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Whether the browser tests run here: Chromium is installed, or CI requires it (and will fail without). */
export const runBrowserTests = existsSync(CHROMIUM) || inCi

/**
 * Launches headless Chromium; throws with the install command when it is missing. `extraArgs` are
 * added to the command line (e.g. `--host-resolver-rules=MAP attacker.example 127.0.0.1`).
 */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required in CI but ${CHROMIUM} does not exist (apt-get install -y chromium)`)
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  })
}

/**
 * Headless Chromium for the tests of the calling suite: launched before them ({@link launchChromium}),
 * closed after. Returns the browser, to call from inside the tests.
 */
export function useChromium(extraArgs: readonly string[] = []): () => Browser {
  let browser: Browser | undefined
  beforeAll(async () => {
    browser = await launchChromium(extraArgs)
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })
  return () => {
    if (browser === undefined) throw new Error('Chromium was not launched (useChromium is called in a describe block, the browser only inside its tests)')
    return browser
  }
}
