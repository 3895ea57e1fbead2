/**
 * The code of "With body parsers" in docs/guide/getting-started.md, run as written (only `PORT`
 * and `AJP_SECRET` come from the environment, as the snippet reads them) in front of the two
 * Tomcat nodes: bodies under the balancer reach Tomcat byte for byte, and the parser mounted after
 * it still serves the app's own route. The snippet runs from `.run/snippets/` inside the
 * repository, so `sticky-balancer/express` resolves to the built dist/ as it does for a user.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startExampleProcess } from '../support/example-process.js'
import { AJP_SECRET, REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'

/** The first ```js block under `heading` in a markdown file. */
function snippet(file: string, heading: string): string {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
  const at = text.indexOf(`\n${heading}\n`)
  if (at === -1) throw new Error(`${file} has no "${heading}" section`)
  const match = /```js\n([\s\S]*?)\n```/.exec(text.slice(at))
  if (!match?.[1]) throw new Error(`"${heading}" in ${file} has no js block`)
  return match[1]
}

describe('docs/guide/getting-started.md: With body parsers', () => {
  it('runs as written: bodies under the balancer reach Tomcat untouched, the app\'s own route still parses JSON', async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'express.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
    const code = snippet('docs/guide/getting-started.md', '### With body parsers')
    // The members the snippet names are the repository's nodes.
    expect(code).toContain(TOMCAT_NODES[0]?.httpUrl)
    expect(code).toContain(TOMCAT_NODES[1]?.ajpUrl)
    const dir = join(REPO_ROOT, '.run', 'snippets')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, 'getting-started-body-parsers.mjs')
    writeFileSync(file, `${code}\n`)
    const base = await startExampleProcess('the snippet', file, { AJP_SECRET }, dir)

    const payload = '{ "kept":  "as sent",\n  "n": 1.50 }'
    const nodes = new Set<string>()
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/testapp/echo.jsp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload })
      expect(res.status).toBe(200)
      const echo = (await res.json()) as TestappEchoJson
      expect([echo.bodyText, echo.contentLength, echo.contentType]).toEqual([payload, Buffer.byteLength(payload), 'application/json'])
      nodes.add(echo.node)
    }
    expect(nodes).toEqual(new Set(TOMCAT_NODES.map((n) => n.route)))

    const own = await fetch(`${base}/api/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello"}' })
    expect(await own.json()).toEqual({ saved: { text: 'hello' } })
  })
})
