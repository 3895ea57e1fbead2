/**
 * Imports an Apache httpd configuration that balances with mod_proxy_balancer: `<Proxy balancer://…>`
 * blocks, `BalancerMember`, `ProxySet`, `ProxyPass` (with `!` exclusions) and the balancer-manager
 * `<Location>`.
 *
 * Parameters and defaults follow httpd's mod_proxy reference (httpd.apache.org/docs/2.4/mod/mod_proxy.html).
 *
 * This file is long because one balancer is spread over five directives (`<Proxy>`,
 * `BalancerMember`, `ProxySet`, `ProxyPass`, `<Location>`), each with its own parameter list, and
 * every parameter is mapped, or warned about with its line number, here against that one reference.
 * It runs once, at start-up; its long functions are a separate matter (tokenize, collect, map).
 *
 * @module
 */
import type { BalancerOptions, MemberOptions } from '../options.js'
import type { HealthCheckMethod, HealthCheckOptions } from '../health/health-check-options.js'
import type { SchedulerName } from '../schedulers/scheduler.js'
import type { StickyOptions } from '../session/sticky-options.js'
import type { ImportOptions, ImportResult, ImportedBalancer } from './types.js'
import { Warnings, asRoute, isBelow, mountOf, parseBoolean, parseInteger, relativeTo, toWeight, uniqueName } from './warnings.js'
import { tlsDirectiveWarning } from './tls-directives.js'

interface Param {
  key: string
  value: string
  line: number
}

interface BalancerDef {
  name: string
  line: number
  members: { url: string; params: Param[]; line: number }[]
  params: Param[]
}

interface ProxyPassDef {
  path: string
  target: string
  params: Param[]
  line: number
}

/** Splits a directive's arguments: words, `"quoted words"` and `'quoted words'`. */
function words(text: string): string[] {
  const out: string[] = []
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3]!)
  return out
}

function params(args: string[], line: number, w: Warnings, what: string): Param[] {
  const out: Param[] = []
  for (const a of args) {
    const eq = a.indexOf('=')
    if (eq <= 0) {
      w.add(line, `${what}: "${a}" is not a key=value parameter: ignored`)
      continue
    }
    out.push({ key: a.slice(0, eq).toLowerCase(), value: a.slice(eq + 1), line })
  }
  return out
}

const LBMETHODS: Record<string, SchedulerName> = { byrequests: 'byrequests', bytraffic: 'bytraffic', bybusyness: 'bybusyness' }

const IGNORED_WORKER: Record<string, string> = {
  min: 'pools grow on demand',
  smax: 'idle sockets are kept up to http.maxFreeSockets',
  acquire: 'connectTimeout also bounds the wait for a pooled AJP connection',
  keepalive: 'TCP keep-alive is not configurable',
  disablereuse: 'connections are always reused',
  enablereuse: 'connections are always reused',
  flushpackets: 'responses are always streamed',
  flushwait: 'responses are always streamed',
  iobuffersize: 'not needed (AJP packets follow ajp.packetSize)',
  receivebuffersize: 'not configurable',
  addressttl: 'addresses are resolved per connection',
  responsefieldsize: 'not configurable',
  upgrade: 'WebSocket upgrades go through http:// members',
  mapping: 'not supported',
  hcexpr: 'health.expect takes statuses only',
  hctemplate: 'not supported: write the hc* parameters out',
}

const IGNORED_BALANCER: Record<string, string> = {
  timeout: 'no wait for a free member: requests go elsewhere at once',
  failontimeout: 'a member timeout always counts as a failure',
  growth: 'add members through the admin surface or a new configuration',
  nonce: 'the admin surface makes its own nonce',
  lbset: 'lbset is a member parameter',
  scolonpathdelim: 'the path parameter always ends at ";" (as with scolonpathdelim=On)',
}

/**
 * Imports the `balancer://` setups of an httpd configuration. Each `ProxyPass` to a balancer gives
 * one balancer mounted at its path; `ProxyPass /x !` lines become `exclude` entries of the balancers
 * mounted above them; a `<Location>` with `SetHandler balancer-manager` becomes the `admin` option
 * of the balancer mounted above it. A `ProxyPass` to a plain `http://`/`ajp://` URL gives a
 * balancer of one member.
 *
 * mod_proxy has no stickiness unless `stickysession` is set, so balancers without it get
 * `sticky: false`. Never throws: what cannot be mapped is in `warnings`, one per file line.
 *
 * @example
 * ```ts
 * const { balancers, warnings } = fromHttpdConfig(readFileSync('/etc/httpd/conf.d/proxy.conf', 'utf8'))
 * ```
 */
export function fromHttpdConfig(text: string, options: ImportOptions = {}): ImportResult {
  const w = new Warnings(options.fileName ?? 'httpd.conf')
  const defs = new Map<string, BalancerDef>()
  const passes: ProxyPassDef[] = []
  const exclusions: { path: string; line: number; index: number }[] = []
  const managers: { path: string; line: number; require: string[] }[] = []
  const headerCookies: { name: string; path: string; line: number }[] = []
  const global: { preserveHost?: boolean; via?: boolean; xForwarded?: boolean; timeout?: number; lines: Map<string, number> } = { lines: new Map() }
  const stack: { kind: string; arg: string; line: number }[] = []
  let vhosts = 0

  const def = (raw: string, line: number): BalancerDef => {
    const name = raw.replace(/^balancer:\/\//i, '').replace(/\/.*$/, '')
    let d = defs.get(name)
    if (!d) defs.set(name, (d = { name, line, members: [], params: [] }))
    return d
  }

  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    let line = lines[i]!.trim()
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const close = /^<\/\s*([A-Za-z]+)\s*>$/.exec(line)
    if (close) {
      const top = stack.pop()
      if (!top || top.kind.toLowerCase() !== close[1]!.toLowerCase()) w.add(lineNo, `</${close[1]}> closes ${top ? `<${top.kind}> of line ${top.line}` : 'nothing'}`)
      continue
    }
    const open = /^<\s*([A-Za-z]+)\s*(.*?)\s*>$/.exec(line)
    if (open) {
      const kind = open[1]!
      const arg = words(open[2]!)[0] ?? ''
      stack.push({ kind, arg, line: lineNo })
      if (/^VirtualHost$/i.test(kind) && ++vhosts === 2) w.add(lineNo, 'a second <VirtualHost>: virtual hosts are not told apart; their balancers are all imported')
      if (/^Proxy$/i.test(kind)) {
        if (/^balancer:\/\//i.test(arg)) def(arg, lineNo)
        else w.add(lineNo, `<Proxy ${arg}> is not a balancer:// block: its directives are ignored`)
      }
      if (/^(ProxyMatch|LocationMatch)$/i.test(kind)) w.add(lineNo, `<${kind}> (regular expressions) is not supported: its directives are ignored`)
      continue
    }
    const [name = '', ...args] = words(line)
    const directive = name.toLowerCase()
    const proxyBlock = [...stack].reverse().find((s) => /^Proxy$/i.test(s.kind))
    const location = [...stack].reverse().find((s) => /^Location$/i.test(s.kind))
    const inRegexBlock = stack.some((s) => /^(ProxyMatch|LocationMatch)$/i.test(s.kind))
    if (inRegexBlock) continue
    if (proxyBlock && !/^balancer:\/\//i.test(proxyBlock.arg)) {
      if (/^(proxy|balancer)/.test(directive)) w.add(lineNo, `${name} inside <Proxy ${proxyBlock.arg}>: ignored`)
      continue
    }
    switch (directive) {
      case 'balancermember': {
        let target: BalancerDef
        let rest = args
        if (proxyBlock) target = def(proxyBlock.arg, proxyBlock.line)
        else if (args[0] && /^balancer:\/\//i.test(args[0])) {
          target = def(args[0], lineNo)
          rest = args.slice(1)
        } else {
          w.add(lineNo, 'BalancerMember outside <Proxy balancer://…> without a balancer:// argument: ignored')
          break
        }
        const [url, ...ps] = rest
        if (!url) {
          w.add(lineNo, 'BalancerMember without a URL: ignored')
          break
        }
        target.members.push({ url, params: params(ps, lineNo, w, 'BalancerMember'), line: lineNo })
        break
      }
      case 'proxyset': {
        let target: BalancerDef | undefined
        let rest = args
        if (args[0] && /^balancer:\/\//i.test(args[0])) {
          target = def(args[0], lineNo)
          rest = args.slice(1)
        } else if (proxyBlock) target = def(proxyBlock.arg, proxyBlock.line)
        if (!target) {
          w.add(lineNo, 'ProxySet outside <Proxy balancer://…> and without a balancer:// URL: ignored')
          break
        }
        target.params.push(...params(rest, lineNo, w, 'ProxySet'))
        break
      }
      case 'proxypass': {
        let path: string | undefined
        let rest = args
        if (location && (args.length === 0 || !args[0]!.startsWith('/') || args[0] === '!')) path = location.arg
        else [path, ...rest] = args
        const [target, ...ps] = rest
        if (!path || !target) {
          w.add(lineNo, 'ProxyPass needs a path and a URL: ignored')
          break
        }
        if (target === '!') {
          exclusions.push({ path, line: lineNo, index: passes.length })
          break
        }
        passes.push({ path, target, params: params(ps, lineNo, w, 'ProxyPass'), line: lineNo })
        break
      }
      case 'proxypassreverse':
      case 'proxypassreversecookiepath':
      case 'proxypassreversecookiedomain':
        // Location, Content-Location, URI and Set-Cookie paths are rewritten by the balancer itself.
        break
      case 'proxypreservehost':
      case 'proxyaddheaders': {
        const b = parseBoolean(args[0] ?? '')
        if (b === undefined) w.add(lineNo, `${name} ${args[0] ?? ''} is not On or Off: ignored`)
        else if (directive === 'proxypreservehost') global.preserveHost = b
        else global.xForwarded = b
        global.lines.set(directive, lineNo)
        break
      }
      case 'proxyvia': {
        const v = (args[0] ?? '').toLowerCase()
        if (v === 'on') global.via = true
        else if (v === 'off') global.via = false
        else if (v === 'full') {
          global.via = true
          w.add(lineNo, 'ProxyVia Full: the Via header carries no server version: as ProxyVia On')
        } else if (v === 'block') {
          global.via = false
          w.add(lineNo, 'ProxyVia Block (remove Via from requests) is not supported: Via is passed on as it came')
        } else w.add(lineNo, `ProxyVia ${args[0] ?? ''} is not On, Off, Full or Block: ignored`)
        break
      }
      case 'proxytimeout': {
        const s = parseInteger(args[0] ?? '')
        if (s === undefined || s === 0) w.add(lineNo, `ProxyTimeout ${args[0] ?? ''} is not a number of seconds: ignored`)
        else global.timeout = s * 1000
        break
      }
      case 'proxyrequests':
        if (parseBoolean(args[0] ?? '')) w.add(lineNo, 'ProxyRequests On (a forward proxy) is not supported: ignored')
        break
      case 'sethandler':
        if ((args[0] ?? '').toLowerCase() === 'balancer-manager') {
          if (!location) w.add(lineNo, 'SetHandler balancer-manager outside a <Location>: ignored')
          else managers.push({ path: location.arg, line: lineNo, require: [] })
        }
        break
      case 'require':
      case 'allow':
        if (location && managers.at(-1)?.path === location.arg) managers.at(-1)!.require.push(`${name} ${args.join(' ')}`.trim())
        break
      case 'header':
      case 'requestheader': {
        const text = args.join(' ')
        const m = /Set-Cookie\s+"?([!#$%&'*+\-.^_`|~0-9A-Za-z]+)=\.?%\{BALANCER_WORKER_ROUTE\}e(?:;\s*path=([^;"\s]+))?/i.exec(text)
        if (directive === 'header' && m) headerCookies.push({ name: m[1]!, path: m[2] ?? '/', line: lineNo })
        break
      }
      case 'proxypassmatch':
        w.add(lineNo, 'ProxyPassMatch (regular expressions) is not supported: mount the balancer at a path prefix instead')
        break
      case 'balancerpersist':
        w.add(lineNo, 'BalancerPersist is not read from the file: run the sticky-balancer command with --state-file to keep admin changes across restarts (in code they last until the process ends)')
        break
      case 'balancergrowth':
      case 'balancerinherit':
      case 'proxyhcexpr':
      case 'proxyhctemplate':
      case 'proxyhctpsize':
      case 'proxyiobuffersize':
      case 'proxyerroroverride':
      case 'proxyreceivebuffersize':
      case 'proxymaxforwards':
      case 'proxyremote':
      case 'proxyremotematch':
      case 'proxyblock':
      case 'proxydomain':
      case 'proxystatus':
      case 'proxysourceaddress':
      case 'proxybadheader':
      case 'proxyhtmlurlmap':
        w.add(lineNo, `${name} is not supported: ignored`)
        break
      default:
        if (/^(proxy|balancer)/.test(directive)) w.add(lineNo, `${name} is not supported: ignored`)
        else if (/^sslproxy/.test(directive)) w.add(lineNo, tlsDirectiveWarning(directive, name) as string)
        else if (/^jk/.test(directive) && directive !== 'jkworkersfile') w.add(lineNo, `${name}: mod_jk directives are imported with fromWorkersProperties (jkMounts): ignored here`)
        else if (directive === 'jkworkersfile') w.add(lineNo, `JkWorkersFile ${args[0] ?? ''}: import that file with fromWorkersProperties, passing this file as jkMounts`)
    }
  }
  for (const open of stack) w.add(open.line, `<${open.kind}> is never closed`)

  const balancers: ImportedBalancer[] = []
  const names = new Set<string>()
  const used = new Set<string>()
  for (const pass of passes) {
    const mount = mountOf(pass.path)
    let target: URL
    try {
      target = new URL(pass.target)
    } catch {
      w.add(pass.line, `ProxyPass ${pass.path} ${pass.target}: not a URL: ignored`)
      continue
    }
    const upstream = target.pathname === '' ? '/' : target.pathname
    let options: BalancerOptions | undefined
    let name: string
    if (target.protocol === 'balancer:') {
      const d = defs.get(target.host)
      name = target.host
      if (!d || d.members.length === 0) {
        w.add(pass.line, `ProxyPass ${pass.path} ${pass.target}: balancer://${target.host} has no BalancerMember: ignored`)
        continue
      }
      used.add(d.name)
      options = buildBalancer(d, pass.params, w)
    } else if (['http:', 'https:', 'ajp:'].includes(target.protocol)) {
      name = target.host
      const d: BalancerDef = { name, line: pass.line, members: [{ url: `${target.protocol}//${target.host}`, params: [], line: pass.line }], params: [] }
      const workerParams = pass.params.filter((p) => !isBalancerParam(p.key))
      d.members[0]!.params.push(...workerParams)
      options = buildBalancer(d, pass.params.filter((p) => isBalancerParam(p.key)), w)
      w.add(pass.line, `ProxyPass ${pass.path} ${pass.target} is not a balancer: imported as a balancer of one member`)
    } else {
      w.add(pass.line, `ProxyPass ${pass.path} ${pass.target}: the ${target.protocol}// scheme is not supported: ignored`)
      continue
    }
    if (!options) continue
    if (target.search) w.add(pass.line, `ProxyPass ${pass.path} ${pass.target}: the query in the URL is ignored`)
    const upstreamPrefix = upstream.replace(/\/+$/, '')
    const mountPrefix = mount === '/' ? '' : mount
    if (upstreamPrefix !== mountPrefix) options.upstreamPath = upstreamPrefix === '' ? '/' : upstreamPrefix
    if (pass.path.endsWith('/') !== upstream.endsWith('/') && pass.path !== '/') {
      w.add(pass.line, `ProxyPass ${pass.path} ${pass.target}: one ends with "/" and the other does not (httpd maps them literally); mapped as path prefixes`)
    }
    if (global.preserveHost !== undefined) options.preserveHost = global.preserveHost
    if (global.via !== undefined) options.via = global.via
    if (global.xForwarded !== undefined) options.xForwarded = global.xForwarded
    if (global.timeout !== undefined && options.timeout === undefined) options.timeout = global.timeout
    for (const ex of exclusions) {
      if (!isBelow(mountOf(ex.path), mount)) continue
      const rel = relativeTo(mountOf(ex.path), mount)
      if (rel === '/') {
        w.add(ex.line, `ProxyPass ${ex.path} ! excludes the whole mount ${mount}: ignored`)
        continue
      }
      if (ex.index > passes.indexOf(pass)) w.add(ex.line, `ProxyPass ${ex.path} ! comes after ProxyPass ${pass.path} (line ${pass.line}), so httpd never applies it; it is imported as an exclusion anyway`)
      ;(options.exclude ??= []).push(rel)
    }
    const stickyCookie = options.sticky === false ? undefined : options.sticky?.cookie
    const cookieRule = headerCookies.find((h) => h.name === stickyCookie)
    if (cookieRule && options.sticky) {
      options.sticky = { ...options.sticky, balancerCookie: cookieRule.path === '/' ? { name: cookieRule.name } : { name: cookieRule.name, path: cookieRule.path } }
      w.add(cookieRule.line, `Header … ${cookieRule.name}=.%{BALANCER_WORKER_ROUTE}e → sticky.balancerCookie of ${name} (set on every new pin and after a failover, not only on BALANCER_ROUTE_CHANGED)`)
    }
    balancers.push({ name: uniqueName(name, names), mount, options })
  }
  for (const d of defs.values()) {
    if (!used.has(d.name)) w.add(d.line, `balancer://${d.name} is not used by any ProxyPass: not imported`)
  }
  for (const ex of exclusions) {
    if (!balancers.some((b) => isBelow(mountOf(ex.path), b.mount))) w.add(ex.line, `ProxyPass ${ex.path} !: no balancer is mounted above it: ignored`)
  }
  for (const m of managers) {
    const path = mountOf(m.path)
    const host = balancers.filter((b) => isBelow(path, b.mount)).sort((a, b) => b.mount.length - a.mount.length)[0]
    if (!host) {
      w.add(m.line, `balancer-manager at ${m.path}: no balancer is mounted above that path: not imported (mount the balancer with an admin option there)`)
      continue
    }
    host.options.admin = { path: relativeTo(path, host.mount), name: host.name }
    const access = m.require.length > 0 ? ` (${m.require.join('; ')} → loopback clients only unless admin.authorize says otherwise)` : ' (loopback clients only unless admin.authorize says otherwise)'
    w.add(m.line, `balancer-manager at ${m.path} → admin surface of ${host.name}${access}`)
  }
  if (passes.length === 0 && defs.size === 0) w.add(0, 'no <Proxy balancer://…> and no ProxyPass found: nothing imported')
  return { balancers, warnings: w.list }
}

const BALANCER_PARAMS = new Set(['lbmethod', 'maxattempts', 'nofailover', 'stickysession', 'stickysessionsep', 'scolonpathdelim', 'timeout', 'failonstatus',
  'failontimeout', 'forcerecovery', 'growth', 'nonce'])

function isBalancerParam(key: string): boolean {
  return BALANCER_PARAMS.has(key) && key !== 'timeout'
}

/** Duration: seconds, or milliseconds with an `ms` suffix (httpd's time parameters). */
function millis(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms)?$/i.exec(value.trim())
  if (!m) return undefined
  return Math.round(Number(m[1]) * (m[2] ? 1 : 1000))
}

function buildBalancer(d: BalancerDef, passParams: Param[], w: Warnings): BalancerOptions | undefined {
  const members: MemberOptions[] = []
  const shared = new Map<string, { value: string; line: number; by: string }>()
  let health: HealthCheckOptions | undefined
  const sharedValue = (key: string, value: string, line: number, by: string): boolean => {
    const prev = shared.get(key)
    if (!prev) {
      shared.set(key, { value, line, by })
      return true
    }
    if (prev.value !== value) w.add(line, `${key}=${value} on ${by} differs from ${key}=${prev.value} (line ${prev.line}); the balancer has one ${key}: the first is kept`)
    return false
  }
  for (const m of d.members) {
    let url: URL
    try {
      url = new URL(m.url)
    } catch {
      w.add(m.line, `BalancerMember ${m.url} is not a URL: not imported`)
      continue
    }
    if (!['http:', 'https:', 'ajp:'].includes(url.protocol)) {
      w.add(m.line, `BalancerMember ${m.url}: only http://, https:// and ajp:// members are supported: not imported`)
      continue
    }
    const member: MemberOptions = { url: `${url.protocol}//${url.host}` }
    if (url.pathname !== '/' && url.pathname !== '') w.add(m.line, `BalancerMember ${m.url}: the path of a member is not supported (use the ProxyPass URL path): ignored`)
    const ajp: NonNullable<MemberOptions['ajp']> = {}
    for (const p of m.params) {
      const where = `BalancerMember ${m.url}`
      switch (p.key) {
        case 'route': {
          const r = asRoute(p.value)
          if (r) member.route = r
          else w.add(p.line, `${where}: route=${p.value} is not a valid jvmRoute: ignored`)
          break
        }
        case 'loadfactor': {
          const weight = toWeight(p.value, `${where}: loadfactor`, p.line, w)
          if (weight !== undefined && weight !== 1) member.weight = weight
          break
        }
        case 'lbset': {
          const n = parseInteger(p.value)
          if (n === undefined) w.add(p.line, `${where}: lbset=${p.value} is not an integer: ignored`)
          else if (n > 0) member.group = Math.min(99, n)
          break
        }
        case 'redirect':
          member.redirect = p.value
          break
        case 'status': {
          const flags = p.value.toUpperCase()
          const set = (c: string) => new RegExp(`(^|[^-])${c}`).test(flags.replace(/^\+/, ''))
          if (set('S')) member.state = 'stopped'
          else if (set('D')) {
            member.state = 'stopped'
            w.add(p.line, `${where}: status D (disabled, retried automatically) becomes state stopped; set it active through the admin surface`)
          } else if (set('N')) member.state = 'draining'
          else if (set('H')) member.state = 'standby'
          else if (set('R')) {
            member.state = 'standby'
            w.add(p.line, `${where}: status R (hot spare, one for one) becomes standby (used when no regular member is usable)`)
          }
          if (set('I')) member.ignoreErrors = true
          if (set('E')) w.add(p.line, `${where}: status E (start in error) is not supported: the member starts ok`)
          if (set('C')) w.add(p.line, `${where}: status C (health check failed) is not supported: the member starts ok`)
          break
        }
        case 'secret':
          if (url.protocol === 'ajp:') member.secret = p.value
          else w.add(p.line, `${where}: secret is only for ajp:// members: ignored`)
          break
        case 'retry': {
          const s = Number(p.value)
          if (!Number.isFinite(s) || s < 0) w.add(p.line, `${where}: retry=${p.value} is not a number of seconds: ignored`)
          else sharedValue('retry', p.value, p.line, where)
          break
        }
        case 'timeout':
        case 'connectiontimeout': {
          const ms = millis(p.value)
          if (ms === undefined || ms === 0) w.add(p.line, `${where}: ${p.key}=${p.value} is not a duration: ignored`)
          else sharedValue(p.key, String(ms), p.line, where)
          break
        }
        case 'ping': {
          const ms = millis(p.value)
          if (url.protocol !== 'ajp:') w.add(p.line, `${where}: ping on http members (Expect: 100-continue) is not supported: ignored`)
          else if (ms === undefined) w.add(p.line, `${where}: ping=${p.value} is not a duration: ignored`)
          else if (ms > 0) {
            ajp.pingAfterIdle = 0
            ajp.pingTimeout = ms
          }
          break
        }
        case 'max': {
          const n = parseInteger(p.value)
          if (n === undefined || n === 0) w.add(p.line, `${where}: max=${p.value} is not a positive integer: ignored`)
          else if (url.protocol === 'ajp:') ajp.maxConnections = n
          else sharedValue('max', p.value, p.line, where)
          break
        }
        case 'ttl': {
          const s = parseInteger(p.value)
          if (s === undefined || s === 0) w.add(p.line, `${where}: ttl=${p.value} is not a positive number of seconds: ignored`)
          else if (url.protocol === 'ajp:') ajp.idleTimeout = s * 1000
          else sharedValue('ttl', p.value, p.line, where)
          break
        }
        case 'hcmethod':
        case 'hcinterval':
        case 'hcpasses':
        case 'hcfails':
        case 'hcuri':
          if (sharedValue(p.key, p.value, p.line, where)) health = applyHealth(health ?? {}, p, w, where, url.protocol === 'ajp:')
          break
        default:
          if (BALANCER_PARAMS.has(p.key)) d.params.push(p)
          else w.add(p.line, `${where}: ${p.key} is not supported${IGNORED_WORKER[p.key] ? ` (${IGNORED_WORKER[p.key]})` : ''}: ignored`)
      }
    }
    if (Object.keys(ajp).length > 0) member.ajp = ajp
    if (members.some((x) => (x.route !== undefined && x.route === member.route) || (x.route === undefined && member.route === undefined && x.url === member.url))) {
      w.add(m.line, `BalancerMember ${m.url} repeats another member's ${member.route ? 'route' : 'URL'}: not imported`)
      continue
    }
    members.push(member)
  }
  if (members.length === 0) {
    w.add(d.line, `balancer://${d.name} has no usable member: not imported`)
    return undefined
  }
  for (const m of members) {
    if (m.redirect !== undefined && !members.some((x) => x !== m && x.route === m.redirect)) {
      w.add(d.line, `redirect=${m.redirect} of ${m.url} names no other member's route: ignored`)
      delete m.redirect
    }
  }
  const options: BalancerOptions = { members, scheduler: 'byrequests', sticky: false }
  const retry = shared.get('retry')
  // httpd counts seconds; the core API milliseconds.
  if (retry) options.retryMs = Math.round(Number(retry.value) * 1000)
  const timeout = shared.get('timeout')
  if (timeout) options.timeout = Number(timeout.value)
  const connect = shared.get('connectiontimeout')
  if (connect) options.connectTimeout = Number(connect.value)
  const max = shared.get('max')
  if (max) options.http = { ...options.http, maxSockets: Number(max.value) }
  const ttl = shared.get('ttl')
  if (ttl) options.http = { ...options.http, idleTimeout: Number(ttl.value) * 1000 }
  if (health?.method !== undefined) options.health = health
  else if (health) w.add(d.line, `balancer://${d.name}: hc* parameters without hcmethod do nothing in httpd (hcmethod=None): no active health checks`)

  let sticky: StickyOptions | undefined
  for (const p of [...d.params, ...passParams]) {
    switch (p.key) {
      case 'lbmethod': {
        const s = LBMETHODS[p.value.toLowerCase()]
        if (s) options.scheduler = s
        else w.add(p.line, `lbmethod=${p.value} is not supported (byrequests, bytraffic, bybusyness): byrequests`)
        break
      }
      case 'maxattempts': {
        const n = parseInteger(p.value)
        if (n === undefined) w.add(p.line, `maxattempts=${p.value} is not an integer: ignored`)
        else options.maxAttempts = Math.min(n, 100)
        break
      }
      case 'nofailover': {
        const b = parseBoolean(p.value)
        if (b === undefined) w.add(p.line, `nofailover=${p.value} is not On or Off: ignored`)
        else if (b) (sticky ??= {}).force = true
        break
      }
      case 'stickysession': {
        const [cookie, param] = p.value.split('|')
        const urlParam = param ?? cookie!
        sticky = { ...sticky, cookie: cookie!, pathParam: urlParam, queryParam: urlParam }
        if (param === undefined && cookie === 'JSESSIONID') {
          w.add(p.line, 'stickysession=JSESSIONID also looks for a JSESSIONID URL parameter (case-sensitive), which Tomcat never writes (it writes ;jsessionid=); stickysession=JSESSIONID|jsessionid would find it')
        }
        break
      }
      case 'stickysessionsep': {
        const v = p.value.replace(/^"|"$/g, '')
        if (v.toLowerCase() === 'off') (sticky ??= {}).separator = false
        else if (v.length === 1) (sticky ??= {}).separator = v
        else w.add(p.line, `stickysessionsep=${p.value} is not one character or Off: ignored`)
        break
      }
      case 'forcerecovery': {
        const b = parseBoolean(p.value)
        if (b === undefined) w.add(p.line, `forcerecovery=${p.value} is not On or Off: ignored`)
        else options.forceRecovery = b
        break
      }
      case 'failonstatus': {
        const codes = p.value.split(/[,\s]+/).filter(Boolean)
        const good = codes.filter((c) => /^\d{3}$/.test(c)).map(Number)
        if (good.length !== codes.length) w.add(p.line, `failonstatus=${p.value}: only three-digit statuses are kept`)
        if (good.length > 0) options.failOnStatus = good
        break
      }
      default:
        if (IGNORED_BALANCER[p.key]) w.add(p.line, `${p.key}=${p.value} is not supported (${IGNORED_BALANCER[p.key]}): ignored`)
        else w.add(p.line, `${p.key}=${p.value} is not a balancer parameter: ignored`)
    }
  }
  if (sticky && sticky.cookie === undefined) {
    w.add(d.line, `balancer://${d.name}: nofailover or stickysessionsep without stickysession: no stickiness (as in httpd)`)
    sticky = undefined
  }
  if (sticky) options.sticky = sticky
  return options
}

const HC_METHODS: Record<string, HealthCheckMethod | undefined> = { get: 'GET', get11: 'GET', head: 'HEAD', head11: 'HEAD', options: 'OPTIONS', options11: 'OPTIONS', cping: 'CPING' }

function applyHealth(h: HealthCheckOptions, p: Param, w: Warnings, where: string, ajp: boolean): HealthCheckOptions {
  switch (p.key) {
    case 'hcmethod': {
      const v = p.value.toLowerCase()
      if (v === 'none') return h
      const m = HC_METHODS[v]
      if (!m) {
        w.add(p.line, `${where}: hcmethod=${p.value} (${v === 'tcp' ? 'a bare TCP connect' : 'unknown'}) is not supported: GET for http members, CPING for ajp members`)
        return { ...h, method: ajp ? 'CPING' : 'GET' }
      }
      return { ...h, method: m }
    }
    case 'hcinterval': {
      const ms = millis(p.value)
      if (ms === undefined || ms < 100) {
        w.add(p.line, `${where}: hcinterval=${p.value} is not a duration of at least 100 ms: ignored`)
        return h
      }
      return { ...h, interval: ms }
    }
    case 'hcpasses':
    case 'hcfails': {
      const n = parseInteger(p.value)
      if (n === undefined || n < 1) {
        w.add(p.line, `${where}: ${p.key}=${p.value} is not a positive integer: ignored`)
        return h
      }
      return { ...h, [p.key === 'hcpasses' ? 'passes' : 'fails']: n }
    }
    case 'hcuri':
      return { ...h, path: p.value.startsWith('/') ? p.value : `/${p.value}` }
  }
  return h
}
