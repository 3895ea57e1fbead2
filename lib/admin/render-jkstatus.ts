/**
 * jkstatus-compatible output (mod_jk's status worker, `cmd=list|show` with `mime=txt|prop|xml`), so
 * scripts written against jkstatus can read our members.
 *
 * The shapes follow jk_status.c: `txt` is one `Balancer Worker:` line then one `Member:` line per
 * member, `key=value` separated by spaces; `prop` is `worker.<name>.<key>=<value>` lines; `xml` is
 * `<jk:status>` / `<jk:balancers>` / `<jk:balancer>` / `<jk:member>` with one attribute per line.
 * Activation is `ACT`, `DIS` (draining) or `STP` (stopped); a standby member is shown `ACT` with our
 * own `admin_state=standby`. State is `OK`, `ERR` or `ERR/REC` (recovering). Counters mod_jk has and
 * we do not (client errors, reply timeouts, max busy) are left out rather than invented.
 *
 * @module
 */
import type { BalancerSnapshot, MemberSnapshot } from './snapshot.js'

/** The machine-readable jkstatus formats. */
export type JkMime = 'txt' | 'prop' | 'xml'

/** The outcome line of a change command (`cmd=update|reset|recover`). */
export interface JkResult {
  readonly type: 'OK' | 'NOT OK'
  readonly message: string
}

/** Options of {@link renderJkStatus}. */
export interface JkStatusOptions {
  readonly mime: JkMime
  /** Only this member (`sw=`); default all. */
  readonly member?: string | undefined
  /** A command's outcome, written first. */
  readonly result?: JkResult | undefined
}

const ACTIVATION: Record<MemberSnapshot['admin'], string> = { active: 'ACT', draining: 'DIS', stopped: 'STP', standby: 'ACT' }
const STATE: Record<MemberSnapshot['health'], string> = { ok: 'OK', error: 'ERR', recovering: 'ERR/REC' }

type Attr = readonly [key: string, value: string | number]

function balancerAttrs(s: BalancerSnapshot): Attr[] {
  let good = 0
  let bad = 0
  for (const m of s.members) {
    if (m.admin === 'stopped' || m.health === 'error') bad++
    else if (m.admin === 'active' && m.health === 'ok') good++
  }
  return [
    ['type', 'lb'],
    ['sticky_session', s.sticky ? 'True' : 'False'],
    ['sticky_session_force', s.sticky?.force ? 'True' : 'False'],
    ['retries', s.maxAttempts],
    ['recover_time', s.retrySeconds],
    ['method', s.scheduler],
    ['member_count', s.members.length],
    ['good', good],
    ['degraded', s.members.length - good - bad],
    ['bad', bad],
    ['busy', s.totals.inFlight],
  ]
}

function memberAttrs(m: MemberSnapshot, now: number): Attr[] {
  const url = new URL(m.url)
  const port = url.port || (m.protocol === 'https' ? '443' : m.protocol === 'http' ? '80' : '8009')
  const recover = m.retryAt === null ? 0 : Math.max(0, Math.ceil((m.retryAt - now) / 1000))
  const attrs: Attr[] = [
    ['type', m.protocol === 'ajp' ? 'ajp13' : m.protocol],
    ['host', url.hostname],
    ['port', Number(port)],
    ['address', `${url.hostname}:${port}`],
    ['activation', ACTIVATION[m.admin]],
    ['lbfactor', m.weight],
    ['route', m.route ?? ''],
    ['redirect', m.redirect ?? ''],
    ['domain', m.effectiveDomain ?? ''],
    ['distance', 0],
    ['state', STATE[m.health]],
    ['elected', m.counters.elected],
    ['errors', m.counters.errors],
    ['transferred', m.counters.bytesOut],
    ['read', m.counters.bytesIn],
    ['busy', m.counters.inFlight],
    ['connected', m.sockets.open],
    ['time_to_recover_min', recover],
    ['time_to_recover_max', recover],
    ['admin_state', m.admin],
    ['health_state', m.health],
  ]
  if (m.lastError) {
    attrs.push(['error_time_unix_seconds', Math.floor(m.lastError.at / 1000)], ['error_time_ago', Math.max(0, Math.floor((now - m.lastError.at) / 1000))], ['error_code', m.lastError.code])
  }
  return attrs
}

/** Only characters jkstatus itself would print; anything else becomes `@` (as jk_status.c masks). */
function plain(value: string | number): string {
  return String(value).replace(/[\r\n<>"'&=]/g, '@')
}

function xmlAttr(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/**
 * Renders the snapshot the way jkstatus answers `cmd=list` (all members) or `cmd=show&sw=<member>`.
 *
 * @example
 * ```ts
 * renderJkStatus(snap, { mime: 'prop' })
 * // worker.list=balancer
 * // worker.balancer.type=lb
 * // …
 * // worker.balancer.balance_workers=TomcatA
 * // worker.TomcatA.type=ajp13
 * ```
 */
export function renderJkStatus(snapshot: BalancerSnapshot, options: JkStatusOptions): string {
  const members = options.member === undefined ? snapshot.members : snapshot.members.filter((m) => m.id === options.member)
  const name = snapshot.name
  const lb = balancerAttrs(snapshot)
  const result = options.result
  switch (options.mime) {
    case 'txt': {
      let out = result ? `Result: type=${result.type} message="${plain(result.message)}"\n` : ''
      out += `Balancer Worker: name=${name}${lb.map(([k, v]) => ` ${k}=${plain(v)}`).join('')}\n`
      for (const m of members) {
        out += `Member: name=${plain(m.id)}${memberAttrs(m, snapshot.time).map(([k, v]) => ` ${k}=${k === 'route' || k === 'redirect' || k === 'domain' ? `"${plain(v)}"` : plain(v)}`).join('')}\n`
      }
      return out
    }
    case 'prop': {
      const lines: string[] = []
      if (result) lines.push(`worker.result.type=${result.type}`, `worker.result.message=${plain(result.message)}`)
      lines.push(`worker.list=${name}`)
      for (const [k, v] of lb) lines.push(`worker.${name}.${k}=${plain(v)}`)
      for (const m of members) {
        lines.push(`worker.${name}.balance_workers=${plain(m.id)}`)
        for (const [k, v] of memberAttrs(m, snapshot.time)) lines.push(`worker.${plain(m.id)}.${k}=${plain(v)}`)
      }
      return `${lines.join('\n')}\n`
    }
    case 'xml': {
      let out = '<?xml version="1.0" encoding="UTF-8" ?>\n<jk:status xmlns:jk="http://tomcat.apache.org">\n'
      if (result) out += `  <jk:result type="${result.type}" message="${xmlAttr(result.message)}"/>\n`
      out += '  <jk:balancers count="1">\n    <jk:balancer\n'
      out += `      name="${xmlAttr(name)}"\n`
      for (const [k, v] of lb) out += `      ${k}="${xmlAttr(v)}"\n`
      out += '    >\n'
      for (const m of members) {
        out += '      <jk:member\n'
        out += `        name="${xmlAttr(m.id)}"\n`
        for (const [k, v] of memberAttrs(m, snapshot.time)) out += `        ${k}="${xmlAttr(v)}"\n`
        out += '      />\n'
      }
      out += '    </jk:balancer>\n  </jk:balancers>\n</jk:status>\n'
      return out
    }
  }
}

/** The content type jkstatus sends for each format. */
export function jkContentType(mime: JkMime): string {
  return mime === 'xml' ? 'text/xml; charset=utf-8' : 'text/plain; charset=utf-8'
}
