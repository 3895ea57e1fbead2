/**
 * Imports mod_jk's `workers.properties` (and the `JkMount` lines of an httpd configuration, or a
 * `uriworkermap.properties`) as balancer options.
 *
 * Keys and defaults follow the mod_jk workers reference (tomcat.apache.org/connectors-doc/reference/workers.html).
 *
 * This file is long because every worker and load-balancer key of that reference (with inheritance
 * through `reference=`) is mapped, or warned about with its line number, here in one place, together
 * with the `JkMount` rules. It runs once, at start-up.
 *
 * @module
 */
import type { BalancerOptions, MemberOptions } from '../options.js'
import type { AdminOptions } from '../admin/options.js'
import type { SchedulerName } from '../schedulers/scheduler.js'
import type { AjpTransportOptions } from '../transports/ajp/options.js'
import type { StickyOptions } from '../session/sticky-options.js'
import type { ImportOptions, ImportResult, ImportedBalancer } from './types.js'
import { Warnings, asRoute, isBelow, mountOf, parseBoolean, parseInteger, relativeTo, toWeight } from './warnings.js'

/**
 * Options of {@link fromWorkersProperties}.
 *
 * @example
 * ```ts
 * fromWorkersProperties(readFileSync('/etc/apache2/workers.properties', 'utf8'), {
 *   fileName: 'workers.properties',
 *   jkMounts: readFileSync('/etc/apache2/mods-available/jk.conf', 'utf8'),
 *   jkMountsFileName: 'jk.conf',
 * })
 * ```
 */
export interface WorkersPropertiesImportOptions extends ImportOptions {
  /**
   * The text of the httpd configuration that holds the `JkMount`/`JkUnMount` lines (also inside
   * `<Location>` blocks), or of a `uriworkermap.properties` (`/app/*=lb`, `!/app/static/*=lb`).
   * Without it every lb worker is mounted at `/` (or at its `mount` property).
   */
  jkMounts?: string
  /** The file name of `jkMounts` used in warnings. Default: `httpd.conf`. */
  jkMountsFileName?: string
}

interface Prop {
  value: string
  line: number
}

type WorkerProps = Map<string, Prop>

/** mod_jk `method` → our scheduler, and whether that is exact. */
const METHODS: Record<string, { scheduler: SchedulerName; note?: string }> = {
  r: { scheduler: 'byrequests' },
  t: { scheduler: 'bytraffic' },
  b: { scheduler: 'bybusyness' },
  s: { scheduler: 'byrequests', note: 'method=Session (count sessions, not requests) has no equal: byrequests is used' },
  n: { scheduler: 'byrequests', note: 'method=Next (round robin of sessions) has no equal: byrequests is used' },
}

/** Keys we know but do not map: why, for the warning. */
const IGNORED: Record<string, string> = {
  socket_timeout: 'use the timeout option (ms) instead',
  socket_keepalive: 'TCP keep-alive is not configurable',
  connection_pool_minsize: 'pools grow on demand',
  connection_acquire_timeout: 'connectTimeout also bounds the wait for a pooled connection',
  lb_retries: 'maxAttempts bounds the members tried',
  retry_interval: 'retries happen at once',
  error_escalation_time: 'members go into error on the first failure (see maxFails)',
  max_reply_timeouts: 'a reply timeout always counts as a failure',
  recovery_options: 'only idempotent requests without a sent body are retried (retryIdempotent)',
  busy_limit: 'use ajp.maxConnections and ajp.maxQueued',
  set_session_cookie: 'use sticky.balancerCookie to have the balancer pin clients',
  session_cookie_path: 'use sticky.balancerCookie.path',
  sticky_session_remove: 'not supported',
  lock: 'not needed',
  user: 'use admin.authorize',
  user_case_insensitive: 'use admin.authorize',
  css: 'the admin page has its own style',
  prefix: 'jkstatus property output always uses the prefix "worker"',
  ns: 'not supported',
  xmlns: 'not supported',
  doctype: 'not supported',
  good: 'not supported',
  bad: 'not supported',
  cache_timeout: 'deprecated in mod_jk: use connection_pool_timeout',
  cachesize: 'deprecated in mod_jk: use connection_pool_size',
  recycle_timeout: 'deprecated in mod_jk',
  prepost_timeout: 'CPING before each request is ping_mode=P',
  max_reply_timeouts_time: 'not supported',
}

const MEMBER_KEYS = new Set(['type', 'host', 'port', 'lbfactor', 'route', 'jvm_route', 'domain', 'redirect', 'activation', 'disabled', 'stopped', 'distance', 'secret',
  'max_packet_size', 'ping_mode', 'ping_timeout', 'connection_ping_interval', 'connect_timeout', 'socket_connect_timeout', 'reply_timeout', 'retries', 'reference',
  'connection_pool_size', 'connection_pool_timeout', 'mount'])
const LB_KEYS = new Set(['type', 'balance_workers', 'balanced_workers', 'sticky_session', 'sticky_session_force', 'method', 'session_cookie', 'session_path', 'secret',
  'recover_time', 'retries', 'fail_on_status', 'reference', 'mount', 'max_packet_size', 'ping_mode', 'ping_timeout', 'connection_ping_interval', 'connect_timeout',
  'socket_connect_timeout', 'reply_timeout', 'connection_pool_size', 'connection_pool_timeout', 'host', 'port'])
const STATUS_KEYS = new Set(['type', 'read_only', 'mount', 'reference'])

/** Parses Java-style properties: `#`/`!` comments, `\` continuation lines, `key=value` or `key: value`. */
function parseProperties(text: string): { key: string; value: string; line: number }[] {
  const out: { key: string; value: string; line: number }[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1
    let line = lines[i]!.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trim()
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line)
    if (!m) {
      out.push({ key: '', value: line, line: start })
      continue
    }
    out.push({ key: m[1]!, value: m[2]!.trim(), line: start })
  }
  return out
}

/**
 * mod_jk's `$(name)` substitution of other properties. mod_jk would also look an unknown name up
 * in the environment; here that is `${name}` (expanded before import), so `$(name)` is kept as
 * written with a warning rather than silently becoming, say, the text of an AJP secret.
 */
function substitute(value: string, globals: Map<string, string>, line: number, w: Warnings): string {
  return value.replace(/\$\(([^)]+)\)/g, (all, name: string) => {
    const found = globals.get(name)
    if (found === undefined) w.add(line, `$(${name}) names no property above: kept as written (mod_jk would read the environment; write \${${name}} for that)`)
    return found ?? all
  })
}

interface Mount {
  path: string
  worker: string
  unmount: boolean
  line: number
  file: string
}

/** `JkMount`/`JkUnMount` lines of an httpd configuration, or the lines of a `uriworkermap.properties`. */
function parseJkMounts(text: string, file: string, warnings: Warnings[]): Mount[] {
  const mounts: Mount[] = []
  const locations: string[] = []
  const lines = text.split(/\r?\n/)
  const fileWarnings = new Warnings(file)
  warnings.push(fileWarnings)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const open = /^<\s*Location(?:Match)?\s+"?([^">]+)"?\s*>$/i.exec(line)
    if (open) {
      locations.push(open[1]!)
      continue
    }
    if (/^<\/\s*Location(?:Match)?\s*>$/i.test(line)) {
      locations.pop()
      continue
    }
    const jk = /^Jk(Un)?Mount\s+(.*)$/i.exec(line)
    if (jk) {
      const args = jk[2]!.trim().split(/\s+/)
      const unmount = jk[1] !== undefined
      if (args.length >= 2) mounts.push({ path: args[0]!, worker: args[1]!, unmount, line: i + 1, file })
      else if (args.length === 1 && locations.length > 0) mounts.push({ path: locations.at(-1)!, worker: args[0]!, unmount, line: i + 1, file })
      else fileWarnings.add(i + 1, `Jk${unmount ? 'Un' : ''}Mount needs a path and a worker (or a <Location>): ignored`)
      continue
    }
    const map = /^(!?)(\/\S*)\s*=\s*(\S+)$/.exec(line)
    if (map) {
      mounts.push({ path: map[2]!, worker: map[3]!.replace(/;.*$/, ''), unmount: map[1] === '!', line: i + 1, file })
      continue
    }
    if (/^Jk/i.test(line) && !/^Jk(WorkersFile|LogFile|LogLevel|ShmFile|WatchdogInterval|LogStampFormat)\b/i.test(line)) {
      fileWarnings.add(i + 1, `${line.split(/\s+/)[0]} is not imported`)
    }
  }
  return mounts
}

/**
 * Imports a mod_jk `workers.properties`: each `lb` worker (and each plain `ajp13` worker) named in
 * `worker.list` becomes a balancer of `ajp://` members; a `status` worker becomes the admin surface
 * (at its `JkMount` path) of the balancer mounted above it.
 *
 * Never throws on odd input: what cannot be mapped is reported in `warnings`, one per file line.
 *
 * @example
 * ```ts
 * const { balancers, warnings } = fromWorkersProperties(readFileSync('workers.properties', 'utf8'), {
 *   jkMounts: readFileSync('mod_jk.conf', 'utf8'),
 * })
 * for (const w of warnings) console.warn(w)
 * app.use(balancers[0].mount, stickyBalancer(balancers[0].options))
 * ```
 */
export function fromWorkersProperties(text: string, options: WorkersPropertiesImportOptions = {}): ImportResult {
  const w = new Warnings(options.fileName ?? 'workers.properties')
  const extra: Warnings[] = []
  const workers = new Map<string, WorkerProps>()
  const globals = new Map<string, string>()
  let listProp: Prop | undefined
  for (const { key, value, line } of parseProperties(text)) {
    if (key === '') {
      w.add(line, `not a property line: ${JSON.stringify(value)}: ignored`)
      continue
    }
    const m = /^worker\.([^.]+)\.(.+)$/.exec(key)
    if (key === 'worker.list') {
      // mod_jk allows several worker.list lines; they add up.
      listProp = listProp ? { value: `${listProp.value},${value}`, line: listProp.line } : { value, line }
      continue
    }
    if (m) {
      const [, name, prop] = m as unknown as [string, string, string]
      if (!workers.has(name)) workers.set(name, new Map())
      workers.get(name)!.set(prop, { value: substitute(value, globals, line, w), line })
      continue
    }
    globals.set(key, value)
    if (key === 'worker.maintain') w.add(line, 'worker.maintain is not needed: counters decay continuously and recovery follows retry')
    else if (key === 'ps') continue
    else w.add(line, `${key} is not used by the balancer: ignored`)
  }

  // reference=: copy the template's properties the worker does not set (templates may chain).
  const resolving = new Set<string>()
  const resolve = (name: string): WorkerProps | undefined => {
    const props = workers.get(name)
    if (!props) return undefined
    const ref = props.get('reference')
    if (!ref) return props
    if (resolving.has(name)) {
      w.add(ref.line, `worker.${name}.reference forms a cycle: ignored`)
      props.delete('reference')
      return props
    }
    resolving.add(name)
    const target = ref.value.replace(/^worker\./, '')
    const template = resolve(target)
    resolving.delete(name)
    if (!template) w.add(ref.line, `worker.${name}.reference names an unknown worker "${ref.value}": ignored`)
    else for (const [k, v] of template) if (!props.has(k) && k !== 'reference') props.set(k, v)
    props.delete('reference')
    return props
  }
  const templates = new Set<string>()
  for (const [name, props] of workers) {
    const ref = props.get('reference')
    if (ref) templates.add(ref.value.replace(/^worker\./, ''))
    resolve(name)
  }

  const typeOf = (name: string): string => workers.get(name)?.get('type')?.value ?? 'ajp13'
  const listed = listProp ? listProp.value.split(/[,\s]+/).filter(Boolean) : []
  if (!listProp) w.add(0, 'no worker.list: mod_jk would use a single worker "ajp13"; every lb worker is imported instead')
  const top = listProp ? listed : [...workers.keys()].filter((n) => typeOf(n) === 'lb')

  const balanceMembers = new Set<string>()
  for (const name of workers.keys()) {
    if (typeOf(name) !== 'lb') continue
    const bw = workers.get(name)!.get('balance_workers') ?? workers.get(name)!.get('balanced_workers')
    for (const m of bw?.value.split(/[,\s]+/).filter(Boolean) ?? []) balanceMembers.add(m)
  }
  for (const name of workers.keys()) {
    if (!top.includes(name) && !balanceMembers.has(name) && !templates.has(name)) {
      const line = workers.get(name)!.values().next().value?.line ?? 0
      w.add(line, `worker ${name} is neither in worker.list nor a balance_workers member: not imported (mod_jk would not use it either)`)
    }
  }

  // Mounts: the worker's own `mount` property, then JkMount lines.
  const mounts: Mount[] = []
  for (const name of top) {
    const mp = workers.get(name)?.get('mount')
    if (mp) for (const path of mp.value.split(/[,\s]+/).filter(Boolean)) {
      const unmount = path.startsWith('-')
      mounts.push({ path: unmount ? path.slice(1) : path, worker: name, unmount, line: mp.line, file: '' })
    }
  }
  if (options.jkMounts !== undefined) mounts.push(...parseJkMounts(options.jkMounts, options.jkMountsFileName ?? 'httpd.conf', extra))
  const mountWarn = (m: Mount, message: string) => {
    if (m.file === '') w.add(m.line, message)
    else extra[0]!.add(m.line, message)
  }

  const balancers: ImportedBalancer[] = []
  const statusWorkers: { name: string; line: number; readOnly: boolean }[] = []
  for (const name of top) {
    const props = workers.get(name)
    const type = typeOf(name)
    const line = listProp?.line ?? 0
    if (type === 'status') {
      const ro = props?.get('read_only')
      for (const [k, v] of props ?? []) if (!STATUS_KEYS.has(k)) w.add(v.line, `worker.${name}.${k} is not supported on a status worker${IGNORED[k] ? ` (${IGNORED[k]})` : ''}: ignored`)
      statusWorkers.push({ name, line, readOnly: ro ? parseBoolean(ro.value) ?? false : false })
      continue
    }
    if (type === 'lb') {
      const imported = importLb(name, props!, workers, w, typeOf)
      if (imported) balancers.push({ name, mount: '/', options: imported })
      continue
    }
    if (type === 'ajp13' || type === 'ajp14') {
      if (!props) {
        w.add(line, `worker.list names ${name}, which has no properties: imported as ajp://localhost:8009`)
      }
      const member = importMember(name, props ?? new Map(), w, undefined)
      if (!member) continue
      const opts: BalancerOptions = { members: [member.member], scheduler: 'byrequests', sticky: false }
      w.add(line, `worker ${name} is a single ajp13 worker: imported as a balancer of one member`)
      balancers.push({ name, mount: '/', options: opts })
      continue
    }
    w.add(props?.get('type')?.line ?? line, `worker ${name} has type ${type}, which is not supported: not imported`)
  }

  // Apply mounts to balancers.
  const mountedByName = new Map<string, string[]>()
  const statusMounts = new Map<string, string[]>()
  for (const m of mounts) {
    const target = balancers.find((b) => b.name === m.worker)
    const status = statusWorkers.find((s) => s.name === m.worker)
    if (m.unmount) continue
    if (status) {
      statusMounts.set(m.worker, [...(statusMounts.get(m.worker) ?? []), m.path])
      continue
    }
    if (!target) {
      mountWarn(m, `JkMount ${m.path} ${m.worker}: no imported worker is called ${m.worker}: ignored`)
      continue
    }
    if (/[*?]/.test(m.path.replace(/\/\*$/, ''))) {
      mountWarn(m, `JkMount ${m.path}: only path prefixes (/app/*) can be mounted; wildcards elsewhere are not supported: mounted at ${mountOf(m.path.replace(/[*?].*$/, ''))}`)
    }
    const path = mountOf(m.path.replace(/[*?].*$/, ''))
    const list = mountedByName.get(m.worker) ?? []
    if (!list.includes(path)) list.push(path)
    mountedByName.set(m.worker, list)
  }
  const result: ImportedBalancer[] = []
  for (const b of balancers) {
    const paths = mountedByName.get(b.name)
    if (!paths || paths.length === 0) {
      if (mounts.length > 0 || options.jkMounts !== undefined) w.add(listProp?.line ?? 0, `worker ${b.name} is not mounted by any JkMount: mounted at /`)
      result.push(b)
      continue
    }
    // The shortest of /app and /app/* style duplicates; several distinct paths give several balancers.
    const distinct = paths.filter((p) => !paths.some((q) => q !== p && isBelow(p, q)))
    distinct.forEach((path, i) => result.push({ name: i === 0 ? b.name : `${b.name}-${i + 1}`, mount: path, options: i === 0 ? b.options : structuredClone(b.options) }))
  }
  for (const m of mounts) {
    if (!m.unmount) continue
    const targets = result.filter((b) => (b.name === m.worker || b.name.startsWith(`${m.worker}-`)) && isBelow(mountOf(m.path), b.mount))
    if (targets.length === 0) {
      mountWarn(m, `JkUnMount ${m.path} ${m.worker}: no balancer of that worker is mounted above it: ignored`)
      continue
    }
    if (/[*?]/.test(m.path.replace(/\/\*$/, ''))) mountWarn(m, `JkUnMount ${m.path}: only path prefixes are supported: excluded ${mountOf(m.path.replace(/[*?].*$/, ''))}`)
    for (const b of targets) (b.options.exclude ??= []).push(relativeTo(mountOf(m.path.replace(/[*?].*$/, '')), b.mount))
  }

  // Status workers → admin surface of the balancer mounted above their path.
  for (const s of statusWorkers) {
    const paths = statusMounts.get(s.name) ?? []
    if (paths.length === 0) {
      w.add(s.line, `status worker ${s.name} is not mounted by any JkMount: no admin surface imported (use --admin or the admin option)`)
      continue
    }
    for (const raw of paths) {
      const path = mountOf(raw.replace(/[*?].*$/, ''))
      const host = result.filter((b) => isBelow(path, b.mount)).sort((a, b) => b.mount.length - a.mount.length)[0]
      if (!host) {
        w.add(s.line, `status worker ${s.name} at ${raw}: no balancer is mounted above that path: mount one with an admin option there`)
        continue
      }
      if (host.options.admin) {
        w.add(s.line, `status worker ${s.name} at ${raw}: balancer ${host.name} already has an admin surface: ignored`)
        continue
      }
      const admin: AdminOptions = { path: relativeTo(path, host.mount), name: host.name }
      if (s.readOnly) admin.readOnly = true
      host.options.admin = admin
      w.add(s.line, `status worker ${s.name} → admin surface of ${host.name} at ${path} (jkstatus commands and formats; loopback clients only unless admin.authorize says otherwise)`)
    }
  }

  return { balancers: result, warnings: [...w.list, ...extra.flatMap((x) => x.list)] }
}

function flag(props: WorkerProps, key: string, w: Warnings, worker: string): boolean | undefined {
  const p = props.get(key)
  if (!p) return undefined
  const b = parseBoolean(p.value)
  if (b === undefined) w.add(p.line, `worker.${worker}.${key}=${p.value} is not a boolean: ignored`)
  return b
}

/** AJP settings shared by lb and member workers (an lb's are inherited by its members). */
function ajpSettings(props: WorkerProps, w: Warnings, worker: string): AjpTransportOptions {
  const ajp: AjpTransportOptions = {}
  const num = (key: string): { n: number; line: number } | undefined => {
    const p = props.get(key)
    if (!p) return undefined
    const n = parseInteger(p.value)
    if (n === undefined) {
      w.add(p.line, `worker.${worker}.${key}=${p.value} is not a non-negative integer: ignored`)
      return undefined
    }
    return { n, line: p.line }
  }
  const secret = props.get('secret')
  if (secret) ajp.secret = secret.value
  const packet = num('max_packet_size')
  if (packet) {
    const size = Math.min(65536, Math.max(8192, Math.ceil(packet.n / 1024) * 1024))
    if (size !== packet.n) w.add(packet.line, `worker.${worker}.max_packet_size=${packet.n} becomes ${size} (8192..65536, a multiple of 1024)`)
    ajp.packetSize = size
  }
  const pingTimeout = num('ping_timeout')
  if (pingTimeout && pingTimeout.n > 0) ajp.pingTimeout = pingTimeout.n
  const mode = props.get('ping_mode')
  if (mode) {
    const flags = mode.value.toUpperCase()
    const interval = num('connection_ping_interval')
    if (flags.includes('A') || flags.includes('P')) ajp.pingAfterIdle = 0
    else if (flags.includes('I')) ajp.pingAfterIdle = interval ? interval.n * 1000 : 10 * (ajp.pingTimeout ?? 10000)
    if (flags.includes('C') && !flags.includes('A')) w.add(mode.line, `worker.${worker}.ping_mode=C (CPING after connect) is not supported: connections are checked when idle (ajp.pingAfterIdle)`)
    if (/[^CPIA]/.test(flags)) w.add(mode.line, `worker.${worker}.ping_mode=${mode.value} has unknown flags: only C, P, I and A are known`)
  } else if (props.has('connection_ping_interval')) {
    const interval = num('connection_ping_interval')
    if (interval) ajp.pingAfterIdle = interval.n * 1000
  }
  const socketConnect = num('socket_connect_timeout')
  const connect = num('connect_timeout')
  if (socketConnect && socketConnect.n > 0) ajp.connectTimeout = socketConnect.n
  if (connect && connect.n > 0) {
    if (!socketConnect) ajp.connectTimeout = connect.n
    w.add(connect.line, `worker.${worker}.connect_timeout=${connect.n} (mod_jk: CPING wait after connecting) becomes ajp.connectTimeout, the time to connect${socketConnect ? ' (socket_connect_timeout wins)' : ''}`)
  }
  const reply = num('reply_timeout')
  if (reply) ajp.replyTimeout = reply.n
  const pool = num('connection_pool_size')
  if (pool && pool.n > 0) ajp.maxConnections = pool.n
  const poolTimeout = num('connection_pool_timeout')
  if (poolTimeout && poolTimeout.n > 0) ajp.idleTimeout = poolTimeout.n * 1000
  return ajp
}

function importMember(name: string, props: WorkerProps, w: Warnings, inherited: AjpTransportOptions | undefined): { member: MemberOptions; line: number } | undefined {
  const type = props.get('type')?.value ?? 'ajp13'
  const firstLine = props.values().next().value?.line ?? 0
  if (type !== 'ajp13' && type !== 'ajp14') {
    w.add(props.get('type')?.line ?? firstLine, `member ${name} has type ${type}: only ajp13 members can be balanced: not imported`)
    return undefined
  }
  if (type === 'ajp14') w.add(props.get('type')!.line, `worker ${name} has type ajp14: imported as ajp13`)
  const host = props.get('host')?.value ?? 'localhost'
  const portProp = props.get('port')
  const port = portProp ? parseInteger(portProp.value) : 8009
  if (port === undefined || port > 65535) {
    w.add(portProp!.line, `worker.${name}.port=${portProp!.value} is not a port: member not imported`)
    return undefined
  }
  const member: MemberOptions = { url: `ajp://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}` }
  if (port === 0) {
    // mod_jk: a member with port 0 starts stopped, to be activated later.
    member.url = `ajp://${host}:8009`
    member.state = 'stopped'
    w.add(portProp!.line, `worker.${name}.port=0 (provisioned, inactive): imported as stopped on port 8009; set its url before activating it`)
  }
  const routeProp = props.get('route') ?? props.get('jvm_route')
  const routeText = routeProp?.value ?? name
  const route = asRoute(routeText)
  if (route === undefined) w.add(routeProp?.line ?? firstLine, `route "${routeText}" of ${name} has characters a jvmRoute cannot have: no route (stickiness to it is lost)`)
  else member.route = route
  const lbfactor = props.get('lbfactor')
  if (lbfactor) {
    const weight = toWeight(lbfactor.value, `worker.${name}.lbfactor`, lbfactor.line, w)
    if (weight !== undefined && weight !== 1) member.weight = weight
  }
  const domain = props.get('domain')
  if (domain) {
    if (asRoute(domain.value)) member.domain = domain.value
    else w.add(domain.line, `worker.${name}.domain=${domain.value} is not a valid domain name: ignored`)
  }
  const activation = props.get('activation')
  if (activation) {
    const a = activation.value.trim().charAt(0).toLowerCase()
    if (a === 'd') member.state = 'draining'
    else if (a === 's') member.state = 'stopped'
    else if (a !== 'a') w.add(activation.line, `worker.${name}.activation=${activation.value} is not Active, Disabled or Stopped: active`)
  }
  const disabled = props.get('disabled')
  if (disabled && parseBoolean(disabled.value)) {
    member.state ??= 'draining'
    w.add(disabled.line, `worker.${name}.disabled is deprecated in mod_jk: imported as activation=Disabled (state draining)`)
  }
  const stopped = props.get('stopped')
  if (stopped && parseBoolean(stopped.value)) {
    member.state = 'stopped'
    w.add(stopped.line, `worker.${name}.stopped is deprecated in mod_jk: imported as activation=Stopped`)
  }
  const distance = props.get('distance')
  if (distance) {
    const d = parseInteger(distance.value)
    if (d === undefined) w.add(distance.line, `worker.${name}.distance=${distance.value} is not an integer: ignored`)
    else if (d > 0) {
      member.group = Math.min(99, d)
      if (d > 99) w.add(distance.line, `worker.${name}.distance=${d} becomes group 99`)
    }
  }
  const retries = props.get('retries')
  if (retries) w.add(retries.line, `worker.${name}.retries (connection attempts per member) is not supported: a failed connection moves on to another member (maxAttempts)`)
  for (const [k, v] of props) {
    if (!MEMBER_KEYS.has(k)) w.add(v.line, `worker.${name}.${k} is not supported${IGNORED[k] ? ` (${IGNORED[k]})` : ''}: ignored`)
  }
  const own = ajpSettings(props, w, name)
  const ajp = { ...inherited, ...own }
  if (ajp.secret !== undefined) {
    member.secret = ajp.secret
    delete ajp.secret
  }
  if (Object.keys(ajp).length > 0) member.ajp = ajp
  return { member, line: firstLine }
}

function importLb(name: string, props: WorkerProps, workers: Map<string, WorkerProps>, w: Warnings, typeOf: (n: string) => string): BalancerOptions | undefined {
  const firstLine = props.values().next().value?.line ?? 0
  const bw = props.get('balance_workers') ?? props.get('balanced_workers')
  if (props.has('balanced_workers')) w.add(props.get('balanced_workers')!.line, `worker.${name}.balanced_workers is deprecated in mod_jk: read as balance_workers`)
  const names = bw?.value.split(/[,\s]+/).filter(Boolean) ?? []
  if (names.length === 0) {
    w.add(bw?.line ?? firstLine, `lb worker ${name} has no balance_workers: not imported`)
    return undefined
  }
  const inherited = ajpSettings(props, w, name)
  const members: MemberOptions[] = []
  const routeOfWorker = new Map<string, string | undefined>()
  for (const m of names) {
    const mp = workers.get(m)
    if (!mp) {
      w.add(bw!.line, `balance_workers of ${name} names ${m}, which is not defined: imported as ajp://localhost:8009`)
    }
    if (typeOf(m) === 'lb') {
      w.add(bw!.line, `balance_workers of ${name} names the lb worker ${m}: nested balancers are not supported: skipped`)
      continue
    }
    const imported = importMember(m, mp ?? new Map(), w, inherited)
    if (!imported) continue
    if (members.some((x) => x.route !== undefined && x.route === imported.member.route)) {
      w.add(bw!.line, `${m} has the same route "${imported.member.route}" as another member of ${name}: skipped (routes must be unique)`)
      continue
    }
    routeOfWorker.set(m, imported.member.route)
    members.push(imported.member)
  }
  if (members.length === 0) {
    w.add(bw!.line, `lb worker ${name} has no usable member: not imported`)
    return undefined
  }
  // redirect names a worker (its route); map worker names to routes.
  for (const m of names) {
    const redirect = workers.get(m)?.get('redirect')
    if (!redirect) continue
    const member = members.find((x) => x.route === routeOfWorker.get(m))
    if (!member) continue
    const target = routeOfWorker.get(redirect.value) ?? (members.some((x) => x.route === redirect.value) ? redirect.value : undefined)
    if (target === undefined || target === member.route) w.add(redirect.line, `worker.${m}.redirect=${redirect.value} names no other member of ${name}: ignored`)
    else member.redirect = target
  }

  const options: BalancerOptions = { members, scheduler: 'byrequests' }
  const method = props.get('method')
  if (method) {
    const entry = METHODS[method.value.trim().charAt(0).toLowerCase()]
    if (!entry) w.add(method.line, `worker.${name}.method=${method.value} is not Request, Session, Next, Traffic or Busyness: byrequests`)
    else {
      options.scheduler = entry.scheduler
      if (entry.note) w.add(method.line, `worker.${name}.${entry.note}`)
    }
  }
  const stickyOn = flag(props, 'sticky_session', w, name)
  if (stickyOn === false) {
    options.sticky = false
    for (const k of ['sticky_session_force', 'session_cookie', 'session_path']) {
      if (props.has(k)) w.add(props.get(k)!.line, `worker.${name}.${k} has no effect with sticky_session off: ignored`)
    }
  } else {
    const sticky: StickyOptions = {}
    const force = flag(props, 'sticky_session_force', w, name)
    if (force) sticky.force = true
    const cookie = props.get('session_cookie')
    if (cookie && cookie.value !== 'JSESSIONID') sticky.cookie = cookie.value
    const path = props.get('session_path')
    if (path && path.value.replace(/^;/, '') !== 'jsessionid') sticky.pathParam = path.value.replace(/^;/, '')
    options.sticky = sticky
  }
  const recover = props.get('recover_time')
  if (recover) {
    const s = parseInteger(recover.value)
    if (s === undefined) w.add(recover.line, `worker.${name}.recover_time=${recover.value} is not a number of seconds: ignored`)
    else options.retryMs = s * 1000 // mod_jk counts seconds; the core API milliseconds
  }
  const retries = props.get('retries')
  if (retries) {
    const n = parseInteger(retries.value)
    if (n === undefined) w.add(retries.line, `worker.${name}.retries=${retries.value} is not an integer: ignored`)
    else {
      options.maxAttempts = Math.min(Math.max(0, n - 1), Math.max(0, members.length - 1))
      w.add(retries.line, `worker.${name}.retries=${n} becomes maxAttempts=${options.maxAttempts} (other members tried after the first; mod_jk's retry rounds have no equal)`)
    }
  }
  const fos = props.get('fail_on_status')
  if (fos) {
    const codes = fos.value.split(/[,\s]+/).filter(Boolean)
    const positive = codes.filter((c) => /^\d{3}$/.test(c)).map(Number)
    const negative = codes.filter((c) => c.startsWith('-'))
    if (negative.length > 0) w.add(fos.line, `worker.${name}.fail_on_status ${negative.join(',')}: negative codes (fail the request, keep the member ok) are not supported: ignored`)
    const bad = codes.filter((c) => !/^-?\d{3}$/.test(c))
    if (bad.length > 0) w.add(fos.line, `worker.${name}.fail_on_status ${bad.join(',')} are not statuses: ignored`)
    if (positive.length > 0) options.failOnStatus = positive
  }
  for (const [k, v] of props) {
    if (!LB_KEYS.has(k)) w.add(v.line, `worker.${name}.${k} is not supported${IGNORED[k] ? ` (${IGNORED[k]})` : ''}: ignored`)
  }
  if (props.has('host') || props.has('port')) w.add((props.get('host') ?? props.get('port'))!.line, `worker.${name}.host/port on an lb worker are inherited by nothing here: set them on the members`)
  return options
}
