/**
 * `${NAME}` / `${NAME:-default}` in the files `sticky-balancer` reads, against the shared Tomcat
 * nodes (their AJP connectors have `secretRequired`): the secret comes from the environment and
 * Tomcat accepts it; an unset name stops the command naming it and the line; `--check` and the
 * warnings never show the value; an nginx file keeps its own `$host` and `${host}`.
 */
import http from 'node:http'
import { beforeAll, describe, expect, it } from 'vitest'
import { cli, listening, tempFile } from '../support/cli-process.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes } from '../support/tomcat.js'
import type { TestappEchoJson } from '../support/tomcat.js'

const [A, B] = TOMCAT_NODES as [(typeof TOMCAT_NODES)[0], (typeof TOMCAT_NODES)[0]]

beforeAll(async () => {
  await ensureTomcatNodes([A.name, B.name])
}, 180_000)

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

/** mod_jk's tutorial setup, its secret and its second port named by reference. */
const WORKERS = `worker.list=lb
worker.lb.type=lb
worker.lb.balance_workers=${A.name}
worker.${A.name}.type=ajp13
worker.${A.name}.host=127.0.0.1
worker.${A.name}.port=\${TOMCAT_AJP_PORT:-${A.ajpPort}}
worker.${A.name}.secret=\${AJP_SECRET}
worker.${A.name}.socket_timeout=10
`

describe('${…} references in the configuration', () => {
  it('workers.properties: the AJP secret from the environment reaches Tomcat, whose secretRequired connector accepts it', async () => {
    const file = tempFile('workers.properties', WORKERS)
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'], { env: { ...process.env, AJP_SECRET } })
    const origin = await listening(run)
    const { status, body } = await get(`${origin}/testapp/echo.jsp`)
    expect(status, body).toBe(200)
    expect((JSON.parse(body) as TestappEchoJson).node).toBe(A.name)
  })

  it('httpd: Define above the line, then the environment; Tomcat accepts the secret', async () => {
    const file = tempFile('proxy.conf', `Define TC_AJP ajp://127.0.0.1:${B.ajpPort}
<Proxy balancer://tc>
  BalancerMember \${TC_AJP} route=${B.name} secret=\${AJP_SECRET}
</Proxy>
ProxyPass / balancer://tc/
`)
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'], { env: { ...process.env, AJP_SECRET } })
    const origin = await listening(run)
    const { status, body } = await get(`${origin}/testapp/echo.jsp`)
    expect(status, body).toBe(200)
    expect((JSON.parse(body) as TestappEchoJson).node).toBe(B.name)
  })

  it('an unset name without a default: exit 1 naming it and file:line, for the run and for --check', async () => {
    const file = tempFile('workers.properties', WORKERS)
    const env = { ...process.env }
    delete env.AJP_SECRET
    for (const extra of [[], ['--check']]) {
      const run = cli(['--config', file, '--listen', '127.0.0.1:0', ...extra], { env })
      expect(await run.exit, run.err()).toBe(1)
      expect(run.err()).toContain(`sticky-balancer: ${file}:7: AJP_SECRET is not set in the environment`)
      expect(run.out()).not.toContain('listening')
    }
  })

  it('--check prints the secret as *** and no output, warnings included, holds its value', async () => {
    const secret = 'Xq7-env-only-secret'
    const file = tempFile('workers.properties', WORKERS)
    const run = cli(['--config', file, '--check'], { env: { ...process.env, AJP_SECRET: secret } })
    expect(await run.exit, run.err()).toBe(0)
    expect(run.err()).toMatch(/warning: workers\.properties:8: /) // the socket_timeout line is warned about
    const printed = JSON.parse(run.out()) as { balancers: { options: { members: { url: string; secret?: string }[] } }[] }
    expect(printed.balancers[0]!.options.members[0]).toMatchObject({ url: `ajp://127.0.0.1:${A.ajpPort}`, secret: '***' })
    expect(run.out() + run.err()).not.toContain(secret)
  })

  it('nginx: $host and ${host} are nginx variables and stay; a capitalised reference is expanded', async () => {
    const file = tempFile('nginx.conf', `upstream tomcat {
    server 127.0.0.1:\${TOMCAT_HTTP_PORT:-${A.httpPort}};
}
server {
    listen 80;
    location / {
        proxy_pass http://tomcat;
        proxy_set_header Host \${host};
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
`)
    const env = { ...process.env, TOMCAT_HTTP_PORT: String(B.httpPort), host: 'must-not-be-used' }
    const check = cli(['--config', file, '--check'], { env })
    expect(await check.exit, check.err()).toBe(0)
    // ${host} is read as nginx's $host: the client's Host goes to the member.
    expect(JSON.parse(check.out())).toMatchObject({ balancers: [{ options: { members: [{ url: `http://127.0.0.1:${B.httpPort}` }], preserveHost: true, xForwarded: true } }] })
    expect(check.out()).not.toContain('must-not-be-used')
    expect(check.err()).not.toContain('must-not-be-used')

    const run = cli(['--config', file, '--listen', '127.0.0.1:0'], { env })
    const origin = await listening(run)
    const { status, body } = await get(`${origin}/testapp/echo.jsp`)
    expect(status, body).toBe(200)
    const echo = JSON.parse(body) as TestappEchoJson
    expect(echo.node).toBe(B.name)
    expect(echo.headers.host).toEqual([new URL(origin).host])
  })
})
