/**
 * Parity with a real nginx: the same client addresses (set through X-Forwarded-For + real_ip) must
 * reach the same member through nginx's `ip_hash` and through ours. Locally skipped when no `nginx`
 * binary is on the PATH (the golden table in ip-hash.test.ts holds what this test verified); in CI
 * a missing nginx fails every case instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { IncomingMessage, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Member } from '../members/member.js'
import { createIpHash } from './ip-hash.js'
import { inCi } from '../../test/support/ci.js'

const nginxBinary = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p)) ?? (spawnSync('which', ['nginx']).stdout?.toString().trim() || undefined)

const UPSTREAMS: { path: string; weights: number[]; down: number[] }[] = [
  { path: '/equal', weights: [1, 1, 1], down: [] },
  { path: '/weighted', weights: [1, 2, 1], down: [] },
  { path: '/down', weights: [1, 2, 1], down: [1] },
  { path: '/five', weights: [1, 1, 1, 1, 1], down: [0, 2] },
]

function addresses(): string[] {
  const list: string[] = []
  for (let i = 0; i < 60; i++) list.push(`${(i * 37) % 223 + 1}.${(i * 91) % 256}.${(i * 53) % 256}.${i}`)
  for (let i = 0; i < 20; i++) list.push(`2001:db8:${(i * 4099).toString(16)}::${(i * 7919).toString(16)}`)
  list.push('::1', 'fe80::1234:5678', '192.0.2.7', '192.0.2.200')
  return list
}

describe.skipIf(nginxBinary === undefined && !inCi)('ip_hash parity with nginx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iphash-nginx-'))
  const socket = join(dir, 'nginx.sock')
  const backends: Server[] = []
  let nginx: ChildProcess | undefined

  beforeAll(async () => {
    if (nginxBinary === undefined) throw new Error('nginx is required in CI but no nginx binary was found (Debian: apt-get install -y nginx)')
    const ports: number[] = []
    for (let i = 0; i < 5; i++) {
      const server = createServer((_req, res) => res.end('ABCDE'[i]))
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      backends.push(server)
      ports.push((server.address() as AddressInfo).port)
    }
    for (const sub of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub))
    const upstreams = UPSTREAMS.map(
      ({ weights, down }, u) =>
        `upstream u${u} { ip_hash; ${weights.map((w, i) => `server 127.0.0.1:${ports[i]} weight=${w}${down.includes(i) ? ' down' : ''};`).join(' ')} }`,
    ).join('\n')
    const locations = UPSTREAMS.map(({ path }, u) => `location = ${path} { proxy_pass http://u${u}; }`).join('\n')
    writeFileSync(
      join(dir, 'nginx.conf'),
      `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${dir}/client; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  ${upstreams}
  server {
    listen unix:${socket};
    set_real_ip_from unix:; real_ip_header X-Forwarded-For;
    ${locations}
  }
}
`,
    )
    nginx = spawn(nginxBinary, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' })
    for (let i = 0; i < 100 && !existsSync(socket); i++) await sleep(50)
    if (!existsSync(socket)) throw new Error('nginx did not start')
  }, 20_000)

  afterAll(async () => {
    nginx?.kill('SIGTERM')
    await Promise.all(backends.map((s) => new Promise((resolve) => s.close(resolve))))
    rmSync(dir, { recursive: true, force: true })
  })

  function viaNginx(path: string, client: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const r = request({ socketPath: socket, path, headers: { 'x-forwarded-for': client } }, (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve(body))
      })
      r.on('error', reject)
      r.end()
    })
  }

  it.each(UPSTREAMS)('$path: same member as nginx for every client', async ({ path, weights, down }) => {
    const all = weights.map((weight, i) => new Member({ url: new URL(`http://127.0.0.1:${9000 + i}`), route: 'ABCDE'[i], weight, admin: 'active' }))
    const candidates = all.filter((_, i) => !down.includes(i))
    const scheduler = createIpHash()
    const ours: string[] = []
    const theirs: string[] = []
    for (const client of addresses()) {
      const req = { socket: { remoteAddress: client }, headers: {} } as unknown as IncomingMessage
      ours.push(scheduler.pick(candidates, { req }, all)?.route ?? '-')
      theirs.push(await viaNginx(path, client))
    }
    expect(new Set(theirs).size).toBe(weights.length - down.length)
    expect(ours.join('')).toBe(theirs.join(''))
  })
})
