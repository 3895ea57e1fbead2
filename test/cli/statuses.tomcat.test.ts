/**
 * The command answers failures with the statuses and codes of docs/errors.md, in front of the
 * Tomcat nodes (HTTP and AJP members): 503 when no member can take a request, 504 when Tomcat is
 * silent past `timeout`, 400 for a path Tomcat would refuse, 404 outside every mount, and
 * Tomcat's own statuses passed through untouched. It was one blanket 502 for every failure.
 */
import { describe, expect, it } from 'vitest'
import { cli, listening, tempFile } from '../support/cli-process.js'
import { deadUrl } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [typeof TOMCAT_NODES[0], typeof TOMCAT_NODES[0]]

const MEMBERS = {
  http: (node: typeof A) => ({ url: `http://127.0.0.1:${node.httpPort}`, route: node.route }),
  ajp: (node: typeof A) => ({ url: `ajp://127.0.0.1:${node.ajpPort}`, route: node.route, secret: AJP_SECRET }),
}

describe.each(['http', 'ajp'] as const)('the command\'s statuses over %s', (protocol) => {
  it('504 past timeout, 400 for a refused path, 404 outside the mount, Tomcat\'s own statuses as they are', async () => {
    // An httpd configuration mounts the balancer at /testapp, as ProxyPass does.
    const member = protocol === 'http' ? `http://127.0.0.1:${A.httpPort}` : `ajp://127.0.0.1:${A.ajpPort}`
    const file = tempFile('site.conf', [
      '<Proxy balancer://tc>',
      `  BalancerMember ${member}/testapp route=${A.route} timeout=1${protocol === 'ajp' ? ` secret=${AJP_SECRET}` : ''}`,
      '</Proxy>',
      'ProxyPass /testapp balancer://tc/testapp',
    ].join('\n'))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const url = await listening(run)

    const ok = await fetch(`${url}/testapp/echo.jsp`)
    expect(ok.status).toBe(200)
    const slow = await fetch(`${url}/testapp/slow.jsp?ms=3000`)
    expect([slow.status, await slow.text()]).toEqual([504, '504 Gateway Timeout\n'])
    for (const path of ['/testapp/a%2fb', '/testapp/..%2f..%2fmanager/']) {
      const refused = await fetch(`${url}${path}`)
      expect([path, refused.status]).toEqual([path, 400])
    }
    for (const path of ['/elsewhere', '/testapp/../examples/', '/testappx/echo.jsp']) {
      expect([path, (await fetch(`${url}${path}`)).status]).toEqual([path, 404])
    }
    // Tomcat's own error statuses are Tomcat's answers, not the balancer's: passed through.
    for (const code of [404, 500, 502, 503]) {
      const res = await fetch(`${url}/testapp/status.jsp?code=${code}`)
      expect([code, res.status, (await res.text()).trim()]).toEqual([code, code, `status ${code} from ${A.route}`])
    }
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('503 when no member can take the request, and again while the member waits out retryMs', async () => {
    const file = tempFile('balancer.json', JSON.stringify({
      members: [{ url: (await deadUrl()).replace('http:', `${protocol}:`), route: 'gone' }, { ...MEMBERS[protocol](B), state: 'stopped' }],
      retryMs: 60_000,
    }))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const url = await listening(run)
    const first = await fetch(`${url}/testapp/echo.jsp`)
    expect([first.status, await first.text()]).toEqual([503, '503 Service Unavailable\n'])
    const again = await fetch(`${url}/testapp/echo.jsp`)
    expect(again.status).toBe(503)
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })
})
