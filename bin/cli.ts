#!/usr/bin/env node
/**
 * `sticky-balancer`: run a balancer from a configuration file, or check one.
 *
 * ```
 * sticky-balancer --config balancer.json|workers.properties|httpd.conf|nginx.conf
 *                 [--jk-mounts mod_jk.conf] [--listen 127.0.0.1:8080] [--admin 127.0.0.1:9090|/balancer-manager]
 *                 [--state-file /var/lib/sticky-balancer/state.json] [--tls-cert site.pem --tls-key site.key] [--check]
 *                 [--access-log access.log|- [--access-log-format combined|common|json]]
 * sticky-balancer --version
 * ```
 *
 * The configuration is imported (see docs/guide/migration.md), warnings go to stderr, and either
 * `--check` prints the resulting options as JSON (AJP secrets shown as `***`) and exits, or a node:http server (node:https with `--tls-cert`) serves
 * every imported balancer at its mount path until SIGINT or SIGTERM (SIGHUP reloads the
 * configuration, keeping upgraded connections and run-time admin changes: bin/cli/reload.ts;
 * `--state-file` keeps those changes across restarts: bin/cli/state-file.ts; SIGUSR1 reopens the
 * access log: bin/cli/access-log-file.ts). See docs/guide/cli.md.
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
import type { BalancerOptions } from '../lib/options.js'
import { isPathRefusal, pathRefusalError, relativeTo, requestTarget } from '../lib/proxy/request-target.js'
import type { PathRefusal } from '../lib/proxy/request-target.js'
import { refuseConnect } from '../lib/upgrade/attach.js'
import { writeError, writeRawError } from '../lib/respond.js'
import { applySavedState, reloadBalancers } from './cli/reload.js'
import { byPrefix, startBalancer } from './cli/running.js'
import type { Running } from './cli/running.js'
import { StateFile } from './cli/state-file.js'
import { ACCESS_LOG_FORMATS } from '../lib/access-log/log-format.js'
import type { AccessLogFormat } from '../lib/access-log/log-format.js'
import { AccessLog } from './cli/access-log-file.js'
import { commandVersion } from './cli/version.js'
import { createSiteServer, readTlsFiles, reloadTlsContext } from './cli/tls-listener.js'
import type { TlsFiles } from './cli/tls-listener.js'

const USAGE = `Usage: sticky-balancer --config <file> [options]

  --config <file>      balancer.json, workers.properties, an httpd or an nginx configuration
  --format <format>    json | workers.properties | httpd | nginx (default: from name and content)
  --jk-mounts <file>   with workers.properties: the httpd file with the JkMount lines
  --listen <host:port> where to listen (default 127.0.0.1:8080; port 0 picks a free one)
  --tls-cert <file>    with --tls-key: listen over HTTPS with this PEM certificate (chain);
                       read again on SIGHUP
  --tls-key <file>     the certificate's PEM private key (without a passphrase)
  --admin <host:port>  serve the admin surface (balancer-manager page, JSON, jkstatus, metrics) on its
                       own listener, at /balancer-manager/ (recommended: 127.0.0.1:9090)
  --admin <path>       or at this path on the main listener
  --access-log <file>  write one line per request to <file> (appended, created 0640; "-": stdout), and
                       the admin audit lines (without it they go to stderr); SIGUSR1 reopens the file
  --access-log-format <format>
                       combined | common | json (default: combined)
  --state-file <file>  keep run-time admin changes (drain, stop, weight, added/removed members) in this
                       file and apply them again at start (like httpd's BalancerPersist On)
  --check, --dry-run   validate, print the options (and every warning) as JSON and exit (1 when invalid);
                       AJP secrets are printed as "***"
  -v, --version        print the version and exit
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
        'state-file': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        check: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        'access-log': { type: 'string' },
        'access-log-format': { type: 'string' },
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
  if (args.version) {
    process.stdout.write(`${commandVersion()}\n`)
    return
  }
  const accessLogFormat = (args['access-log-format'] ?? 'combined') as AccessLogFormat
  if (!ACCESS_LOG_FORMATS.includes(accessLogFormat)) usageError(`--access-log-format must be one of ${ACCESS_LOG_FORMATS.join(', ')}`)
  if (args['access-log'] === '') usageError('--access-log must name a file, or "-" for stdout')
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

  // The access log (and the admin audit lines): opened before the balancers, which it watches.
  let accessLog: AccessLog
  try {
    accessLog = AccessLog.open(args['access-log'], accessLogFormat)
  } catch (err) {
    process.stderr.write(`sticky-balancer: cannot open the access log: ${(err as Error).message}\n`)
    process.exit(1)
  }
  process.on('SIGUSR1', () => accessLog.reopen())

  const createWatched = (options: BalancerOptions): Balancer => accessLog.watch(createBalancer(options))
  let running: Running[] = byPrefix(balancers.map((b) => startBalancer(b, createWatched)))
  /** Balancers a reload replaced, finishing their requests and upgraded connections. */
  const retired = new Set<Balancer>()
  const say = (line: string): void => void process.stderr.write(`sticky-balancer: ${line}\n`)

  // --state-file: run-time admin changes saved after each one, and applied again now.
  const stateFile = args['state-file'] !== undefined ? new StateFile(args['state-file'], () => running, (line) => say(`warning: ${line}`)) : undefined
  if (stateFile) {
    const saved = stateFile.read()
    if (saved) applySavedState(running, saved, (line) => say(`state file: ${line}`))
    stateFile.watch(running)
    stateFile.write()
  }

  // --admin host:port: the admin surface of the balancer at `/` (or the first) on its own listener.
  let admin: AdminListener | undefined
  let adminOf: Balancer | undefined
  const listenAdmin = async (list: ImportedBalancer[]): Promise<void> => {
    if (!adminListen) return
    const chosen = list.find((b) => b.mount === '/') ?? list[0]
    const entry = chosen && running.find((r) => r.mount === chosen.mount)
    if (!chosen || !entry) return
    try {
      admin = await entry.balancer.listenAdmin({ ...adminListen, name: chosen.options.admin?.name ?? chosen.name })
      adminOf = entry.balancer
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
    // The target as the client sent it, for the access log (Express's name for it).
    (req as http.IncomingMessage & { originalUrl?: string }).originalUrl = req.url
    const routed = entryFor(req.url ?? '/')
    // Refusals and failures are the balancer's own answers, with the statuses of docs/errors.md.
    if (!routed || isPathRefusal(routed)) {
      const refusal = routed ? pathRefusalError(routed) : new NotFoundError()
      accessLog.refused(req, res, refusal.code)
      return writeError(res, refusal)
    }
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
    void Promise.all([...running.map((r) => r.balancer), ...retired].map((b) => b.close())).then(async () => {
      server.closeAllConnections()
      await accessLog.close()
      process.exit(0)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
  // SIGHUP: read the configuration again and apply it (bin/cli/reload.ts): members changed in
  // place, run-time admin changes kept unless the file changed them, a balancer rebuilt only when
  // its other options changed (the old one keeps its requests and upgraded connections until they
  // end). One stderr line per change. An invalid configuration is reported and the running one kept.
  process.on('SIGHUP', () => {
    if (stopping) return
    reloadTlsContext()
    const reloaded = loadConfig(source)
    if (!reloaded || reloaded.invalid) {
      say('SIGHUP: the configuration is invalid; keeping the running one')
      return
    }
    const result = reloadBalancers(running, reloaded.balancers, (line) => say(`SIGHUP: ${line}`), createWatched)
    running = result.running
    for (const old of result.retired) {
      retired.add(old.balancer)
      void old.balancer.close({ keepUpgrades: true }).then(() => retired.delete(old.balancer))
    }
    stateFile?.watch(running)
    stateFile?.write()
    say(`SIGHUP: reloaded ${running.length} balancer(s)`)
    // The admin listener moves only when its balancer was retired (it let go of the port).
    if (adminOf && !running.some((r) => r.balancer === adminOf)) {
      const before = admin
      admin = undefined
      adminOf = undefined
      void (before ? before.close() : Promise.resolve()).then(() => listenAdmin(reloaded.balancers))
    }
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
