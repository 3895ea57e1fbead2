/**
 * The command's access log (`--access-log`, `--access-log-format`), its audit lines and SIGUSR1
 * reopening, and `--version`: the CLI spawned as users run it, in front of the Tomcat nodes.
 */
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cli, listening, outputMatches, tempFile } from '../support/cli-process.js'
import type { CliRun } from '../support/cli-process.js'
import { deadUrl } from '../support/fake-upstream.js'
import { AJP_SECRET, REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [typeof TOMCAT_NODES[0], typeof TOMCAT_NODES[0]]
const hostOf = (url: string): string => new URL(url).host

/** A Combined line with the seven upstream fields. */
const COMBINED = /^(\S+) - - \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\S+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/

interface CombinedLine {
  client: string
  request: string
  status: number
  size: string
  referer: string
  agent: string
  requestTime: number
  upstreamAddr: string
  upstreamStatus: string
  upstreamTime: string
  route: string
  reason: string
  error: string
}

function parseCombined(line: string): CombinedLine {
  const m = COMBINED.exec(line)
  if (!m) throw new Error(`not a Combined line with upstream fields: ${line}`)
  return {
    client: m[1]!, request: m[3]!, status: Number(m[4]), size: m[5]!, referer: m[6]!, agent: m[7]!, requestTime: Number(m[8]),
    upstreamAddr: m[9]!, upstreamStatus: m[10]!, upstreamTime: m[11]!, route: m[12]!, reason: m[13]!, error: m[14]!,
  }
}

const linesOf = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [])

/** Polls `file` until a line matches; returns it. */
async function lineIn(file: string, match: (line: string) => boolean, run: CliRun, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const line = linesOf(file).find(match)
    if (line !== undefined) return line
    if (Date.now() > deadline) throw new Error(`no matching line in ${file}:\n${linesOf(file).join('\n')}\nstderr: ${run.err()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A nonce from the admin JSON API, and a change made with it. */
async function adminChange(adminUrl: string, member: string, change: object): Promise<number> {
  const { nonce } = await (await fetch(`${adminUrl}api`)).json() as { nonce: string }
  const res = await fetch(`${adminUrl}api/members/${member}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-balancer-nonce': nonce }, body: JSON.stringify(change) })
  await res.arrayBuffer()
  return res.status
}

function adminUrlOf(run: CliRun): string {
  const admin = /admin of \/\S* at (http:\/\/127\.0\.0\.1:\d+\/balancer-manager\/)/.exec(run.out())?.[1]
  if (admin === undefined) throw new Error(`no admin listener\n${run.out()}`)
  return admin
}

describe('--access-log (combined, the default) in front of the Tomcat nodes', () => {
  it('writes one line per request (sticky, new, the CLI\'s own 404 and 400), the audit line of an admin change, and reopens on SIGUSR1', async () => {
    const config = tempFile('balancer.json', JSON.stringify({
      balancers: [{ name: 'tc', mount: '/testapp', options: { members: [{ url: A.httpUrl, route: A.route }, { url: B.httpUrl, route: B.route }] } }],
    }))
    const log = join(config, '..', 'access.log')
    const run = cli(['--config', config, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--access-log', log])
    const url = await listening(run)
    const mode = statSync(log).mode & 0o777
    expect(mode).toBe(0o640 & ~process.umask())

    // A request that carries TomcatA's session route: sticky, to TomcatA.
    const sticky = await fetch(`${url}/testapp/echo.jsp?sticky=1`, { headers: { cookie: `JSESSIONID=0123456789ABCDEF.${A.route}`, 'user-agent': 'access-log-test "quoted"', referer: 'http://lb.example/start' } })
    const echo = await sticky.json() as TestappEchoJson
    expect(echo.node).toBe(A.route)
    const stickyLine = parseCombined(await lineIn(log, (l) => l.includes('sticky=1'), run))
    expect(stickyLine).toMatchObject({
      client: '127.0.0.1', request: 'GET /testapp/echo.jsp?sticky=1 HTTP/1.1', status: 200, referer: 'http://lb.example/start', agent: 'access-log-test \\"quoted\\"',
      upstreamAddr: hostOf(A.httpUrl), upstreamStatus: '200', route: A.route, reason: 'sticky', error: '-',
    })
    expect(Number(stickyLine.size)).toBeGreaterThan(0)
    expect(Number(stickyLine.upstreamTime)).toBeGreaterThanOrEqual(0)
    expect(stickyLine.upstreamTime).toMatch(/^\d+\.\d{3}$/)
    expect(stickyLine.requestTime).toBeGreaterThanOrEqual(Number(stickyLine.upstreamTime))

    // A new session: no route, a member chosen by the scheduler.
    const fresh = await fetch(`${url}/testapp/echo.jsp?new=1`)
    const freshNode = (await fresh.json() as TestappEchoJson).node
    expect(parseCombined(await lineIn(log, (l) => l.includes('new=1'), run))).toMatchObject({ status: 200, route: freshNode, reason: 'new', upstreamStatus: '200' })

    // The CLI's own refusals: a path no balancer is mounted at, a path Tomcat would refuse.
    expect((await fetch(`${url}/not-mounted/x`)).status).toBe(404)
    expect(parseCombined(await lineIn(log, (l) => l.includes('/not-mounted/x'), run))).toMatchObject({ status: 404, upstreamAddr: '-', route: '-', reason: '-', error: 'LB_ERR_NOT_FOUND' })
    expect((await fetch(`${url}/testapp/a%2fb`)).status).toBe(400)
    const refused = parseCombined(await lineIn(log, (l) => l.includes('/testapp/a%2fb'), run))
    expect(refused).toMatchObject({ status: 400, upstreamAddr: '-' })
    expect(refused.error).toMatch(/^LB_ERR_/)

    // An admin change through the admin listener: an audit line in the same file.
    const admin = adminUrlOf(run)
    expect(await adminChange(admin, B.route, { weight: 3 })).toBe(200)
    const audit = await lineIn(log, (l) => / audit change /.test(l), run)
    expect(audit).toMatch(new RegExp(`^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] audit change listener=127\\.0\\.0\\.1:${new URL(admin).port} host="127\\.0\\.0\\.1:${new URL(admin).port}" xff="-" via=json status=- request="POST /balancer-manager/api/members/${B.route}" what="[^"]*weight[^"]*"$`))
    // Refused admin access is audited too.
    expect((await fetch(`${admin}api`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(403)
    expect(await lineIn(log, (l) => / audit refused /.test(l), run)).toMatch(/ audit refused listener=\S+ host="[^"]+" xff="203\.0\.113\.9" via=- status=403 /)

    // logrotate: the file is moved, SIGUSR1 makes a new one, which gets the next lines.
    const rotated = `${log}.1`
    renameSync(log, rotated)
    run.child.kill('SIGUSR1')
    const deadline = Date.now() + 10_000
    while (!existsSync(log) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    expect(existsSync(log), run.err()).toBe(true)
    await (await fetch(`${url}/testapp/echo.jsp?after=rotation`)).arrayBuffer()
    expect(parseCombined(await lineIn(log, (l) => l.includes('after=rotation'), run)).status).toBe(200)
    expect(linesOf(rotated).some((l) => l.includes('after=rotation'))).toBe(false)
    expect(linesOf(rotated).some((l) => l.includes('sticky=1'))).toBe(true)
    expect(run.child.exitCode).toBeNull()
  })
})

describe('--access-log - --access-log-format json', () => {
  it('writes JSON lines on stdout: a retry shows both upstream addresses, 503 when no member is usable', async () => {
    const dead = await deadUrl()
    const alsoDead = await deadUrl()
    const config = tempFile('balancer.json', JSON.stringify({
      balancers: [
        { name: 'tc', mount: '/testapp', options: { members: [{ url: dead, route: 'Dead' }, { url: A.httpUrl, route: A.route }] } },
        { name: 'down', mount: '/down', options: { members: [{ url: alsoDead, route: 'Down' }] } },
      ],
    }))
    const run = cli(['--config', config, '--listen', '127.0.0.1:0', '--access-log', '-', '--access-log-format', 'json'])
    const url = await listening(run)
    const records = (): Record<string, unknown>[] => run.out().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    const recordOf = async (match: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      await outputMatches(run, () => records().some(match))
      return records().find(match)!
    }

    // The session route names the member on the closed port: it fails, the request is retried on TomcatA.
    const res = await fetch(`${url}/testapp/echo.jsp?retry=1`, { headers: { cookie: 'JSESSIONID=0123456789ABCDEF.Dead' } })
    expect((await res.json() as TestappEchoJson).node).toBe(A.route)
    const retried = await recordOf((r) => r.url === '/testapp/echo.jsp?retry=1')
    expect(retried).toMatchObject({
      type: 'access', method: 'GET', protocol: 'HTTP/1.1', status: 200, route: A.route, sessionRoute: 'Dead', error: null, aborted: false,
      upstreams: [
        { member: 'Dead', address: hostOf(dead), status: 0, reason: 'sticky', error: 'LB_ERR_UPSTREAM_CONNECT' },
        { member: A.route, address: hostOf(A.httpUrl), status: 200, error: null },
      ],
    })
    expect(String(retried.reason)).toMatch(/^rescheduled:/)

    // A balancer whose only member is on a closed port: 503, LB_ERR_NO_MEMBER.
    expect((await fetch(`${url}/down/x`)).status).toBe(503)
    expect(await recordOf((r) => r.url === '/down/x')).toMatchObject({ status: 503, error: 'LB_ERR_NO_MEMBER', upstreams: [{ member: 'Down', address: hostOf(alsoDead), status: 0 }] })

    // Every line on stdout that is not a start-up message is one JSON object.
    const lines = run.out().split('\n').filter((l) => l.startsWith('{'))
    expect(lines.length).toBeGreaterThanOrEqual(2)
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
  })
})

describe('--access-log-format common, members over AJP', () => {
  it('writes the Common line with the AJP member, its route and the body bytes sent', async () => {
    const config = tempFile('balancer.json', JSON.stringify({
      balancers: [{ name: 'tc', mount: '/testapp', options: { ajp: { secret: AJP_SECRET }, members: [{ url: A.ajpUrl, route: A.route }, { url: B.ajpUrl, route: B.route }] } }],
    }))
    const log = join(config, '..', 'access.log')
    const run = cli(['--config', config, '--listen', '127.0.0.1:0', '--access-log', log, '--access-log-format', 'common'])
    const url = await listening(run)
    const res = await fetch(`${url}/testapp/echo.jsp?ajp=1`, { headers: { cookie: `JSESSIONID=0123456789ABCDEF.${B.route}` } })
    const body = Buffer.from(await res.arrayBuffer())
    expect(res.status).toBe(200)
    const line = await lineIn(log, (l) => l.includes('ajp=1'), run)
    const m = /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/testapp\/echo\.jsp\?ajp=1 HTTP\/1\.1" 200 (\d+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/.exec(line)
    expect(m, line).not.toBeNull()
    expect(Number(m![1])).toBe(body.length)
    expect(m!.slice(3)).toEqual([hostOf(B.ajpUrl), '200', expect.stringMatching(/^\d+\.\d{3}$/), B.route, 'sticky', '-'])
  })
})

describe('without --access-log', () => {
  it('writes no access line, and audit lines on stderr (not only under NODE_DEBUG)', async () => {
    const config = tempFile('balancer.json', JSON.stringify({ members: [{ url: A.httpUrl, route: A.route }] }))
    const run = cli(['--config', config, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'], { env: { ...process.env, NODE_DEBUG: '' } })
    const url = await listening(run)
    await (await fetch(`${url}/testapp/echo.jsp`)).arrayBuffer()
    expect(await adminChange(adminUrlOf(run), A.route, { state: 'draining' })).toBe(200)
    await outputMatches(run, (_out, err) => / audit change listener=/.test(err))
    expect(run.err()).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] audit change listener=\S+ host="\S+" xff="-" via=json status=- request="POST \/balancer-manager\/api\/members\/\w+" what="[^"]*draining[^"]*"$/m)
    expect(run.out()).not.toContain('GET /testapp/echo.jsp')
  })
})

describe('a log that cannot be written', () => {
  it('never stops the server: one warning on stderr, requests still answered', async () => {
    const config = tempFile('balancer.json', JSON.stringify({ members: [{ url: A.httpUrl, route: A.route }] }))
    const run = cli(['--config', config, '--listen', '127.0.0.1:0', '--access-log', '/dev/full'])
    const url = await listening(run)
    for (let i = 0; i < 5; i++) expect((await fetch(`${url}/testapp/echo.jsp?i=${i}`)).status).toBe(200)
    await outputMatches(run, (_out, err) => err.includes('cannot write the access log /dev/full'))
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/testapp/echo.jsp?again=${i}`)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 200))
    expect(run.err().match(/cannot write the access log/g)).toHaveLength(1)
    expect(run.child.exitCode).toBeNull()
  })

  it('refuses to start when the file cannot be opened (exit 1, naming it)', async () => {
    const config = tempFile('balancer.json', JSON.stringify({ members: [{ url: A.httpUrl, route: A.route }] }))
    const run = cli(['--config', config, '--listen', '127.0.0.1:0', '--access-log', join(config, '..', 'no-such-dir', 'access.log')])
    expect(await run.exit).toBe(1)
    expect(run.err()).toMatch(/cannot open the access log: .*no-such-dir/)
  })

  it('refuses an unknown --access-log-format (exit 2)', async () => {
    const config = tempFile('balancer.json', JSON.stringify({ members: [{ url: A.httpUrl, route: A.route }] }))
    const run = cli(['--config', config, '--access-log-format', 'apache'])
    expect(await run.exit).toBe(2)
    expect(run.err()).toContain('--access-log-format must be one of combined, common, json')
  })
})

describe('--version', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }

  it.each([['--version'], ['-v']])('%s prints the name and version from package.json and exits 0 (bin/cli.ts through tsx)', async (flag) => {
    const run = cli([flag])
    expect(await run.exit).toBe(0)
    expect(run.out()).toBe(`sticky-balancer ${pkg.version}\n`)
  })

  it('works from the built dist/cli.js', async () => {
    const built = join(REPO_ROOT, 'dist', 'cli.js')
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
    const run = cli(['--version'], { entry: [built], cwd: '/' })
    expect(await run.exit).toBe(0)
    expect(run.out()).toBe(`sticky-balancer ${pkg.version}\n`)
  })
})
