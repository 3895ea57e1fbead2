/**
 * The `sticky-balancer` command, spawned as users run it (through tsx here, from bin/cli.ts), in
 * front of fake upstreams on port 0.
 */
import { writeFileSync } from 'node:fs'
import net from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import { cli, listening, tempFile } from '../support/cli-process.js'
import { httpRequest, startUpstream } from '../support/fake-upstream.js'
import { openWs } from '../upgrade/support/ws-client.js'
import { startWsUpstream } from '../upgrade/support/ws-upstream.js'

describe('sticky-balancer CLI', () => {
  it('--check prints the imported options as JSON, warnings on stderr, exit 0', async () => {
    const file = tempFile('nginx.conf', 'upstream tc {\n  server 127.0.0.1:8080;\n  server 127.0.0.1:8081 max_conns=5;\n}\nserver { location /app/ { proxy_pass http://tc; } }\n')
    const run = cli(['--config', file, '--check'])
    expect(await run.exit).toBe(0)
    const printed = JSON.parse(run.out())
    expect(printed.balancers).toMatchObject([{ name: 'tc', mount: '/app', options: { scheduler: 'wrr', members: [{ url: 'http://127.0.0.1:8080' }, { url: 'http://127.0.0.1:8081' }] } }])
    expect(run.err()).toContain('warning: nginx.conf:3: server 127.0.0.1:8081 max_conns=5 is not supported')
  })

  it('--check fails with exit 1 and names the option when the result is invalid', async () => {
    const file = tempFile('balancer.json', JSON.stringify({ members: [{ url: 'ftp://x' }] }))
    const run = cli(['--config', file, '--check'])
    expect(await run.exit).toBe(1)
    expect(run.err()).toMatch(/members\[0\]\.url must be http:\/\/, https:\/\/ or ajp:\/\//)
  })

  it('a JSON configuration takes durations in milliseconds as the core API does: retryMs, not retry', async () => {
    const old = tempFile('balancer.json', JSON.stringify({ members: [{ url: 'http://127.0.0.1:8080' }], retry: 30 }))
    const refused = cli(['--config', old, '--check'])
    expect(await refused.exit).toBe(1)
    expect(refused.err()).toContain('retry was renamed retryMs (milliseconds): use retryMs: 30000')
    // An httpd configuration keeps httpd's seconds; what --check prints is in milliseconds and runs.
    const httpd = tempFile('proxy.conf', '<Proxy balancer://tc>\n  BalancerMember http://127.0.0.1:8080 route=A retry=30\n</Proxy>\nProxyPass /app balancer://tc\n')
    const run = cli(['--config', httpd, '--check'])
    expect(await run.exit, run.err()).toBe(0)
    const printed = JSON.parse(run.out())
    expect(printed.balancers[0].options).toMatchObject({ retryMs: 30_000 })
    expect(printed.balancers[0].options).not.toHaveProperty('retry')
    const saved = tempFile('saved.json', JSON.stringify(printed.balancers[0].options))
    expect(await cli(['--config', saved, '--check']).exit).toBe(0)
  })

  it('--check never prints an AJP secret (balancer-wide, per member, from workers.properties); a config holding "***" does not run', async () => {
    const secret = 'tomcat-ajp-secret-5d1e'
    const own = 'member-own-secret-0b7c'
    const file = tempFile('balancer.json', JSON.stringify({ members: [{ url: 'ajp://127.0.0.1:8009', route: 'A' }, { url: 'ajp://127.0.0.1:8010', route: 'B', secret: own, ajp: { secret: own } }], ajp: { secret } }))
    const run = cli(['--config', file, '--check'])
    expect(await run.exit).toBe(0)
    expect(run.out()).not.toContain(secret)
    expect(run.out()).not.toContain(own)
    const printed = JSON.parse(run.out())
    expect(printed.balancers[0].options.ajp.secret).toBe('***')
    expect(printed.balancers[0].options.members[1]).toMatchObject({ secret: '***', ajp: { secret: '***' } })
    expect(run.err()).not.toContain(secret)

    const props = tempFile('workers.properties', `worker.list=lb\nworker.n1.host=127.0.0.1\nworker.n1.port=8009\nworker.n1.secret=${secret}\nworker.lb.type=lb\nworker.lb.balance_workers=n1\nworker.lb.secret=${own}\n`)
    const jk = cli(['--config', props, '--check'])
    await jk.exit
    expect(jk.out()).toContain('"secret": "***"')
    expect(jk.out() + jk.err()).not.toContain(secret)
    expect(jk.out() + jk.err()).not.toContain(own)

    // What --check printed, saved and run as is: refused, naming where the real secret belongs.
    const saved = tempFile('saved.json', JSON.stringify(printed.balancers[0].options))
    const rerun = cli(['--config', saved, '--check'])
    expect(await rerun.exit).toBe(1)
    expect(rerun.err()).toMatch(/members\[1\]\.secret is "\*\*\*", as --check prints it: put the real AJP secret back/)
  })

  it('--admin host:port serves the admin surface on its own listener; the site\'s listener does not', async () => {
    const a = await startUpstream('A')
    const file = tempFile('balancer.json', JSON.stringify({ members: [{ url: a.url, route: 'A' }] }))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'])
    const url = await listening(run)
    const admin = /admin of \/ at (http:\/\/127\.0\.0\.1:\d+\/balancer-manager\/)/.exec(run.out())?.[1]
    expect(admin, run.out()).toBeDefined()
    expect(new URL(admin!).port).not.toBe(new URL(url).port)
    const api = await fetch(`${admin}api`)
    expect(api.status).toBe(200)
    expect(((await api.json()) as { members: { id: string }[] }).members.map((m) => m.id)).toEqual(['A'])
    expect((await httpRequest(`${admin}api`, { headers: { host: 'attacker.example' } })).status).toBe(421) // fetch cannot set Host
    // On the site's listener the path is balanced like any other: it reaches the member.
    expect(((await (await fetch(`${url}/balancer-manager/api`)).json()) as { node: string }).node).toBe('A')
    expect(run.err()).toContain('the admin surface has no authorize option')
    // SIGHUP: the members change in place, so the admin listener stays and shows the new ones
    // (test/cli/reload.tomcat.test.ts: it moves when a rebuilt balancer replaces its own).
    const b = await startUpstream('B')
    writeFileSync(file, JSON.stringify({ members: [{ url: b.url, route: 'B' }] }))
    run.child.kill('SIGHUP')
    const deadline = Date.now() + 5_000
    while (!run.err().includes('reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    expect(run.err()).toContain('member B: added')
    expect(((await (await fetch(`${admin}api`)).json()) as { members: { id: string }[] }).members.map((m) => m.id)).toEqual(['B'])
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('--admin refuses what is neither host:port nor a path', async () => {
    const run = cli(['--config', 'x.json', '--admin', 'admin.example'])
    expect(await run.exit).toBe(2)
    expect(run.err()).toContain('--admin must be host:port or port')
  })

  it('rejects bad arguments with exit 2 and the usage', async () => {
    const run = cli(['--listen', 'nowhere'])
    expect(await run.exit).toBe(2)
    expect(run.err()).toContain('Usage: sticky-balancer')
  })

  it('serves an httpd configuration: balances, keeps sessions, excludes, serves the admin page, stops on SIGTERM', async () => {
    const a = await startUpstream('A', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': req.headers.cookie ? [] : ['JSESSIONID=abc.nodeA; Path=/'] })
      res.end(`A ${req.url}`)
    })
    const b = await startUpstream('B', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': req.headers.cookie ? [] : ['JSESSIONID=def.nodeB; Path=/'] })
      res.end(`B ${req.url}`)
    })
    const file = tempFile('site.conf', [
      '<Proxy balancer://cluster>',
      `  BalancerMember ${a.url} route=nodeA`,
      `  BalancerMember ${b.url} route=nodeB`,
      '</Proxy>',
      'ProxyPass /shop/private !',
      'ProxyPass /shop balancer://cluster/app stickysession=JSESSIONID|jsessionid',
    ].join('\n'))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0', '--admin', '/shop/manager'])
    const url = await listening(run)

    const seen = new Set<string>()
    for (let i = 0; i < 4; i++) seen.add((await (await fetch(`${url}/shop/x`)).text()).split(' ')[0]!)
    expect(seen).toEqual(new Set(['A', 'B']))
    expect(a.seen.every((r) => r.url === '/app/x')).toBe(true)

    for (let i = 0; i < 5; i++) expect(await (await fetch(`${url}/shop/y`, { headers: { cookie: 'JSESSIONID=zzz.nodeB' } })).text()).toBe('B /app/y')
    expect((await fetch(`${url}/shop/private/z`)).status).toBe(404)
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404)
    const admin = await fetch(`${url}/shop/manager?format=json`, { headers: { accept: 'application/json' } })
    expect(admin.status).toBe(200)

    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  // Regression: the command answered every failure 502 Bad Gateway, whatever docs/errors.md says.
  it('answers failures with the statuses and codes of docs/errors.md, not one 502 for all', async () => {
    const dead = await new Promise<string>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo
        probe.close(() => resolve(`http://127.0.0.1:${port}`))
      })
    })
    const slow = await startUpstream('S', () => { /* never answers */ })
    const file = tempFile('balancer.json', JSON.stringify({ members: [{ url: dead, route: 'dead' }], retryMs: 60_000 }))
    const slowFile = tempFile('slow.json', JSON.stringify({ members: [{ url: slow.url, route: 'S' }], timeout: 300 }))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const url = await listening(run)
    const refused = await fetch(`${url}/x`)
    expect([refused.status, await refused.text()]).toEqual([503, '503 Service Unavailable\n'])
    const none = await fetch(`${url}/x`)   // the member is in error now: no member left
    expect(none.status).toBe(503)
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)

    const slowRun = cli(['--config', slowFile, '--listen', '127.0.0.1:0'])
    const slowUrl = await listening(slowRun)
    const timedOut = await fetch(`${slowUrl}/x`)
    expect([timedOut.status, await timedOut.text()]).toEqual([504, '504 Gateway Timeout\n'])
    const refusedPath = await fetch(`${slowUrl}/a%2fb`)
    expect(refusedPath.status).toBe(400)
    expect(await refusedPath.text()).toMatch(/^400 Bad Request/)
    slowRun.child.kill('SIGTERM')
    expect(await slowRun.exit).toBe(0)
  })

  // Regression: the mount was chosen by the raw path and the path below it forwarded as sent, so
  // /shop/..;/elsewhere reached the members' /elsewhere through the /shop balancer.
  it('chooses the mount by the path as Tomcat maps it, forwards it normalised, refuses what leaves it', async () => {
    const a = await startUpstream('A', (req, res) => res.end(`A ${req.url}`))
    const file = tempFile('site.conf', [
      '<Proxy balancer://cluster>',
      `  BalancerMember ${a.url} route=nodeA`,
      '</Proxy>',
      'ProxyPass /shop balancer://cluster/app',
    ].join('\n'))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const { port } = new URL(await listening(run))
    const send = (target: string, extra = ''): Promise<string> => new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`))
      let data = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => (data += chunk))
      socket.on('close', () => resolve(data))
      socket.on('error', reject)
    })
    const body = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4)
    expect(body(await send('/x/../shop/y'))).toBe('A /app/y')
    expect(body(await send('/shop/x/..;/y;jsessionid=zzz.nodeA?q=/../z'))).toBe('A /app/y;jsessionid=zzz.nodeA?q=/../z')
    expect(body(await send('/%73hop/y'))).toBe('A /app/y')
    expect(body(await send('/shop;jsessionid=zzz.nodeA/y'))).toBe('A /app;jsessionid=zzz.nodeA/y')
    for (const target of ['/shop/../elsewhere', '/shop/..;/elsewhere', '/shop/%2e%2e/elsewhere', '/shop/;/../elsewhere']) {
      expect(await send(target), target).toMatch(/^HTTP\/1\.1 404 /)
    }
    for (const target of ['/shop/../../etc', '/shop/%2e%2e/%2E%2e;x/etc', '/shop/a%2fb', '/shop/a%5cb']) {
      expect(await send(target), target).toMatch(/^HTTP\/1\.1 400 /)
    }
    const upgrade = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
    expect(await send('/shop/..;/elsewhere', upgrade)).toMatch(/^HTTP\/1\.1 404 /)
    expect(await send('/shop/../../etc', upgrade)).toMatch(/^HTTP\/1\.1 400 /)
    expect(a.seen.map((r) => r.url)).toEqual(['/app/y', '/app/y;jsessionid=zzz.nodeA?q=/../z', '/app/y', '/app;jsessionid=zzz.nodeA/y'])
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('sends WebSocket upgrades to the balancer of their prefix, sticky; refuses CONNECT with 405', async () => {
    const a = await startWsUpstream('A')
    const b = await startWsUpstream('B')
    onTestFinished(async () => {
      await a.close()
      await b.close()
    })
    const file = tempFile('ws.conf', [
      '<Proxy balancer://chat>',
      `  BalancerMember ${a.url} route=A`,
      `  BalancerMember ${b.url} route=B`,
      '</Proxy>',
      'ProxyPass /chat balancer://chat stickysession=JSESSIONID',
    ].join('\n'))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const url = await listening(run)
    for (let i = 0; i < 3; i++) {
      const ws = await openWs(`${url}/chat/socket`, { headers: { cookie: 'JSESSIONID=s1.B' } })
      ws.sendText(`hello ${i}`)
      expect((await ws.next()).data.toString()).toBe(`hello ${i}`)
      await ws.close()
    }
    expect(a.seen).toHaveLength(0)
    // httpd maps /chat/socket to balancer://chat/socket, as for requests
    expect(b.seen.map((r) => r.url)).toEqual(['/socket', '/socket', '/socket'])

    const { port } = new URL(url)
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1')
      let text = ''
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
      socket.write('CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n')
    })
    expect(reply).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/)
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('serves a workers.properties with --jk-mounts (AJP members are only created here, not contacted)', async () => {
    const props = tempFile('workers.properties', 'worker.list=lb\nworker.n1.port=1\nworker.n1.host=127.0.0.1\nworker.lb.type=lb\nworker.lb.balance_workers=n1\n')
    const mounts = tempFile('jk.conf', 'JkMount /app/* lb\n')
    const run = cli(['--config', props, '--jk-mounts', mounts, '--listen', '127.0.0.1:0'])
    await listening(run)
    expect(run.out()).toContain('/app → ajp://127.0.0.1:1')
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(0)
  })

  it('reloads its configuration on SIGHUP without closing the listening socket; keeps the running one when the new one is invalid', async () => {
    const [a, b] = await Promise.all([startUpstream('A'), startUpstream('B')])
    const file = tempFile('balancer.json', JSON.stringify({ members: [{ url: a.url, route: 'A' }] }))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const base = await listening(run)
    const nodeOf = async () => ((await (await fetch(`${base}/x`)).json()) as { node: string }).node
    expect(await nodeOf()).toBe('A')

    writeFileSync(file, JSON.stringify({ members: [{ url: b.url, route: 'B' }] }))
    run.child.kill('SIGHUP')
    const deadline = Date.now() + 5_000
    while (!run.err().includes('reloaded') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    expect(await nodeOf()).toBe('B')

    writeFileSync(file, JSON.stringify({ members: [{ url: 'ftp://nowhere' }] }))
    run.child.kill('SIGHUP')
    while (!run.err().includes('keeping the running one') && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 25))
    expect(run.err()).toMatch(/members\[0\]\.url must be/)
    expect(await nodeOf()).toBe('B')
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })
})
