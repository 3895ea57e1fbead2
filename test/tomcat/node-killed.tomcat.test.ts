/**
 * A Tomcat node killed (SIGKILL) in the middle of a large response, over HTTP and over AJP: the
 * client sees an aborted response (never one that looks complete), the failure is logged, no
 * upstream socket leaks, and the balancer keeps serving from the other node.
 */
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createBalancer } from '../../lib/index.js'
import type { Logger } from '../../lib/index.js'
import { eventually, startFront } from '../support/fake-upstream.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes, stopTomcatNode, tomcatNodePid } from '../support/tomcat.js'
import type { TomcatNode } from '../support/tomcat.js'

const KillA = { name: 'KillA', httpPort: 8183, ajpPort: 8111 }
const [A] = TOMCAT_NODES as [TomcatNode]

/** Downloads until `onBytes` says stop; resolves with how the response ended. */
function download(url: string, afterBytes: number, onThreshold: () => void): Promise<{ complete: boolean; bytes: number; status: number }> {
  return new Promise((resolve) => {
    let bytes = 0
    let fired = false
    const req = http.get(url, (res) => {
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (!fired && bytes >= afterBytes) {
          fired = true
          onThreshold()
        }
      })
      res.on('close', () => resolve({ complete: res.complete, bytes, status: res.statusCode ?? 0 }))
    })
    req.on('error', () => resolve({ complete: false, bytes, status: 0 }))
  })
}

describe('a node killed mid-response', () => {
  let node: TomcatNode
  beforeAll(async () => {
    ;[node] = (await ensureTomcatNodes([KillA])) as [TomcatNode]
  }, 180_000)
  afterAll(() => stopTomcatNode(KillA), 60_000)

  it.each(['http', 'ajp'] as const)('over %s: aborted response, a log line, no leaked socket, still serving', async (protocol) => {
    node = (await ensureTomcatNodes([KillA]))[0] as TomcatNode
    const lines: { level: string; obj: object; msg?: string | undefined }[] = []
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
      error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
    }
    const url = (n: TomcatNode) => (protocol === 'http' ? n.httpUrl : n.ajpUrl)
    const balancer = createBalancer({
      members: [{ url: url(node), route: 'KillA' }, { url: url(A), route: A.route }],
      ajp: { secret: AJP_SECRET },
      logger,
    })
    onTestFinished(() => balancer.close())
    const { url: front } = await startFront((req, res) => void balancer.handle(req, res))

    const pid = tomcatNodePid('KillA')
    // byrequests sends the first request to the first member, KillA
    const result = await download(`${front}/testapp/big.jsp?bytes=${1024 * 1024 * 1024}`, 2 * 1024 * 1024, () => process.kill(pid, 'SIGKILL'))
    expect(result.status).toBe(200)
    expect(result.complete).toBe(false)
    expect(result.bytes).toBeLessThan(1024 * 1024 * 1024)

    expect(await eventually(() => lines.some((l) => l.msg === 'member exchange failed'), 5_000)).toBe(true)
    const failure = lines.find((l) => l.msg === 'member exchange failed')?.obj as { member: string; code: string }
    expect(failure.member).toBe('KillA')
    expect(['LB_ERR_UPSTREAM_RESET', 'LB_ERR_UPSTREAM_PROTOCOL']).toContain(failure.code)
    expect(await eventually(() => balancer.member('KillA')?.counters.inFlight === 0 && balancer.sockets().KillA?.open === 0, 5_000)).toBe(true)

    // the other node still serves, and requests for the dead node (its session's route) fail over to it
    const stickyBefore = balancer.member(A.route)?.counters.requests ?? 0
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${front}/testapp/index.jsp?format=json`, { headers: { cookie: 'JSESSIONID=0123456789ABCDEF0123456789ABCDEF.KillA' } })
      expect(res.status).toBe(200)
      expect(((await res.json()) as { node: string }).node).toBe(A.name)
    }
    expect((balancer.member(A.route)?.counters.requests ?? 0) - stickyBefore).toBe(4)
    await stopTomcatNode(KillA) // clear the pid file of the killed node before the next case restarts it
  })
})
