#!/usr/bin/env node
/**
 * `sticky-balancer`: run a balancer from a configuration file, or check one.
 *
 * ```
 * sticky-balancer --config balancer.json|workers.properties|httpd.conf|nginx.conf
 *                 [--jk-mounts mod_jk.conf] [--listen 127.0.0.1:8080] [--admin 127.0.0.1:9090|/balancer-manager]
 *                 [--tls-cert site.pem --tls-key site.key] [--check]
 * ```
 *
 * The configuration is imported (see docs/guide/migration.md), warnings go to stderr, and either
 * `--check` prints the resulting options as JSON (AJP secrets shown as `***`) and exits, or a node:http server (node:https with `--tls-cert`) serves
 * every imported balancer at its mount path until SIGINT or SIGTERM (SIGHUP reloads the
 * configuration). See docs/guide/cli.md.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'
import { createBalancer } from '../lib/balancer.js'
import type { Balancer, MountContext } from '../lib/balancer.js'
import type { AdminListener } from '../lib/admin/admin-server.js'
import { NotFoundError } from '../lib/errors.js'
import { importConfig } from '../lib/config/import-config.js'
import type { ConfigFormat } from '../lib/config/import-config.js'
import type { ImportedBalancer } from '../lib/config/types.js'
import { resolveBalancerOptions } from '../lib/options.js'
import { isPathRefusal, pathRefusalError, relativeTo, requestTarget } from '../lib/proxy/request-target.js'
import type { PathRefusal } from '../lib/proxy/request-target.js'
import { refuseConnect } from '../lib/upgrade/attach.js'
import { writeError, writeRawError } from '../lib/respond.js'
import { createSiteServer, readTlsFiles, reloadTlsContext } from './cli/tls-listener.js'
import type { TlsFiles } from './cli/tls-listener.js'

const USAGE = `Usage: sticky-balancer --config <file> [options]

  --config <file>      balancer.json, workers.properties, an httpd or an nginx configuration
  --format <format>    json | workers.properties | httpd | nginx (default: from name and content)
  --jk-mounts <file>   with workers.properties: the httpd file with the JkMount lines
  --listen <host:port> where to listen (default 127.0.0.1:8080; port 0 picks a free one)
  --admin <host:port>  serve the admin surface (balancer-manager page, JSON, jkstatus, metrics) on its
                       own listener, at /balancer-manager/ (recommended: 127.0.0.1:9090)
  --admin <path>       or at this path on the main listener
  --tls-cert <file>    with --tls-key: listen over HTTPS with this PEM certificate (chain); read again on SIGHUP
  --tls-key <file>     the certificate's PEM private key (without a passphrase)
  --check, --dry-run   validate, print the options (and every warning) as JSON and exit (1 when invalid);
                       AJP secrets are printed as "***"
  -h, --help           this text

Exit codes: 0 ok, 1 invalid configuration or start failure, 2 bad arguments.`

function usageError(message: string): never {
  process.stderr.write(`sticky-balancer: ${message}\n\n${USAGE}\n`)
  process.exit(2)
}

function parseListen(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value)
  if (!m || Number(m[3]) > 65535) usageError(`${flag} must be host:port or port, got ${JSON.stringify(value)}`)
  return { host: m[1] || m[2] || '127.0.0.1', port: Number(m[3]) }
}

/** What `--check` prints for an AJP secret. */
const REDACTED = '***'

/** `--check` output: the options with every AJP secret replaced by `***`. */
function redactSecrets(key: string, value: unknown): unknown {
  return key === 'secret' && typeof value === 'string' ? REDACTED : value
}

/** Where a secret `--check` redacted was kept as it was printed (`members[1].secret`), if anywhere. */
function redactedSecretAt(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  for (const [k, v] of Object.entries(value)) {
    const at = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k
    if (k === 'secret' && v === REDACTED) return at
    const inner = redactedSecretAt(v, at)
    if (inner !== undefined) return inner
  }
  return undefined
}

/** Puts the admin surface on the balancer mounted at `/` (or the first one). */
function withAdmin(balancers: ImportedBalancer[], path: string): void {
  const host = balancers.find((b) => b.mount === '/') ?? balancers[0]
  if (!host) return
  const mountPrefix = host.mount === '/' ? '' : host.mount
  const relative = mountPrefix && path.startsWith(`${mountPrefix}/`) ? path.slice(mountPrefix.length) : path
  host.options.admin = { ...host.options.admin, path: relative, name: host.options.admin?.name ?? host.name }
}

/** The arguments the configuration is loaded from. */
interface CliArgs {
  readonly config: string
  readonly format?: string | undefined
  readonly 'jk-mounts'?: string | undefined
  readonly admin?: string | undefined
}

/** One balancer being served at its mount. */
interface Running {
  readonly mount: string
  readonly prefix: string
  readonly balancer: Balancer
}

/** Reads, imports and validates the configuration; `undefined` when it cannot be read or imported. */
function loadConfig(args: CliArgs): { balancers: ImportedBalancer[]; invalid: boolean } | undefined {
  let text: string
  let jkMounts: string | undefined
  try {
    text = readFileSync(args.config, 'utf8')
    if (args['jk-mounts']) jkMounts = readFileSync(args['jk-mounts'], 'utf8')
  } catch (err) {
    process.stderr.write(`sticky-balancer: ${(err as Error).message}\n`)
    return undefined
  }

  let imported
  try {
    imported = importConfig(text, args.config, {
      ...(args.format ? { format: args.format as ConfigFormat } : {}),
      ...(jkMounts !== undefined ? { jkMounts, jkMountsFileName: args['jk-mounts']!.split(/[\\/]/).pop()! } : {}),
    })
  } catch (err) {
    process.stderr.write(`sticky-balancer: ${(err as Error).message}\n`)
    return undefined
  }
  for (const w of imported.warnings) process.stderr.write(`warning: ${w}\n`)
  const { balancers } = imported
  if (args.admin?.startsWith('/')) withAdmin(balancers, args.admin)

  let invalid = false
  if (balancers.length === 0) {
    process.stderr.write(`sticky-balancer: ${args.config}: no balancer found\n`)
    invalid = true
  }
  const mounts = new Set<string>()
  for (const b of balancers) {
    if (mounts.has(b.mount)) {
      process.stderr.write(`sticky-balancer: balancer ${b.name}: mount ${b.mount} is already taken by another balancer\n`)
      invalid = true
    }
    mounts.add(b.mount)
    const redacted = redactedSecretAt(b.options, '')
    if (redacted !== undefined) {
      process.stderr.write(`sticky-balancer: balancer ${b.name} (mount ${b.mount}): ${redacted} is "${REDACTED}", as --check prints it: put the real AJP secret back\n`)
      invalid = true
      continue
    }
    try {
      resolveBalancerOptions({ ...b.options, logger: false })
    } catch (err) {
      process.stderr.write(`sticky-balancer: balancer ${b.name} (mount ${b.mount}): ${(err as Error).message}\n`)
      invalid = true
    }
  }
  return { balancers, invalid }
}

async function main(): Promise<void> {
  let args
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        format: { type: 'string' },
        'jk-mounts': { type: 'string' },
        listen: { type: 'string', short: 'l' },
        admin: { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        check: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (err) {
    usageError((err as Error).message)
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  if (!args.config) usageError('--config is required')
  const formats: ConfigFormat[] = ['json', 'workers.properties', 'httpd', 'nginx']
  if (args.format !== undefined && !formats.includes(args.format as ConfigFormat)) usageError(`--format must be one of ${formats.join(', ')}`)
  if (args.admin !== undefined && args.admin.startsWith('/') && !/^\/[^\s?#]*$/.test(args.admin)) usageError('--admin must be host:port, or a path starting with "/"')
  const listen = parseListen(args.listen ?? '127.0.0.1:8080')
  const adminListen = args.admin !== undefined && !args.admin.startsWith('/') ? parseListen(args.admin, '--admin') : undefined
  if ((args['tls-cert'] === undefined) !== (args['tls-key'] === undefined)) usageError('--tls-cert and --tls-key go together')
  const tls: TlsFiles | undefined = args['tls-cert'] !== undefined ? { cert: args['tls-cert'], key: args['tls-key']! } : undefined

  const source: CliArgs = { config: args.config, format: args.format, 'jk-mounts': args['jk-mounts'], admin: args.admin }
  const loaded = loadConfig(source)
  if (!loaded) process.exit(1)
  const { balancers, invalid } = loaded
  if (tls) {
    try {
      readTlsFiles(tls)
    } catch (err) {
      process.stderr.write(`sticky-balancer: ${(err as Error).message}\n`)
      process.exit(1)
    }
  }
  if (args.check || args['dry-run']) {
    process.stdout.write(`${JSON.stringify({ balancers }, redactSecrets, 2)}\n`)
    process.exit(invalid ? 1 : 0)
  }
  if (invalid) process.exit(1)

  const start = (list: ImportedBalancer[]): Running[] => list
    .map((b) => ({ mount: b.mount, prefix: b.mount === '/' ? '' : b.mount, balancer: createBalancer(b.options) }))
    .sort((a, b) => b.prefix.length - a.prefix.length)
  let running = start(balancers)

  // --admin host:port: the admin surface of the balancer at `/` (or the first) on its own listener.
  let admin: AdminListener | undefined
  const listenAdmin = async (list: ImportedBalancer[]): Promise<void> => {
    if (!adminListen) return
    const chosen = list.find((b) => b.mount === '/') ?? list[0]
    const entry = chosen && running.find((r) => r.mount === chosen.mount)
    if (!chosen || !entry) return
    try {
      admin = await entry.balancer.listenAdmin({ ...adminListen, name: chosen.options.admin?.name ?? chosen.name })
      process.stdout.write(`admin of ${chosen.mount} at ${admin.url}\n`)
    } catch (err) {
      process.stderr.write(`sticky-balancer: cannot listen for the admin surface on ${adminListen.host}:${adminListen.port}: ${(err as Error).message}\n`)
      process.exit(1)
    }
  }

  /**
   * The balancer whose mount the path maps to, chosen as mod_jk maps a `JkMount` (and as Tomcat
   * maps a context): by the path normalised as Tomcat maps it, so `/x/../app/` is `/app/` and
   * `/app/../other/` is not below `/app`. The balancer gets the normalised path below its mount;
   * a path Tomcat would refuse (`%2f`, `..` above the root) is refused with 400.
   */
  const entryFor = (originalUrl: string): { entry: Running; relative: string } | PathRefusal | undefined => {
    const target = requestTarget('', originalUrl)
    if (isPathRefusal(target)) return target
    for (const entry of running) {
      const relative = relativeTo(target, entry.prefix)
      if (relative !== undefined) return { entry, relative }
    }
    return undefined
  }
  /** What the balancer of `routed` is handed: `req.url` below its mount, and the mount. */
  const mountOf = (routed: { entry: Running; relative: string }): MountContext =>
    routed.entry.prefix ? { mountPath: routed.entry.prefix, originalUrl: routed.entry.prefix + routed.relative } : {}
  const server = createSiteServer((req, res) => {
    const routed = entryFor(req.url ?? '/')
    // Refusals and failures are the balancer's own answers, with the statuses of docs/errors.md.
    if (!routed) return writeError(res, new NotFoundError())
    if (isPathRefusal(routed)) return writeError(res, pathRefusalError(routed))
    req.url = routed.relative || '/'
    void routed.entry.balancer.handle(req, res, undefined, mountOf(routed))
  }, tls)

  // WebSocket and other upgrades go to the balancer of their prefix, like requests (httpd needs
  // mod_proxy_wstunnel for this; mod_jk cannot). CONNECT is refused with 405: this is no tunnel.
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const routed = entryFor(req.url ?? '/')
    if (!routed || isPathRefusal(routed)) {
      socket.on('error', () => {})
      writeRawError(socket, routed ? pathRefusalError(routed) : new NotFoundError())
      return
    }
    req.url = routed.relative || '/'
    void routed.entry.balancer.handleUpgrade(req, socket, head, mountOf(routed))
  })
  server.on('connect', (req: http.IncomingMessage, socket: Duplex) => (running[0]?.balancer.handleConnect ?? refuseConnect)(req, socket))

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    process.stderr.write(`sticky-balancer: ${signal}: closing\n`)
    server.close()
    server.closeIdleConnections()
    void Promise.all(running.map((r) => r.balancer.close())).then(() => {
      server.closeAllConnections()
      process.exit(0)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  // SIGHUP: read the configuration again; new requests go to the new balancers at once, the old
  // ones finish what they are serving (up to closeTimeout). The listening socket and the clients'
  // connections stay open. An invalid configuration is reported and the running one kept.
  process.on('SIGHUP', () => {
    reloadTlsContext()
    const reloaded = loadConfig(source)
    if (!reloaded || reloaded.invalid) {
      process.stderr.write('sticky-balancer: SIGHUP: the configuration is invalid; keeping the running one\n')
      return
    }
    const previous = running
    running = start(reloaded.balancers)
    process.stderr.write(`sticky-balancer: SIGHUP: reloaded ${running.length} balancer(s)\n`)
    void Promise.all(previous.map((r) => r.balancer.close()))
    // The admin listener moves to the new balancer: the old one lets go of the port first.
    const before = admin
    admin = undefined
    void (before ? before.close() : Promise.resolve()).then(() => listenAdmin(reloaded.balancers))
  })

  server.on('error', (err) => {
    process.stderr.write(`sticky-balancer: cannot listen on ${listen.host}:${listen.port}: ${err.message}\n`)
    process.exit(1)
  })
  server.listen(listen.port, listen.host, () => {
    const { address, port } = server.address() as AddressInfo
    const origin = `${tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`
    for (const r of running) {
      const admin = balancers.find((b) => b.mount === r.mount)?.options.admin
      process.stdout.write(`${r.mount} → ${r.balancer.members.map((m) => `${m.url.protocol}//${m.url.host}`).join(', ')}${admin ? ` (admin at ${r.prefix}${admin.path ?? '/balancer-manager'})` : ''}\n`)
    }
    // listenAdmin reports its own failure and exits; nothing is left to reject here.
    void listenAdmin(balancers).then(() => process.stdout.write(`listening on ${origin}\n`))
  })
}

void main()
