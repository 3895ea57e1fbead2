/**
 * The systemd unit of examples/systemd/, run as systemd would run it (docs/guide/operations.md):
 * its `ExecStart=` as written, with the paths mapped to temporary directories standing in for
 * /opt/sticky-balancer (this checkout's package.json, dist/ and runtime dependencies, laid out as
 * npm installs them), /etc/sticky-balancer, /var/lib/sticky-balancer and /var/log/sticky-balancer; as an unprivileged user (the unit's `User=` when it exists here, else
 * `nobody`; the current user when the suite does not run as root); with the environment of its
 * `EnvironmentFile=` only; in `/`, with its `UMask=`; against the shared Tomcat nodes over AJP.
 * Then its `ExecReload=` and the rotation of its logrotate file.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { parseEnvironmentFile, parseUnitFile, splitCommandLine } from '../support/systemd-unit.js'
import type { UnitFile } from '../support/systemd-unit.js'
import { AJP_SECRET, REPO_ROOT, TOMCAT_NODES } from '../support/tomcat.js'
import type { TestappIndexJson } from '../support/tomcat.js'

const EXAMPLES = join(REPO_ROOT, 'examples', 'systemd')
const UNIT_FILE = join(EXAMPLES, 'sticky-balancer.service')
const CLI_DIST = join(REPO_ROOT, 'dist', 'cli.js')
/** Where the guide installs the package (docs/guide/operations.md, 1.: `npm install --prefix /opt/sticky-balancer`). */
const INSTALL_PREFIX = '/opt/sticky-balancer/'
const INSTALLED_PACKAGE = `${INSTALL_PREFIX}node_modules/sticky-balancer/`
const NODE_BINARY = '/usr/bin/node'

const isRoot = process.getuid?.() === 0

/** A user of this machine, from /etc/passwd. */
interface Account {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
  readonly shell: string
}

function account(name: string): Account | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid, , home, shell] = line.split(':')
    if (user === name) return { name, uid: Number(uid), gid: Number(gid), home: home ?? '/', shell: shell ?? '/bin/sh' }
  }
  return undefined
}

/** Who the service runs as here: the unit's User= when it exists, else nobody; the current user when not root. */
function serviceAccount(unit: UnitFile): Account {
  if (!isRoot) {
    const uid = process.getuid!()
    const found = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => Number(f[2]) === uid)
    return { name: found?.[0] ?? String(uid), uid, gid: process.getgid!(), home: found?.[5] ?? '/', shell: found?.[6] ?? '/bin/sh' }
  }
  const named = unit.get('Service', 'User')
  const chosen = (named && account(named)) || account('nobody')
  if (!chosen) throw new Error('neither the unit\'s User= nor nobody exists in /etc/passwd')
  return chosen
}

/** The machine the unit would run on, in a temporary directory: /etc/sticky-balancer, /var/lib/<StateDirectory>, /var/log/<LogsDirectory>. */
interface ServiceHost {
  readonly root: string
  readonly etc: string
  readonly stateDir: string
  readonly logsDir: string
  readonly user: Account
  readonly unit: UnitFile
  /** The Node binary the service runs: this one, or a copy when the service user cannot reach it. */
  readonly node: string
  /** The unit's path → this host's path (longest prefix first). */
  readonly paths: readonly (readonly [string, string])[]
}

const hosts: string[] = []
afterAll(() => {
  for (const dir of hosts) rmSync(dir, { recursive: true, force: true })
})

/** A directory as systemd's StateDirectory=/LogsDirectory= makes it: owned by the service user, with the unit's mode. */
function serviceDirectory(path: string, mode: string | undefined, user: Account): void {
  mkdirSync(path, { recursive: true })
  chmodSync(path, parseInt(mode ?? '0755', 8))
  if (isRoot) chownSync(path, user.uid, user.gid)
}

/**
 * The package as `npm install --prefix /opt/sticky-balancer` lays it out, under `root`: this
 * checkout's package.json and built dist/, and its runtime dependencies from node_modules. (A copy,
 * not this checkout: the service user may not be able to reach a checkout under /root.)
 */
function installPackage(root: string): string {
  const prefix = join(root, 'opt', 'sticky-balancer')
  const modules = join(prefix, 'node_modules')
  const own = join(modules, 'sticky-balancer')
  mkdirSync(own, { recursive: true })
  for (const dir of [join(root, 'opt'), prefix, modules, own]) chmodSync(dir, 0o755)
  cpSync(join(REPO_ROOT, 'package.json'), join(own, 'package.json'))
  cpSync(join(REPO_ROOT, 'dist'), join(own, 'dist'), { recursive: true })
  const pending = Object.keys(readPackage(REPO_ROOT).dependencies ?? {})
  const copied = new Set<string>()
  while (pending.length > 0) {
    const name = pending.pop()!
    if (copied.has(name)) continue
    copied.add(name)
    const from = join(REPO_ROOT, 'node_modules', name)
    cpSync(from, join(modules, name), { recursive: true, dereference: true })
    pending.push(...Object.keys(readPackage(from).dependencies ?? {}))
  }
  return prefix
}

function readPackage(dir: string): { dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
}

/** Whether any user can run `path`: every directory above it searchable by others, the file readable and executable by them. */
function reachableByOthers(path: string): boolean {
  const file = statSync(path).mode
  if ((file & 0o005) !== 0o005) return false
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false
    if (dir === '/') return true
  }
}

/** A copy of this Node binary the service user can run (when this one is below a directory only its owner may enter). */
function copyNode(root: string): string {
  const bin = join(root, 'usr', 'bin')
  mkdirSync(bin, { recursive: true })
  for (const dir of [join(root, 'usr'), bin]) chmodSync(dir, 0o755)
  const node = join(bin, 'node')
  cpSync(process.execPath, node)
  chmodSync(node, 0o755)
  return node
}

/**
 * Lays out /etc/sticky-balancer (the example configuration, with the shared nodes as members, and
 * the example environment file with the nodes' AJP secret, root-only) and the service's directories.
 */
function prepareHost(unitText: string): ServiceHost {
  const unit = parseUnitFile(unitText)
  const user = serviceAccount(unit)
  const root = mkdtempSync(join(tmpdir(), 'sb-service-'))
  hosts.push(root)
  chmodSync(root, 0o755) // the service user must reach what is below
  const etc = join(root, 'etc', 'sticky-balancer')
  mkdirSync(etc, { recursive: true, mode: 0o755 })
  chmodSync(join(root, 'etc'), 0o755)

  const stateName = unit.get('Service', 'StateDirectory')
  const logsName = unit.get('Service', 'LogsDirectory')
  if (!stateName || !logsName) throw new Error('the unit has no StateDirectory= or LogsDirectory=')
  const stateDir = join(root, 'var', 'lib', stateName)
  const logsDir = join(root, 'var', 'log', logsName)
  for (const dir of [join(root, 'var'), join(root, 'var', 'lib'), join(root, 'var', 'log')]) {
    mkdirSync(dir, { recursive: true })
    chmodSync(dir, 0o755)
  }
  serviceDirectory(stateDir, unit.get('Service', 'StateDirectoryMode'), user)
  serviceDirectory(logsDir, unit.get('Service', 'LogsDirectoryMode'), user)

  // The example configuration, its members replaced by the shared nodes (same ports by default).
  const config = JSON.parse(readFileSync(join(EXAMPLES, 'balancer.json'), 'utf8')) as { members: { url: string; route: string }[] }
  config.members = config.members.map((m, i) => ({ ...m, url: TOMCAT_NODES[i]!.ajpUrl, route: TOMCAT_NODES[i]!.route }))
  writeFileSync(join(etc, 'balancer.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 })
  // The example environment file, with the nodes' real secret; root's and 0600, as the guide says.
  const env = readFileSync(join(EXAMPLES, 'sticky-balancer.env'), 'utf8').replace(/^AJP_SECRET=.*$/m, `AJP_SECRET=${AJP_SECRET}`)
  writeFileSync(join(etc, 'sticky-balancer.env'), env, { mode: 0o600 })

  const prefix = installPackage(root)
  const node = reachableByOthers(process.execPath) ? process.execPath : copyNode(root)
  const paths: [string, string][] = [
    [INSTALL_PREFIX, `${prefix}/`],
    ['/etc/sticky-balancer/', `${etc}/`],
    [`/var/lib/${stateName}/`, `${stateDir}/`],
    [`/var/log/${logsName}/`, `${logsDir}/`],
  ]
  return { root, etc, stateDir, logsDir, user, unit, node, paths }
}

/** A path of the unit as it is on this host; throws for a path the test cannot stand in for. */
function mapPath(host: ServiceHost, path: string): string {
  if (path === NODE_BINARY) return host.node
  for (const [from, to] of host.paths) if (path.startsWith(from)) return to + path.slice(from.length)
  throw new Error(`the unit names ${path}, which this test has no stand-in for`)
}

/** `--flag value` of a command line. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag)
  return at < 0 ? undefined : argv[at + 1]
}

/** The unit's ExecStart, on this host: paths mapped, `--listen`/`--admin` on 127.0.0.1 port 0. */
function execStart(host: ServiceHost, env: Record<string, string>): string[] {
  const line = host.unit.get('Service', 'ExecStart')
  if (!line) throw new Error('the unit has no ExecStart=')
  const argv = splitCommandLine(line, env)
  return argv.map((word, i) => {
    const flag = argv[i - 1]
    if (flag === '--listen' || flag === '--admin') {
      if (word.startsWith('/')) return word // an admin path on the site's listener
      return '127.0.0.1:0'
    }
    return word.startsWith('/') ? mapPath(host, word) : word
  })
}

/** The environment systemd gives the process: its own few variables and the EnvironmentFile's, nothing of ours. */
function serviceEnvironment(host: ServiceHost): Record<string, string> {
  const file = host.unit.get('Service', 'EnvironmentFile')
  if (!file) throw new Error('the unit has no EnvironmentFile=')
  const fromFile = parseEnvironmentFile(readFileSync(mapPath(host, file.replace(/^-/, '')), 'utf8'))
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C.UTF-8',
    USER: host.user.name,
    LOGNAME: host.user.name,
    HOME: host.user.home,
    SHELL: host.user.shell,
    STATE_DIRECTORY: host.stateDir,
    LOGS_DIRECTORY: host.logsDir,
    ...fromFile,
  }
}

/** The running service: the process systemd would call `$MAINPID`, its output, its listeners. */
interface Service {
  readonly pid: number
  readonly argv: readonly string[]
  readonly site: string
  readonly admin: string
  out(): string
  err(): string
  readonly exit: Promise<number | null>
}

/** Starts the unit's ExecStart as the service user, in `/`, with the unit's UMask=; resolves once both listeners are up. */
async function startService(host: ServiceHost): Promise<Service> {
  const env = serviceEnvironment(host)
  const argv = execStart(host, env)
  const umask = host.unit.get('Service', 'UMask') ?? '0022'
  // `exec` keeps the pid: the one systemd would call $MAINPID is the balancer itself.
  const child = spawn('/bin/sh', ['-c', `umask ${umask} && exec "$0" "$@"`, ...argv], {
    cwd: '/',
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(isRoot ? { uid: host.user.uid, gid: host.user.gid } : {}),
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  child.stderr.on('data', (d: Buffer) => (err += d))
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const service = { pid: child.pid!, argv, out: () => out, err: () => err, exit }
  let site: string | undefined
  let admin: string | undefined
  await until(() => {
    site = /listening on (http:\/\/\S+)/.exec(out)?.[1]
    admin = /admin of \S+ at (http:\/\/\S+)/.exec(out)?.[1]
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the service exited (${child.exitCode ?? child.signalCode})\n${argv.join(' ')}\nstdout: ${out}\nstderr: ${err}`)
    return site !== undefined && admin !== undefined
  }, 20_000, () => `the service did not start\nstdout: ${out}\nstderr: ${err}`)
  return { ...service, site: site!, admin: admin! }
}

/** Polls `check` every 50 ms until it holds; throws `message()` after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message())
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** `/proc/<pid>/status` fields: `Uid` → `['65534', '65534', '65534', '65534']`. */
function procStatus(pid: number): Record<string, string[]> {
  const fields: Record<string, string[]> = {}
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const at = line.indexOf(':')
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1).trim().split(/\s+/).filter(Boolean)
  }
  return fields
}

/** A new session through the site, and the node that holds it. */
async function newSession(site: string): Promise<{ cookie: string; node: string }> {
  const res = await fetch(`${site}/testapp/index.jsp?format=json`)
  expect(res.status).toBe(200)
  const body = (await res.json()) as TestappIndexJson
  return { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, node: body.node }
}

async function nodeOf(site: string, cookie: string): Promise<string> {
  const res = await fetch(`${site}/testapp/index.jsp?format=json`, { headers: { cookie } })
  expect(res.status).toBe(200)
  return ((await res.json()) as TestappIndexJson).node
}

interface AdminSnapshot {
  nonce: string
  timeoutMs: number
  members: { id: string; weight: number }[]
}

async function adminSnapshot(admin: string): Promise<AdminSnapshot> {
  const res = await fetch(new URL('api', admin))
  if (res.status !== 200) throw new Error(`GET ${admin}api: ${res.status} ${await res.text()}`)
  return (await res.json()) as AdminSnapshot
}

/** A change through the admin surface's JSON API, as an operator would make it. */
async function setWeight(admin: string, id: string, weight: number): Promise<void> {
  const { nonce } = await adminSnapshot(admin)
  const res = await fetch(new URL(`api/members/${encodeURIComponent(id)}`, admin), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-balancer-nonce': nonce },
    body: JSON.stringify({ weight }),
  })
  expect(res.status, await res.clone().text()).toBe(200)
}

/** Runs one of the unit's commands (ExecReload=) as systemd does: as User=, with $MAINPID set. */
function runUnitCommand(host: ServiceHost, key: string, mainPid: number): void {
  const line = host.unit.get('Service', key)
  if (!line) throw new Error(`the unit has no ${key}=`)
  const [command, ...args] = splitCommandLine(line, { MAINPID: String(mainPid) })
  const result = spawnSync(command!, args, { cwd: '/', encoding: 'utf8', timeout: 10_000, ...(isRoot ? { uid: host.user.uid, gid: host.user.gid } : {}) })
  if (result.status !== 0) throw new Error(`${key}=${line} failed (${result.status ?? result.error?.message}): ${result.stderr}`)
}

/** Files below `dir` and their owners. */
function ownersBelow(dir: string): Record<string, number> {
  const owners: Record<string, number> = {}
  for (const name of readdirSync(dir)) owners[name] = statSync(join(dir, name)).uid
  return owners
}

const unitText = readFileSync(UNIT_FILE, 'utf8')
const systemdAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).error ? undefined : 'systemd-analyze'

beforeAll(() => {
  // The tomcat project runs after the build in CI; a checkout without dist/ builds it here.
  if (existsSync(CLI_DIST)) return
  const build = spawnSync('npx', ['tsup'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 300_000 })
  if (build.status !== 0) throw new Error(`npx tsup failed: ${build.stdout}${build.stderr}`)
}, 320_000)

describe('examples/systemd/sticky-balancer.service', () => {
  it('passes systemd-analyze verify', (ctx) => {
    if (!systemdAnalyze) {
      const reason = 'systemd-analyze is not installed on this machine (Debian: apt-get install systemd)'
      console.warn(`skipping systemd-analyze verify: ${reason}`)
      ctx.skip(reason)
    }
    // The unit as it would be installed here: the Node binary where this machine has it.
    const dir = mkdtempSync(join(tmpdir(), 'sb-unit-'))
    hosts.push(dir)
    const file = join(dir, basename(UNIT_FILE))
    writeFileSync(file, unitText.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `))
    const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 60_000 })
    const aboutUnit = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.includes(basename(UNIT_FILE)))
    expect(aboutUnit).toEqual([])
    expect(result.status, result.stderr).toBe(0)
  })

  it('names an unprivileged user, writes only where systemd lets it, and takes a capability only for a port below 1024', () => {
    const unit = parseUnitFile(unitText)
    const service = (key: string): string | undefined => unit.get('Service', key)
    expect(service('User')).toMatch(/^[a-z_][a-z0-9_-]*$/)
    expect(service('User')).not.toBe('root')
    expect(service('Group')).toBe(service('User'))
    expect(service('EnvironmentFile')).toMatch(/^\/etc\/sticky-balancer\//)
    expect(service('ExecReload')).toBe('/bin/kill -HUP $MAINPID')
    expect(service('Restart')).toBe('on-failure')
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes']] as const) expect(service(key), key).toBe(value)
    expect(service('MemoryDenyWriteExecute') ?? 'no').toBe('no') // V8 needs writable code memory

    const argv = splitCommandLine(service('ExecStart')!)
    expect(argv.slice(0, 2)).toEqual([NODE_BINARY, `${INSTALLED_PACKAGE}dist/cli.js`])
    expect(flagValue(argv, '--admin')).toMatch(/^127\.0\.0\.1:\d+$/)
    // ProtectSystem=strict: everything but StateDirectory= and LogsDirectory= is read-only.
    expect(flagValue(argv, '--access-log')).toMatch(new RegExp(`^/var/log/${service('LogsDirectory')}/[^/]+$`))
    expect(flagValue(argv, '--state-file')).toMatch(new RegExp(`^/var/lib/${service('StateDirectory')}/[^/]+$`))
    const port = Number(/:(\d+)$/.exec(flagValue(argv, '--listen') ?? '')?.[1])
    const ambient = unit.all('Service', 'AmbientCapabilities').join(' ').split(/\s+/).filter(Boolean)
    const bounding = unit.all('Service', 'CapabilityBoundingSet').join(' ').split(/\s+/).filter(Boolean)
    expect(ambient).toEqual(port < 1024 ? ['CAP_NET_BIND_SERVICE'] : [])
    expect(bounding).toEqual(port < 1024 ? ['CAP_NET_BIND_SERVICE'] : [])
  })

  it('runs as an unprivileged user with the EnvironmentFile\'s secret: serves, keeps sessions, owns what it writes, stops with 0', async () => {
    const host = prepareHost(unitText)
    const service = await startService(host)

    // The balancer itself is the unprivileged process: real, effective, saved and file-system ids.
    const status = procStatus(service.pid)
    expect(status.Uid).toEqual(Array(4).fill(String(host.user.uid)))
    expect(status.Gid).toEqual(Array(4).fill(String(host.user.gid)))
    if (isRoot) {
      expect(host.user.uid).not.toBe(0)
      expect(status.CapEff).toEqual(['0000000000000000'])
    }

    // Over AJP with the secret of the EnvironmentFile (${AJP_SECRET} in balancer.json): sessions spread and stay.
    const sessions = []
    for (let i = 0; i < 4; i++) sessions.push(await newSession(service.site))
    expect(new Set(sessions.map((s) => s.node))).toEqual(new Set(TOMCAT_NODES.map((n) => n.name)))
    for (const s of sessions) expect(await nodeOf(service.site, s.cookie)).toBe(s.node)

    // The access log and the state file (after an admin change) are written, by the service user only.
    const accessLog = flagValue(service.argv, '--access-log')!
    const stateFile = flagValue(service.argv, '--state-file')!
    const { members } = await adminSnapshot(service.admin)
    await setWeight(service.admin, members[1]!.id, 7)
    await until(() => existsSync(stateFile), 10_000, () => `${stateFile} was not written\nstderr: ${service.err()}`)
    await until(() => existsSync(accessLog) && readFileSync(accessLog, 'utf8').includes('/testapp/index.jsp'), 10_000, () => `${accessLog} has no request line\nstderr: ${service.err()}`)
    for (const dir of [host.stateDir, host.logsDir]) {
      for (const [name, uid] of Object.entries(ownersBelow(dir))) expect(uid, `${dir}/${name}`).toBe(host.user.uid)
    }
    // UMask=0027: nothing it writes is readable by other users.
    for (const file of [accessLog, stateFile]) expect(statSync(file).mode & 0o007, file).toBe(0)

    // systemctl stop: SIGTERM, a clean exit (Restart=on-failure does not restart it).
    process.kill(service.pid, 'SIGTERM')
    expect(await service.exit).toBe(0)
  })

  it('reloads with its ExecReload: the same process reads the configuration again and keeps the admin changes', async () => {
    const host = prepareHost(unitText)
    const service = await startService(host)
    const session = await newSession(service.site)
    const before = await adminSnapshot(service.admin)
    const changed = before.members[1]!.id
    await setWeight(service.admin, changed, 7)

    // A new timeout in the file; the members' lines are unchanged, so the admin change stays.
    const configFile = join(host.etc, 'balancer.json')
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { timeout: number }
    const timeout = config.timeout === 60_000 ? 90_000 : 60_000
    writeFileSync(configFile, `${JSON.stringify({ ...config, timeout }, null, 2)}\n`)
    runUnitCommand(host, 'ExecReload', service.pid)

    let after: AdminSnapshot | undefined
    await until(async () => {
      // The admin listener may move to the reloaded balancer (a new port when it was 0): the last one printed.
      const admin = [...service.out().matchAll(/admin of \S+ at (http:\/\/\S+)/g)].at(-1)![1]!
      after = await adminSnapshot(admin).catch(() => undefined)
      return after?.timeoutMs === timeout
    }, 15_000, () => `the reload did not take the new timeout (${after?.timeoutMs})\nstderr: ${service.err()}`)
    expect(after!.members.find((m) => m.id === changed)?.weight).toBe(7)
    expect(procStatus(service.pid).Uid).toEqual(Array(4).fill(String(host.user.uid)))
    expect(await nodeOf(service.site, session.cookie)).toBe(session.node)
  })

  it('rotates its access log as the logrotate file says: renamed, new file created, SIGUSR1, the next line in the new file', async () => {
    const unit = parseUnitFile(unitText)
    const rules = readFileSync(join(EXAMPLES, 'sticky-balancer.logrotate'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    const pattern = /^(\S+)\s*\{$/.exec(rules[0]!)?.[1]
    const accessLogPath = flagValue(splitCommandLine(unit.get('Service', 'ExecStart')!), '--access-log')!
    expect(pattern).toBeDefined()
    expect(accessLogPath).toMatch(new RegExp(`^${pattern!.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`))
    // The directory belongs to the service user: logrotate acts in it as that user (`su`), not as root.
    expect(rules).toContain(`su ${unit.get('Service', 'User')} ${unit.get('Service', 'Group')}`)
    const create = rules.find((l) => l.startsWith('create '))?.split(/\s+/)
    expect(create?.slice(2)).toEqual([unit.get('Service', 'User'), unit.get('Service', 'Group')])
    const script = rules.slice(rules.indexOf('postrotate') + 1, rules.indexOf('endscript')).join('\n')
    expect(script).toMatch(/systemctl kill --kill-who=main --signal=SIGUSR1 sticky-balancer\.service/)

    const host = prepareHost(unitText)
    const service = await startService(host)
    const accessLog = flagValue(service.argv, '--access-log')!
    await fetch(`${service.site}/testapp/index.jsp?before-rotation`).then((r) => r.arrayBuffer())
    await until(() => existsSync(accessLog) && readFileSync(accessLog, 'utf8').includes('before-rotation'), 10_000, () => `no line in ${accessLog}\nstderr: ${service.err()}`)

    // What logrotate does: rename, `create <mode> <user> <group>`, then the postrotate script's SIGUSR1 to the main process.
    renameSync(accessLog, `${accessLog}.1`)
    writeFileSync(accessLog, '', { mode: parseInt(create![1]!, 8) })
    chmodSync(accessLog, parseInt(create![1]!, 8))
    if (isRoot) chownSync(accessLog, host.user.uid, host.user.gid)
    process.kill(service.pid, 'SIGUSR1')

    await until(async () => {
      await fetch(`${service.site}/testapp/index.jsp?after-rotation`).then((r) => r.arrayBuffer())
      return readFileSync(accessLog, 'utf8').includes('after-rotation')
    }, 10_000, () => `the access log was not reopened\n${accessLog}: ${readFileSync(accessLog, 'utf8')}\nstderr: ${service.err()}`)
    expect(readFileSync(`${accessLog}.1`, 'utf8')).toContain('before-rotation')
    expect(service.out() + service.err()).not.toMatch(/EACCES|EPERM/)
    expect(procStatus(service.pid).Uid).toEqual(Array(4).fill(String(host.user.uid)))
  })
})
