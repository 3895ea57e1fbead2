/**
 * Informational (1xx) responses from a member before its final answer — `103 Early Hints`,
 * `102 Processing` — neither break the exchange nor count against the member, on every HTTP
 * transport (forEachHttpTransport): they are dropped, as Node's HTTP
 * client does for the default transports, and the final response goes through intact. Tomcat
 * cannot be made to send them on demand, so the member here is a fake.
 */
import type http from 'node:http'
import { beforeEach, describe, expect, it } from 'vitest'
import { forEachHttpTransport, guardProcess, httpRequest, json, startBalancer, startUpstream } from '../support/fake-upstream.js'

beforeEach(guardProcess)

type Before = (res: http.ServerResponse) => void

const earlyHints: Before = (res) => res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
const processing: Before = (res) => res.writeProcessing()

const CASES: [string, Before[], number][] = [
  ['one 103 Early Hints', [earlyHints], 200],
  ['two 103s', [earlyHints, earlyHints], 200],
  ['102 Processing', [processing], 200],
  ['102 then 103', [processing, earlyHints], 200],
  ['103 before a 404', [earlyHints], 404],
  ['103 before a 500', [earlyHints], 500],
]

// every HTTP transport in turn: these behaviours are the transport's as much as the balancer's
forEachHttpTransport(() => {
describe('1xx before the final response', () => {
  it.each(CASES)('%s: the final response arrives whole, the member stays ok, no error', async (_name, before, status) => {
    const member = await startUpstream('M', (req, res) => {
      req.resume()
      req.on('end', () => {
        for (const send of before) send(res)
        // a little later, as a page that hints first and renders afterwards
        setTimeout(() => {
          const body = JSON.stringify({ node: 'M', url: req.url })
          res.writeHead(status, { 'content-type': 'application/json', 'x-final': 'yes', 'content-length': Buffer.byteLength(body) })
          res.end(body)
        }, 20)
      })
    })
    const { url, balancer } = await startBalancer({ members: [{ url: member.url, route: 'M' }] })
    const errors: string[] = []
    balancer.on('member:error', (e) => errors.push(e.error.code))
    for (const path of ['/a', '/b']) {
      const r = await httpRequest(`${url}${path}`)
      expect(r.status).toBe(status)
      expect(r.headers['x-final']).toBe('yes')
      expect(r.headers.link).toBeUndefined()
      expect(json<{ url: string }>(r).url).toBe(path)
    }
    // a POST with a body too (the body is sent before the 1xx arrives)
    const post = await httpRequest(`${url}/post`, { method: 'POST', body: 'x'.repeat(10_000) })
    expect(post.status).toBe(status)
    expect(errors).toEqual([])
    expect(balancer.member('M')!.health).toBe('ok')
    expect(balancer.member('M')!.counters.errors).toBe(0)
    expect(member.seen).toHaveLength(3)
  })
})
})
