/**
 * The runnable examples, as users start them (`node examples/<name>/server.mjs`), in front of
 * the two Tomcat nodes. They import the built package (`sticky-balancer/express`), so dist/ must
 * exist: `npm test` builds it first.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startExampleProcess } from '../support/example-process.js'
import { AJP_SECRET, REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappIndexJson } from '../support/tomcat.js'

const httpMembers = TOMCAT_NODES.map((n) => `${n.route}=${n.httpUrl}`).join(',')
const ajpMembers = TOMCAT_NODES.map((n) => `${n.route}=${n.ajpUrl}`).join(',')

async function startExample(name: string, members: string): Promise<string> {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  return startExampleProcess(name, join(REPO_ROOT, 'examples', name, 'server.mjs'), { MEMBERS: members, TOMCAT_AJP_SECRET: AJP_SECRET })
}

describe.each([
  ['express-basic', httpMembers],
  ['koa-basic', httpMembers],
  ['express-ajp', ajpMembers],
])('examples/%s', (name, members) => {
  it('spreads new sessions over both nodes and keeps each on its node', async () => {
    const base = await startExample(name, members)
    const sessions: { cookie: string; node: string }[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${base}/testapp/index.jsp?format=json`)
      const body = (await res.json()) as TestappIndexJson
      sessions.push({ cookie: res.headers.getSetCookie()[0]?.split(';')[0] ?? '', node: body.node })
    }
    expect(new Set(sessions.map((s) => s.node))).toEqual(new Set(['TomcatA', 'TomcatB']))
    for (const session of sessions) {
      for (let i = 0; i < 3; i++) {
        const body = (await (await fetch(`${base}/testapp/index.jsp?format=json`, { headers: { cookie: session.cookie } })).json()) as TestappIndexJson
        expect(body.node).toBe(session.node)
      }
    }
  })
})
