/**
 * SIGHUP and `--state-file` of the `sticky-balancer` command against real Tomcat nodes, as an
 * operator coming from httpd (`apachectl graceful`, `BalancerPersist On`) or mod_jk (jkstatus
 * changes kept) expects them: WebSockets stay open, run-time admin changes survive unless the file
 * changed the same member's same setting, every change is reported, and the state file keeps
 * drains across restarts (SIGTERM or SIGKILL).
 *
 * Own nodes with Tomcat's examples (/examples WebSocket echo) on 18301/18302 (AJP 18311/18312);
 * the shared TomcatA is the member a file adds.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MemberSnapshot } from '../../lib/admin/snapshot.js'
import { cli, listening, outputMatches, tempFile } from '../support/cli-process.js'
import type { CliRun } from '../support/cli-process.js'
import { httpRequest } from '../support/fake-upstream.js'
import { TOMCAT_NODES, ensureTomcatNodes, stopTomcatNode } from '../support/tomcat.js'
import type { TestappIndexJson, TomcatNode, TomcatNodeSpec } from '../support/tomcat.js'
import { openWs } from '../upgrade/support/ws-client.js'
import type { WsClient } from '../upgrade/support/ws-client.js'

const SPECS: TomcatNodeSpec[] = [
  { name: 'ReloadA', httpPort: 18301, ajpPort: 18311 },
  { name: 'ReloadB', httpPort: 18302, ajpPort: 18312 },
]
const ECHO = '/examples/websocket/echoAnnotation'

let nodes: TomcatNode[]
let A: TomcatNode
let B: TomcatNode
/** The shared node a configuration adds. */
const C = TOMCAT_NODES[0] as TomcatNode

beforeAll(async () => {
  process.env.TOMCAT_EXAMPLES = '1'
  nodes = await ensureTomcatNodes(SPECS)
  ;[A, B] = nodes as [TomcatNode, TomcatNode]
  await ensureTomcatNodes([C.name])
}, 300_000)

afterAll(async () => {
  await Promise.all(SPECS.map((s) => stopTomcatNode(s)))
}, 120_000)

type MemberConfig = { url: string; route: string; weight?: number; state?: string }
const member = (node: TomcatNode, extra: Partial<MemberConfig> = {}): MemberConfig => ({ url: node.httpUrl, route: node.route, ...extra })
const config = (members: MemberConfig[], extra: Record<string, unknown> = {}): string => JSON.stringify({ members, ...extra })

interface Cli {
  readonly run: CliRun
  readonly base: string
  /** `http://127.0.0.1:<port>/balancer-manager/` */
  readonly admin: string
}

async function startCli(file: string, extra: string[] = []): Promise<Cli> {
  const run = cli(['--config', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', ...extra])
  const base = await listening(run, 30_000)
  const admin = /admin of \/ at (\S+)/.exec(run.out())?.[1]
  expect(admin, run.out() + run.err()).toBeDefined()
  return { run, base, admin: admin! }
}

/** Sends SIGHUP and waits for the reload's last line. */
async function reload(run: CliRun): Promise<void> {
  const before = (run.err().match(/SIGHUP: reloaded/g) ?? []).length
  run.child.kill('SIGHUP')
  await outputMatches(run, (_, err) => (err.match(/SIGHUP: reloaded/g) ?? []).length > before, 15_000)
}

async function members(admin: string): Promise<MemberSnapshot[]> {
  const res = await httpRequest(`${admin}api`)
  return (JSON.parse(res.body.toString()) as { members: MemberSnapshot[] }).members
}

async function memberOf(admin: string, id: string): Promise<MemberSnapshot | undefined> {
  return (await members(admin)).find((m) => m.id === id)
}

/** A request to the admin JSON API with a fresh nonce, as an operator's script sends it; `status` is expected. */
async function adminCall(admin: string, method: string, path: string, body: Record<string, unknown> | undefined, status: number): Promise<void> {
  const { nonce } = JSON.parse((await httpRequest(`${admin}api`)).body.toString()) as { nonce: string }
  const headers = { 'content-type': 'application/json', 'x-balancer-nonce': nonce }
  const res = await httpRequest(`${admin}api/${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) })
  expect(res.status, res.body.toString()).toBe(status)
}

/** A change to one member through the admin JSON API. */
async function change(admin: string, id: string, body: Record<string, unknown>): Promise<void> {
  await adminCall(admin, 'POST', `members/${id}`, body, 200)
}

async function echo(ws: WsClient, text: string): Promise<void> {
  ws.sendText(text)
  expect((await ws.next(10_000)).data.toString()).toBe(text)
}

/** A WebSocket to the echo endpoint and the member that carries it. */
async function openEcho(cliRun: Cli): Promise<{ ws: WsClient; on: string }> {
  const ws = await openWs(`${cliRun.base}${ECHO}`)
  await echo(ws, 'first')
  const carrying = (await members(cliRun.admin)).find((m) => m.counters.upgraded === 1)
  expect(carrying, 'one member carries the WebSocket').toBeDefined()
  return { ws, on: carrying!.id }
}

describe('SIGHUP', () => {
  it('keeps a WebSocket echoing with the file unchanged, with a member change, and across a rebuild for another option', async () => {
    // closeGrace 100 ms: a reload that closed WebSockets the old way would have closed this one
    // by the time each echo below is sent.
    const upgrade = { upgrade: { closeGrace: 100 } }
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 600))
    const file = tempFile('balancer.json', config([member(A), member(B)], upgrade))
    const c = await startCli(file)
    const { ws, on } = await openEcho(c)
    const other = on === A.route ? B : A

    await reload(c.run)
    await settle()
    await echo(ws, 'after a reload of the same file')

    writeFileSync(file, config([member(A), member(B)].map((m) => (m.route === other.route ? { ...m, weight: 3 } : m)), upgrade))
    await reload(c.run)
    await settle()
    expect(c.run.err()).toContain(`member ${other.route}: weight 1 → 3`)
    await echo(ws, 'after a member change')
    expect((await memberOf(c.admin, on))?.counters.upgraded).toBe(1) // the same member object carries it

    // Another option (timeout): a new balancer takes the requests, the old one keeps the WebSocket.
    writeFileSync(file, config([member(A), member(B)].map((m) => (m.route === other.route ? { ...m, weight: 3 } : m)), { ...upgrade, timeout: 30_000 }))
    await reload(c.run)
    await settle()
    expect(c.run.err()).toMatch(/timeout changed: a new balancer takes the requests; the old one finishes its requests and keeps its 1 upgraded connection\(s\) until they close/)
    await echo(ws, 'after a rebuild')
    // The admin listener moved to the new balancer, which runs the merged members.
    await outputMatches(c.run, (out) => (out.match(/admin of \/ at /g) ?? []).length === 2, 10_000)
    const moved = [...c.run.out().matchAll(/admin of \/ at (\S+)/g)].map((m) => m[1]!)[1]!
    expect((await memberOf(moved, other.route))?.weight).toBe(3)
    expect((await fetch(`${c.base}/testapp/index.jsp?format=json`)).status).toBe(200)

    await ws.close()
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })

  it('requests in flight finish across a reload in place and across a rebuild', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const c = await startCli(file)
    const slow = (): Promise<Response> => fetch(`${c.base}/testapp/slow.jsp?ms=1500`)
    const inPlace = slow()
    await new Promise((r) => setTimeout(r, 200))
    writeFileSync(file, config([member(A, { weight: 2 }), member(B)]))
    await reload(c.run)
    const rebuilt = slow()
    await new Promise((r) => setTimeout(r, 200))
    writeFileSync(file, config([member(A, { weight: 2 }), member(B)], { timeout: 30_000 }))
    await reload(c.run)
    for (const res of await Promise.all([inPlace, rebuilt])) {
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ ms: 1500 })
    }
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })

  it('a drain set through the admin API survives a reload of the unchanged file, and one that changes the member\'s weight; the file\'s new state overrides it', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const c = await startCli(file)
    await change(c.admin, A.route, { state: 'draining' })

    await reload(c.run)
    expect((await memberOf(c.admin, A.route))?.admin).toBe('draining')
    expect(c.run.err()).toContain(`member ${A.route}: state draining kept (set at run time; the file did not change it, it says active)`)

    writeFileSync(file, config([member(A, { weight: 2 }), member(B)]))
    await reload(c.run)
    expect(await memberOf(c.admin, A.route)).toMatchObject({ admin: 'draining', weight: 2 })
    expect(c.run.err()).toContain(`member ${A.route}: weight 1 → 2`)

    writeFileSync(file, config([member(A, { weight: 2, state: 'standby' }), member(B)]))
    await reload(c.run)
    expect((await memberOf(c.admin, A.route))?.admin).toBe('standby')
    expect(c.run.err()).toContain(`member ${A.route}: state draining → standby (set at run time; overridden: the file changed it)`)
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })

  it('a weight changed at run time stays when the file changes another member', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const c = await startCli(file)
    await change(c.admin, A.route, { weight: 7 })
    writeFileSync(file, config([member(A), member(B, { weight: 4 })]))
    await reload(c.run)
    expect((await memberOf(c.admin, A.route))?.weight).toBe(7)
    expect((await memberOf(c.admin, B.route))?.weight).toBe(4)
    expect(c.run.err()).toContain(`member ${A.route}: weight 7 kept (set at run time; the file did not change it, it says 1)`)
    expect(c.run.err()).toContain(`member ${B.route}: weight 1 → 4`)
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })

  it('a member new in the file gets new sessions after SIGHUP; existing sessions stay on their nodes', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const c = await startCli(file)
    const page = `${c.base}/testapp/index.jsp?format=json`
    const sessions: { cookie: string; node: string }[] = []
    for (let i = 0; i < 4; i++) {
      const res = await fetch(page)
      const body = (await res.json()) as TestappIndexJson
      const cookie = res.headers.getSetCookie().find((v) => v.startsWith('JSESSIONID='))!.split(';')[0]!
      sessions.push({ cookie, node: body.node })
    }
    writeFileSync(file, config([member(A), member(B), member(C)]))
    await reload(c.run)
    expect(c.run.err()).toContain(`member ${C.route}: added (${C.httpUrl})`)
    for (const s of sessions) {
      const body = (await (await fetch(page, { headers: { cookie: s.cookie } })).json()) as TestappIndexJson
      expect(body).toMatchObject({ node: s.node, hits: 2 }) // same node, same session
    }
    const fresh = new Set<string>()
    for (let i = 0; i < 9; i++) fresh.add(((await (await fetch(page)).json()) as TestappIndexJson).node)
    expect(fresh).toContain(C.route)
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })

  it('an invalid file is reported and the running configuration, run-time changes included, is kept', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const c = await startCli(file)
    await change(c.admin, B.route, { state: 'stopped' })
    writeFileSync(file, '{ "members": [ { "url": "ftp://x" } ] }')
    c.run.child.kill('SIGHUP')
    await outputMatches(c.run, (_, err) => err.includes('keeping the running one'), 15_000)
    expect(c.run.err()).toMatch(/members\[0\]\.url must be/)
    expect((await memberOf(c.admin, B.route))?.admin).toBe('stopped')
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })
})

describe('--state-file', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`keeps a drain across a restart (${signal}); the file is 0600 JSON with a version`, async () => {
      const file = tempFile('balancer.json', config([member(A), member(B)]))
      const state = join(dirname(file), 'state.json')
      const first = await startCli(file, ['--state-file', state])
      await change(first.admin, A.route, { state: 'draining' })
      await change(first.admin, B.route, { weight: 5 })
      const saved = (): { version?: number; balancers?: { members: { id: string; state: string; weight: number }[] }[] } => {
        try {
          return JSON.parse(readFileSync(state, 'utf8'))
        } catch {
          return {}
        }
      }
      const deadline = Date.now() + 10_000
      while (saved().balancers?.[0]?.members.find((m) => m.id === B.route)?.weight !== 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
      expect(saved()).toMatchObject({ version: 1 })
      expect(saved().balancers?.[0]?.members.find((m) => m.id === A.route)?.state).toBe('draining')
      expect(statSync(state).mode & 0o777).toBe(0o600)
      first.run.child.kill(signal)
      await first.run.exit

      const second = await startCli(file, ['--state-file', state])
      expect(await memberOf(second.admin, A.route)).toMatchObject({ admin: 'draining' })
      expect(await memberOf(second.admin, B.route)).toMatchObject({ weight: 5 })
      expect(second.run.err()).toContain(`state file: balancer balancer (/): member ${A.route}: state draining kept`)
      second.run.child.kill('SIGTERM')
      expect(await second.run.exit).toBe(0)
    })
  }

  it('keeps a member added and a member removed at run time across a restart', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const state = join(dirname(file), 'state.json')
    const first = await startCli(file, ['--state-file', state])
    await adminCall(first.admin, 'POST', 'members', { url: C.httpUrl, route: C.route, weight: 2 }, 201)
    await adminCall(first.admin, 'DELETE', `members/${B.route}`, undefined, 200)
    await outputMatches(first.run, () => {
      const text = readFileSync(state, 'utf8')
      return text.includes(`"id": "${C.route}"`) && !/"members": \[[^\]]*"id": "ReloadB"/.test(text)
    }, 10_000)
    first.run.child.kill('SIGTERM')
    await first.run.exit

    const second = await startCli(file, ['--state-file', state])
    expect((await members(second.admin)).map((m) => [m.id, m.weight])).toEqual([[A.route, 1], [C.route, 2]])
    expect(second.run.err()).toContain(`member ${B.route}: stays removed (removed at run time; the file did not change it)`)
    expect(second.run.err()).toContain(`member ${C.route}: kept (added at run time, ${C.httpUrl})`)
    const served = new Set<string>()
    for (let i = 0; i < 6; i++) served.add(((await (await fetch(`${second.base}/testapp/index.jsp?format=json`)).json()) as TestappIndexJson).node)
    expect(served).toEqual(new Set([A.route, C.route]))
    second.run.child.kill('SIGTERM')
    expect(await second.run.exit).toBe(0)
  })

  it('a configuration changed while stopped wins for the setting it changed', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const state = join(dirname(file), 'state.json')
    const first = await startCli(file, ['--state-file', state])
    await change(first.admin, A.route, { state: 'draining' })
    await outputMatches(first.run, () => readFileSync(state, 'utf8').includes('draining'), 10_000)
    first.run.child.kill('SIGTERM')
    await first.run.exit
    writeFileSync(file, config([member(A, { state: 'stopped' }), member(B)]))
    const second = await startCli(file, ['--state-file', state])
    expect((await memberOf(second.admin, A.route))?.admin).toBe('stopped')
    expect(second.run.err()).toContain(`member ${A.route}: state draining → stopped (set at run time; overridden: the file changed it)`)
    second.run.child.kill('SIGTERM')
    expect(await second.run.exit).toBe(0)
  })

  it('a corrupt state file is a warning: the command starts from the configuration and writes it anew', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const state = join(dirname(file), 'state.json')
    writeFileSync(state, '{ "version": 1, "balancers": [ { "mount": "/", "na')
    const c = await startCli(file, ['--state-file', state])
    expect(c.run.err()).toContain(`warning: the state file ${state} is not JSON (corrupt?); starting from the configuration`)
    expect((await memberOf(c.admin, A.route))?.admin).toBe('active')
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ version: 1 })
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })

  it('an unwritable state file is a warning (once), and the command keeps serving', async () => {
    const file = tempFile('balancer.json', config([member(A), member(B)]))
    const state = join(file, 'state.json') // below a regular file: no one can write it, root neither
    const c = await startCli(file, ['--state-file', state])
    expect(c.run.err()).toContain(`warning: cannot read the state file ${state}`)
    await change(c.admin, A.route, { state: 'draining' })
    await change(c.admin, A.route, { weight: 3 })
    await outputMatches(c.run, (_, err) => err.includes('cannot write the state file'), 10_000)
    await new Promise((r) => setTimeout(r, 200))
    expect(c.run.err().match(/cannot write the state file/g)).toHaveLength(1)
    expect((await fetch(`${c.base}/testapp/index.jsp?format=json`)).status).toBe(200)
    c.run.child.kill('SIGTERM')
    expect(await c.run.exit).toBe(0)
  })
})
