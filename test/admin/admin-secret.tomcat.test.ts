/**
 * The AJP secret rule for members added through the admin surface, against the real Tomcat nodes
 * (`secretRequired="true"`): TomcatB added at another address gets no secret and Tomcat refuses it;
 * TomcatB removed and added back at its configured address gets the secret and serves.
 */
import { describe, expect, it } from 'vitest'
import { httpRequest, json, startBalancer } from '../support/fake-upstream.js'
import type { HttpResult } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES } from '../support/tomcat.js'
import type { TomcatNode } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [TomcatNode, TomcatNode]

describe('members added through the admin surface, in front of real Tomcat', () => {
  it('another address for TomcatB gets no secret (Tomcat refuses it); its configured address, added back, serves', async () => {
    const { url } = await startBalancer({
      members: [{ url: A.ajpUrl, route: A.route }, { url: B.ajpUrl, route: B.route }],
      ajp: { secret: AJP_SECRET },
      health: false,
      retryMs: 0,
      admin: {},
    })
    const base = `${url}/balancer-manager`
    const nonce = async (): Promise<string> => json<{ nonce: string }>(await httpRequest(`${base}/api`)).nonce
    const add = async (body: Record<string, unknown>): Promise<HttpResult> =>
      httpRequest(`${base}/api/members`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': await nonce() }, body: JSON.stringify({ ...body }) })
    const echo = (route: string): Promise<HttpResult> => httpRequest(`${url}/testapp/echo.jsp`, { headers: { cookie: `JSESSIONID=probe.${route}` } })

    expect((await echo(B.route)).status).toBe(200)
    // The same connector, written as an IPv4-mapped address: not a configured address, so no secret.
    const other = `ajp://[::ffff:127.0.0.1]:${new URL(B.ajpUrl).port}`
    const added = await add({ url: other, route: 'Elsewhere' })
    expect(added.status).toBe(201)
    expect(json<{ done: string[] }>(added).done[0]).toMatch(/without an AJP secret/)
    const refused = await echo('Elsewhere')
    expect(refused.status).toBe(502) // Tomcat answered 403 and closed: AJP_ERR_SECRET_REJECTED
    expect(refused.body.toString()).not.toContain('"requestURI"')

    // TomcatB removed and added back at its configured address: the secret comes with it.
    expect((await httpRequest(`${base}/api/members/${B.route}`, { method: 'DELETE', headers: { 'x-balancer-nonce': await nonce() } })).status).toBe(200)
    const back = await add({ url: B.ajpUrl, route: B.route })
    expect(back.status).toBe(201)
    expect(json<{ done: string[] }>(back).done[0]).not.toMatch(/without/)
    const served = await echo(B.route)
    expect(served.status).toBe(200)
  }, 30_000)
})
