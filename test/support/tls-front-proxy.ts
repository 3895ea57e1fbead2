/**
 * A real TLS-terminating proxy for tests: Debian's nginx, with a self-signed certificate made by
 * openssl, in front of local HTTP servers (the balancer), as a load balancer or an ingress would be.
 *
 * Everything lives in a temporary folder (configuration, certificate, pid file, temp paths, logs);
 * nginx runs in the foreground (`daemon off`, one process) as a child of the test process, listens
 * on 127.0.0.1 only and is bounded in time by `timeout`. `stop()` ends it (SIGTERM, then SIGKILL).
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitForPort } from './port-open.js'

/** One front server: TLS on `listenPort`, forwarding to `http://127.0.0.1:<upstreamPort>`. */
export interface FrontServer {
  readonly listenPort: number
  readonly upstreamPort: number
  /** nginx directives in the `location /` block that set the forwarding headers. */
  readonly headers: readonly string[]
}

/** What a TLS terminator usually sends: X-Forwarded-For, -Proto, -Host, -Port (nginx's own Host: the upstream's address). */
export const X_FORWARDED_HEADERS: readonly string[] = [
  'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
  'proxy_set_header X-Forwarded-Proto $scheme;',
  'proxy_set_header X-Forwarded-Host $http_host;',
  'proxy_set_header X-Forwarded-Port $server_port;',
]

/** The RFC 7239 header alone. */
export const FORWARDED_HEADER: readonly string[] = [
  'proxy_set_header Forwarded "for=$remote_addr;proto=$scheme;host=\\"$http_host\\"";',
]

export interface TlsFrontProxy {
  /** The self-signed certificate (PEM) of `localhost` and 127.0.0.1, as a client's `ca`. */
  readonly ca: string
  readonly dir: string
  /** The tail of nginx's error log. */
  errorLog(): string
  stop(): Promise<void>
}

export function findNginx(): string | undefined {
  return ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p))
}

/** Makes a self-signed certificate for `localhost` and 127.0.0.1 in `dir`. */
function makeCertificate(dir: string): void {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'pipe', timeout: 30_000 })
}

function config(dir: string, servers: readonly FrontServer[]): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'temp', t)};`).join('\n')
  const blocks = servers.map((s) => `
  server {
    listen 127.0.0.1:${s.listenPort} ssl;
    server_name localhost;
    ssl_certificate ${join(dir, 'cert.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    location / {
      proxy_pass http://127.0.0.1:${s.upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_redirect off;
      ${s.headers.join('\n      ')}
    }
  }`).join('\n')
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 128; }
http {
  access_log off;
${temp}
${blocks}
}
`
}


/**
 * Starts nginx with one TLS server per entry of `servers`, and waits until each port accepts
 * connections (at most `startTimeoutMs`).
 */
export async function startTlsFrontProxy(servers: readonly FrontServer[], startTimeoutMs = 30_000, maxLifetimeMs = 600_000): Promise<TlsFrontProxy> {
  const nginx = findNginx()
  if (!nginx) throw new Error('nginx is not installed (Debian: apt-get install nginx)')
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-front-'))
  mkdirSync(join(dir, 'temp'))
  makeCertificate(dir)
  writeFileSync(join(dir, 'nginx.conf'), config(dir, servers))
  const child: ChildProcess = spawn('timeout', ['-k', '5', String(Math.ceil(maxLifetimeMs / 1000)), nginx, '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const errorLog = (): string => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8').slice(-4000)
    } catch {
      return ''
    }
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + startTimeoutMs
  for (const server of servers) {
    if (!(await waitForPort(server.listenPort, deadline, () => child.exitCode !== null))) {
      const log = `${stderr}${errorLog()}`
      await stop()
      throw new Error(`nginx did not start on 127.0.0.1:${server.listenPort}:\n${log}`)
    }
  }
  return { ca: readFileSync(join(dir, 'cert.pem'), 'utf8'), dir, errorLog, stop }
}
