/**
 * Imports the `upstream` blocks of an nginx configuration and the `proxy_pass` locations that use
 * them.
 *
 * Directives and defaults follow nginx's upstream and proxy module references
 * (nginx.org/en/docs/http/ngx_http_upstream_module.html, ngx_http_proxy_module.html).
 *
 * This file is long because it holds the whole format: a block parser, then every `upstream`
 * directive and `server` parameter and the `proxy_*` directives of the locations that use them,
 * each mapped, or warned about with its line number, against those two references. It runs once,
 * at start-up.
 *
 * @module
 */
import type { BalancerCookieOptions } from '../session/balancer-cookie.js'
import type { BalancerOptions, MemberOptions } from '../options.js'
import type { HealthCheckOptions } from '../health/health-check-options.js'
import type { StickyOptions } from '../session/sticky-options.js'
import type { ImportOptions, ImportResult, ImportedBalancer } from './types.js'
import { Warnings, asRoute, mountOf, parseInteger, toWeight, uniqueName } from './warnings.js'
import { tlsDirectiveWarning } from './tls-directives.js'

/** One directive, with its block when it has one. */
interface Directive {
  name: string
  args: string[]
  line: number
  block?: Directive[]
}

/** Parses nginx syntax into a tree: words, quotes, `#` comments, `;`, `{` and `}`. */
function parse(text: string, w: Warnings): Directive[] {
  const root: Directive[] = []
  const stack: Directive[][] = [root]
  const opened: Directive[] = []
  let words: string[] = []
  let firstLine = 0
  let line = 1
  let i = 0
  const push = (block: boolean): void => {
    const [name = '', ...args] = words
    const d: Directive = { name, args, line: firstLine }
    if (block) d.block = []
    if (name === '') {
      if (block) w.add(line, 'a block without a directive name: ignored')
    } else stack.at(-1)!.push(d)
    if (block) {
      stack.push(d.block!)
      opened.push(d)
    }
    words = []
  }
  while (i < text.length) {
    const c = text[i]!
    if (c === '\n') {
      line++
      i++
      continue
    }
    // Any other white space too (a vertical tab, a no-break space): the word scanner below stops
    // at every \s, so leaving one here would read an empty word forever.
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++
      continue
    }
    if (c === ';') {
      push(false)
      i++
      continue
    }
    if (c === '{') {
      push(true)
      i++
      continue
    }
    if (c === '}') {
      if (words.length > 0) {
        w.add(firstLine, `"${words.join(' ')}" is missing its ";": read as a directive`)
        push(false)
      }
      if (stack.length === 1) w.add(line, 'unbalanced "}": ignored')
      else {
        stack.pop()
        opened.pop()
      }
      i++
      continue
    }
    if (words.length === 0) firstLine = line
    if (c === '"' || c === "'") {
      let j = i + 1
      let word = ''
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) j++
        if (text[j] === '\n') line++
        word += text[j]
        j++
      }
      words.push(word)
      i = j + 1
      continue
    }
    let j = i
    while (j < text.length && !/[\s;{}]/.test(text[j]!)) {
      // nginx's `${name}`: the braces belong to the variable, not to a block.
      const close = text[j] === '$' && text[j + 1] === '{' ? text.indexOf('}', j + 2) : -1
      j = close > 0 && /^[A-Za-z0-9_]+$/.test(text.slice(j + 2, close)) ? close + 1 : j + 1
    }
    words.push(text.slice(i, j))
    i = j
  }
  if (words.length > 0) {
    w.add(firstLine, `"${words.join(' ')}" is missing its ";": read as a directive`)
    push(false)
  }
  for (const d of opened) w.add(d.line, `the block of "${d.name}" is never closed`)
  return root
}

/** nginx time: `10s`, `1m`, `500ms`, `1h30m`; a bare number is seconds. In milliseconds. */
function timeMs(value: string): number | undefined {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 }
  if (/^\d+$/.test(value)) return Number(value) * 1000
  let total = 0
  let rest = value
  while (rest.length > 0) {
    const m = /^(\d+)(ms|s|m|h|d|w|M|y)/.exec(rest)
    if (!m) return undefined
    total += Number(m[1]) * units[m[2]!]!
    rest = rest.slice(m[0].length)
  }
  return total
}

interface UpstreamDef {
  name: string
  line: number
  block: Directive[]
}

interface ProxySettings {
  preserveHost?: boolean
  xForwarded?: boolean
  connectTimeout?: number
  timeout?: number
  failOnStatus?: number[]
  nextUpstreamOff?: boolean
  tries?: number
  health?: HealthCheckOptions
}

const SKIP_SERVER_PARAMS: Record<string, string> = {
  max_conns: 'use http.maxSockets or ajp.maxConnections',
  resolve: 'addresses are resolved per connection',
  service: 'SRV records are not supported',
  slow_start: '',
}

/**
 * Imports an nginx configuration: every `location` whose `proxy_pass` names an `upstream` gives a
 * balancer mounted at the location's prefix, with the upstream's servers as `http://` (or
 * `https://`) members. nginx has no session stickiness unless `sticky` is set, so balancers
 * without it get `sticky: false`; the default round robin is `wrr` (nginx's smooth weighted round
 * robin). Never throws: what cannot be mapped is in `warnings`, one per file line.
 *
 * @example
 * ```ts
 * const { balancers, warnings } = fromNginxConfig(readFileSync('/etc/nginx/nginx.conf', 'utf8'))
 * ```
 */
export function fromNginxConfig(text: string, options: ImportOptions = {}): ImportResult {
  const w = new Warnings(options.fileName ?? 'nginx.conf')
  const tree = parse(text, w)
  const upstreams = new Map<string, UpstreamDef>()
  const used = new Set<string>()
  const balancers: ImportedBalancer[] = []
  const names = new Set<string>()

  const collectUpstreams = (list: Directive[]): void => {
    for (const d of list) {
      if (d.name === 'upstream' && d.block) {
        const name = d.args[0] ?? ''
        if (upstreams.has(name)) w.add(d.line, `upstream ${name} is defined twice: the second is ignored`)
        else upstreams.set(name, { name, line: d.line, block: d.block })
      } else if (d.name === 'include') w.add(d.line, `include ${d.args.join(' ')} is not followed: import those files separately`)
      else if (d.block) collectUpstreams(d.block)
    }
  }
  collectUpstreams(tree)

  const proxySettings = (list: Directive[], inherited: ProxySettings): ProxySettings => {
    const s: ProxySettings = { ...inherited }
    for (const d of list) {
      switch (d.name) {
        case 'proxy_set_header': {
          const header = (d.args[0] ?? '').toLowerCase()
          const value = (d.args[1] ?? '').replace(/\$\{([A-Za-z0-9_]+)\}/g, '$$$1') // `${host}` is `$host`
          if (header === 'host') {
            if (/^\$(host|http_host)$/.test(value) || /^\$host:\$server_port$/.test(value)) s.preserveHost = true
            else if (value === '$proxy_host') s.preserveHost = false
            else w.add(d.line, `proxy_set_header Host ${value}: only $host/$http_host (the client's) or $proxy_host (the member's) can be imported: the member's`)
          } else if (header === 'x-forwarded-for' || header === 'x-forwarded-proto' || header === 'x-forwarded-host') s.xForwarded = true
          else if (header === 'x-real-ip') w.add(d.line, 'proxy_set_header X-Real-IP is not set by the balancer; X-Forwarded-For carries the client address (xForwarded)')
          else if (header === 'upgrade' || header === 'connection') continue
          else w.add(d.line, `proxy_set_header ${d.args[0]} is not supported: add the header in your server before the balancer`)
          break
        }
        case 'proxy_connect_timeout': {
          const ms = timeMs(d.args[0] ?? '')
          if (ms === undefined || ms === 0) w.add(d.line, `proxy_connect_timeout ${d.args[0] ?? ''} is not a time: ignored`)
          else s.connectTimeout = Math.min(ms, 600_000)
          break
        }
        case 'proxy_read_timeout': {
          const ms = timeMs(d.args[0] ?? '')
          if (ms === undefined || ms === 0) w.add(d.line, `proxy_read_timeout ${d.args[0] ?? ''} is not a time: ignored`)
          else s.timeout = ms
          break
        }
        case 'proxy_next_upstream': {
          const list = d.args
          if (list.includes('off')) {
            s.nextUpstreamOff = true
            break
          }
          const codes = list.filter((a) => /^http_\d{3}$/.test(a)).map((a) => Number(a.slice(5)))
          s.failOnStatus = codes.length > 0 ? codes : undefined
          const other = list.filter((a) => !/^http_\d{3}$/.test(a) && !['error', 'timeout', 'invalid_header'].includes(a))
          if (other.length > 0) w.add(d.line, `proxy_next_upstream ${other.join(' ')}: not supported (${other.includes('non_idempotent') ? 'only idempotent requests are retried' : 'ignored'})`)
          break
        }
        case 'proxy_next_upstream_tries': {
          const n = parseInteger(d.args[0] ?? '')
          if (n === undefined) w.add(d.line, `proxy_next_upstream_tries ${d.args[0] ?? ''} is not an integer: ignored`)
          else s.tries = n
          break
        }
        case 'health_check': {
          const h: HealthCheckOptions = {}
          for (const a of d.args) {
            const [k, v = ''] = a.split('=', 2) as [string, string?]
            if (k === 'interval') {
              const ms = timeMs(v)
              if (ms !== undefined && ms >= 100) h.interval = ms
            } else if (k === 'fails' || k === 'passes') {
              const n = parseInteger(v)
              if (n !== undefined && n > 0) h[k] = n
            } else if (k === 'uri') h.path = v
            else w.add(d.line, `health_check ${a} is not supported: ignored`)
          }
          h.interval ??= 5000
          s.health = h
          break
        }
        case 'proxy_http_version':
        case 'proxy_redirect':
        case 'proxy_pass':
          break
        default:
          if (d.name.startsWith('proxy_')) w.add(d.line, tlsDirectiveWarning(d.name, d.name) ?? `${d.name} is not supported: ignored`)
      }
    }
    return s
  }

  const walk = (list: Directive[], inherited: ProxySettings, scope: string): void => {
    const settings = proxySettings(list, inherited)
    for (const d of list) {
      if (!d.block) continue
      if (d.name === 'upstream') continue
      if (d.name === 'location') {
        const [first = '', second] = d.args
        let path = first
        if (second !== undefined) {
          if (first === '~' || first === '~*') {
            w.add(d.line, `location ${first} ${second} (a regular expression) is not supported: skipped`)
            continue
          }
          if (first === '=' && d.block.some((x) => x.name === 'proxy_pass')) w.add(d.line, `location = ${second} (exact match) is imported as a path prefix`)
          path = second
        } else if (first.startsWith('@')) {
          continue
        }
        const inner = proxySettings(d.block, settings)
        const pass = d.block.find((x) => x.name === 'proxy_pass')
        if (pass) importLocation(path, pass, inner)
        walk(d.block.filter((x) => x.name === 'location'), inner, scope)
        continue
      }
      walk(d.block, settings, d.name)
    }
  }

  const importLocation = (path: string, pass: Directive, settings: ProxySettings): void => {
    const target = pass.args[0] ?? ''
    const m = /^(https?):\/\/([^/]+)(\/.*)?$/.exec(target)
    if (!m) {
      w.add(pass.line, `proxy_pass ${target}: only http:// and https:// targets are imported: skipped`)
      return
    }
    const [, scheme, host, uri] = m as unknown as [string, string, string, string | undefined]
    if (host.includes('$')) {
      w.add(pass.line, `proxy_pass ${target}: variables are not supported: skipped`)
      return
    }
    const mount = mountOf(path)
    const up = upstreams.get(host)
    let options: BalancerOptions | undefined
    if (up) {
      used.add(up.name)
      options = importUpstream(up, scheme, w)
    } else {
      options = { members: [{ url: `${scheme}://${host}` }], scheduler: 'wrr', sticky: false }
      w.add(pass.line, `proxy_pass ${target}: ${host} is not an upstream: imported as a balancer of one member`)
    }
    if (!options) return
    if (uri !== undefined) {
      const upstreamPrefix = uri.replace(/\/+$/, '')
      if (upstreamPrefix !== (mount === '/' ? '' : mount)) options.upstreamPath = upstreamPrefix === '' ? '/' : upstreamPrefix
    }
    options.xForwarded = settings.xForwarded ?? false
    if (settings.preserveHost) options.preserveHost = true
    if (settings.connectTimeout !== undefined) options.connectTimeout = settings.connectTimeout
    if (settings.timeout !== undefined) options.timeout = settings.timeout
    if (settings.failOnStatus) options.failOnStatus = settings.failOnStatus
    if (settings.nextUpstreamOff) options.maxAttempts = 0
    else if (settings.tries !== undefined && settings.tries > 0) options.maxAttempts = Math.min(settings.tries - 1, 100)
    if (settings.health) options.health = settings.health
    balancers.push({ name: uniqueName(up?.name ?? host, names), mount, options })
  }

  walk(tree, {}, 'main')
  for (const up of upstreams.values()) {
    if (!used.has(up.name)) w.add(up.line, `upstream ${up.name} is not used by any proxy_pass location: not imported`)
  }
  if (upstreams.size === 0 && balancers.length === 0) w.add(0, 'no upstream and no proxy_pass found: nothing imported')
  return { balancers, warnings: w.list }
}

function importUpstream(up: UpstreamDef, scheme: string, w: Warnings): BalancerOptions | undefined {
  const members: MemberOptions[] = []
  const options: BalancerOptions = { members, scheduler: 'wrr', sticky: false }
  let maxFails: { n: number; line: number } | undefined
  let failTimeout: { ms: number; line: number } | undefined
  let slowStartMs: number | undefined
  let sticky: StickyOptions | false = false
  for (const d of up.block) {
    switch (d.name) {
      case 'server': {
        const [address = '', ...ps] = d.args
        if (address.startsWith('unix:')) {
          w.add(d.line, `server ${address}: unix sockets are not supported: not imported`)
          break
        }
        const hasPort = /^\[[^\]]+\]:\d+$/.test(address) || /^[^:[\]]+:\d+$/.test(address)
        const hostPort = hasPort ? address : `${address}:${scheme === 'https' ? 443 : 80}`
        const member: MemberOptions = { url: `${scheme}://${hostPort}` }
        for (const p of ps) {
          const [k, v = ''] = p.split('=', 2) as [string, string?]
          switch (k) {
            case 'weight': {
              const weight = toWeight(v, `server ${address} weight`, d.line, w)
              if (weight !== undefined && weight !== 1) member.weight = weight
              break
            }
            case 'max_fails': {
              const n = parseInteger(v)
              if (n === undefined) w.add(d.line, `server ${address} max_fails=${v} is not an integer: ignored`)
              else if (n === 0) w.add(d.line, `server ${address} max_fails=0 (never count failures) is not supported: maxFails stays ${maxFails?.n ?? 1}`)
              else if (!maxFails) maxFails = { n, line: d.line }
              else if (maxFails.n !== n) w.add(d.line, `server ${address} max_fails=${n} differs from max_fails=${maxFails.n} (line ${maxFails.line}); the balancer has one maxFails: the first is kept`)
              break
            }
            case 'fail_timeout': {
              const ms = timeMs(v)
              if (ms === undefined) w.add(d.line, `server ${address} fail_timeout=${v} is not a time: ignored`)
              else if (!failTimeout) failTimeout = { ms, line: d.line }
              else if (failTimeout.ms !== ms) w.add(d.line, `server ${address} fail_timeout=${v} differs from the first server's (line ${failTimeout.line}); the balancer has one retry: the first is kept`)
              break
            }
            case 'backup':
              member.state = 'standby'
              break
            case 'down':
              member.state = 'stopped'
              break
            case 'drain':
              member.state = 'draining'
              break
            case 'route': {
              const r = asRoute(v)
              if (r) member.route = r
              else w.add(d.line, `server ${address} route=${v} is not a valid route: ignored`)
              break
            }
            case 'slow_start': {
              const ms = timeMs(v)
              if (ms !== undefined) slowStartMs = Math.min(3_600_000, ms)
              break
            }
            default:
              w.add(d.line, `server ${address} ${p} is not supported${SKIP_SERVER_PARAMS[k] ? ` (${SKIP_SERVER_PARAMS[k]})` : ''}: ignored`)
          }
        }
        const twin = members.find((x) => (member.route !== undefined ? x.route === member.route : x.route === undefined && x.url === member.url))
        if (twin) {
          w.add(d.line, `server ${address} repeats another server's ${member.route ? 'route' : 'address'}: not imported (give each a route=)`)
          break
        }
        members.push(member)
        break
      }
      case 'ip_hash':
        options.scheduler = 'ip_hash'
        break
      case 'least_conn':
        options.scheduler = 'leastconn'
        break
      case 'least_time':
        options.scheduler = 'peakewma'
        w.add(d.line, `least_time ${d.args.join(' ')} becomes peakewma (latency × load, two random choices)`)
        break
      case 'random':
        options.scheduler = 'random'
        if (d.args[0] !== 'two') w.add(d.line, 'random without "two": the random scheduler picks the better of two random members')
        else if (d.args[1] && d.args[1] !== 'least_conn') w.add(d.line, `random two ${d.args[1]}: the two are compared by connections`)
        break
      case 'hash': {
        const key = d.args[0] ?? ''
        if (/^\$(remote_addr|binary_remote_addr)$/.test(key)) {
          options.scheduler = 'ip_hash'
          w.add(d.line, `hash ${d.args.join(' ')} becomes ip_hash (nginx's /24 IPv4 hash, not a ${d.args.includes('consistent') ? 'consistent ' : ''}hash of the whole address); for a ring use createConsistentHash() in code`)
        } else if (/^\$cookie_jsessionid$/i.test(key)) {
          sticky = {}
          w.add(d.line, `hash ${key} becomes Tomcat route stickiness (the JSESSIONID route picks the member); new sessions are spread by wrr`)
        } else {
          w.add(d.line, `hash ${d.args.join(' ')}: hashing on ${key} cannot be written as JSON options: wrr is used (use createConsistentHash({ key }) in code)`)
        }
        break
      }
      case 'sticky': {
        const [kind = '', ...rest] = d.args
        if (kind === 'cookie') {
          const name = rest[0] ?? 'route'
          const cookie: BalancerCookieOptions = { name, httpOnly: false, secure: false, sameSite: 'Lax' }
          for (const a of rest.slice(1)) {
            const [k, v = ''] = a.split('=', 2) as [string, string?]
            if (k === 'expires') {
              if (v === 'max') cookie.maxAgeMs = 315_360_000_000 // nginx: 2037-12-31, about ten years
              else {
                const ms = timeMs(v)
                if (ms !== undefined) cookie.maxAgeMs = ms
                else w.add(d.line, `sticky cookie expires=${v} is not a time: a browser-session cookie`)
              }
            } else if (k === 'path') cookie.path = v
            else if (k === 'httponly') cookie.httpOnly = true
            else if (k === 'secure') cookie.secure = true
            else if (k === 'samesite') {
              const s = v.toLowerCase()
              if (s === 'strict') cookie.sameSite = 'Strict'
              else if (s === 'none') cookie.sameSite = 'None'
              else if (s === 'lax') cookie.sameSite = 'Lax'
              else w.add(d.line, `sticky cookie samesite=${v} is not Strict, Lax or None: Lax`)
            } else if (k === 'domain') w.add(d.line, 'sticky cookie domain= is not supported: the cookie is for the request host')
            else w.add(d.line, `sticky cookie ${a} is not supported: ignored`)
          }
          if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
            w.add(d.line, `sticky cookie ${name}: not a cookie name: sticky not imported`)
            break
          }
          sticky = { cookie: name, pathParam: false, balancerCookie: cookie }
          w.add(d.line, `sticky cookie ${name} → sticky.balancerCookie (value ".<route>", not nginx's md5 of the address; existing cookies do not carry over)`)
        } else if (kind === 'route') {
          sticky = {}
          w.add(d.line, `sticky route ${rest.join(' ')}: the variables are not evaluated; the route is read from Tomcat's JSESSIONID cookie and ;jsessionid= path parameter (what the usual map blocks extract), matched against server route=`)
        } else if (kind === 'learn') {
          sticky = { balancerCookie: true }
          w.add(d.line, 'sticky learn (server-side session table) is not supported: Tomcat route stickiness plus a ROUTEID balancer cookie are used instead')
        } else w.add(d.line, `sticky ${kind} is not supported: ignored`)
        break
      }
      case 'keepalive': {
        const n = parseInteger(d.args[0] ?? '')
        if (n === undefined || n === 0) w.add(d.line, `keepalive ${d.args[0] ?? ''} is not a positive integer: ignored`)
        else options.http = { ...options.http, maxFreeSockets: n }
        break
      }
      case 'keepalive_timeout': {
        const ms = timeMs(d.args[0] ?? '')
        if (ms === undefined || ms === 0) w.add(d.line, `keepalive_timeout ${d.args[0] ?? ''} is not a time: ignored`)
        else options.http = { ...options.http, idleTimeout: Math.min(ms, 3_600_000) }
        break
      }
      case 'zone':
        break
      case 'keepalive_requests':
      case 'keepalive_time':
        w.add(d.line, `${d.name} is not supported (idle sockets are closed after http.idleTimeout): ignored`)
        break
      default:
        w.add(d.line, `${d.name} in upstream ${up.name} is not supported: ignored`)
    }
  }
  if (members.length === 0) {
    w.add(up.line, `upstream ${up.name} has no usable server: not imported`)
    return undefined
  }
  if (maxFails) options.maxFails = Math.min(maxFails.n, 1000)
  // nginx: a server is out for fail_timeout (10 s by default) after max_fails failures.
  options.retryMs = failTimeout?.ms ?? 10_000
  if (slowStartMs) options.slowStartMs = slowStartMs
  if (sticky !== false) options.sticky = sticky
  if (options.scheduler === 'ip_hash' || options.scheduler === 'random') {
    for (const m of members) if (m.state === 'standby') w.add(up.line, `upstream ${up.name}: backup servers are not allowed with ${options.scheduler} in nginx; imported as standby anyway`)
  }
  return options
}
