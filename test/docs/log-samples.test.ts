/**
 * The sample lines of the guides are what the code writes: each access and audit line of
 * docs/guide/cli.md and docs/guide/logging.md is read back into a record and written again by the
 * formatter the CLI uses (lib/access-log/), and must come out byte for byte; each SIGHUP report line
 * is one that bin/cli/reload-report.ts can write. The log tools' blocks of logging.md (awk, the
 * GoAccess format, the nginx `log_format` and httpd `LogFormat`) are run or read against lines the
 * formatter writes, so a change of the line's layout breaks the page.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { changeLine, rebuildLine } from '../../bin/cli/reload-report.js'
import type { AccessRecord, UpstreamAttempt } from '../../lib/access-log/access-record.js'
import type { AuditRecord } from '../../lib/access-log/audit-record.js'
import { formatAccessJson } from '../../lib/access-log/json-format.js'
import { formatAuditText, formatCombined, formatCommon } from '../../lib/access-log/text-format.js'
import type { MemberChange } from '../../lib/reload/member-merge.js'
import { docBlock } from '../support/doc-blocks.js'

const CLI_GUIDE = 'docs/guide/cli.md'
const LOGGING_GUIDE = 'docs/guide/logging.md'

const lines = (block: string): string[] => block.split('\n').filter((l) => l !== '')

// ---------------------------------------------------------------------------------------------
// reading lines back into records

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const TIME = String.raw`\[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]`
const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`

/** `%t` as ms since the epoch and the `offsetMinutes` the formatter takes (minutes west of UTC). */
function readTime(m: string[]): { time: number; offsetMinutes: number } {
  const [day, month = '', year, h, min, s, sign, oh, om] = m.map(String)
  const offsetMinutes = (sign === '-' ? 1 : -1) * (Number(oh) * 60 + Number(om))
  const month0 = MONTHS.indexOf(month)
  expect(month0, `month ${month}`).toBeGreaterThanOrEqual(0)
  return { time: Date.UTC(Number(year), month0, Number(day), Number(h), Number(min), Number(s)) + offsetMinutes * 60_000, offsetMinutes }
}

/** The samples contain no escaped byte; `\"` and `\\` are read back. */
const unescape = (text: string): string => text.replace(/\\(["\\])/g, '$1')
const orNone = (field: string): string | undefined => (field === '-' ? undefined : field)
const msOf = (seconds: string): number => Math.round(Number(seconds) * 1000 * 1000) / 1000

const ACCESS_LINE = new RegExp(String.raw`^(\S+) - - ${TIME} ${QUOTED} (\d{3}) (\d+|-)(?: ${QUOTED} ${QUOTED})? (\d+\.\d{3}) (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$`)

/** A text access line read back: the record it says, the offset of its time, and its format. */
function readAccessLine(line: string): { record: AccessRecord; offsetMinutes: number; format: 'common' | 'combined' } {
  const m = ACCESS_LINE.exec(line)
  expect(m, `not an access line of the documented layout:\n${line}`).not.toBeNull()
  const [, client = '', ...rest] = m as unknown as string[]
  const { time, offsetMinutes } = readTime(rest.slice(0, 9))
  const [request = '', status = '', bytes = '', referer, userAgent, duration = '', addresses = '', statuses = '', times = '', route = '', reason = '', error = ''] = rest.slice(9)
  const [method = '', ...target] = unescape(request).split(' ')
  const protocol = target.pop() ?? ''
  const upstreams: UpstreamAttempt[] = []
  if (addresses !== '-') {
    const [a, s, t] = [addresses.split(','), statuses.split(','), times.split(',')]
    expect([s.length, t.length], `${line}: one status and one time per upstream address`).toEqual([a.length, a.length])
    a.forEach((address, i) => upstreams.push({ member: address, address, status: s[i] === '-' ? 0 : Number(s[i]), durationMs: msOf(t[i] as string), reason: 'new', error: undefined }))
  } else expect([statuses, times], `${line}: no upstream statuses or times without an address`).toEqual(['-', '-'])
  const record: AccessRecord = {
    time, client, method, url: target.join(' '), protocol, status: Number(status), bytes: bytes === '-' ? 0 : Number(bytes),
    referer: referer === undefined || referer === '-' ? undefined : unescape(referer),
    userAgent: userAgent === undefined || userAgent === '-' ? undefined : unescape(userAgent),
    durationMs: msOf(duration), upstreams, route: orNone(route), reason: orNone(reason) as AccessRecord['reason'], sessionRoute: undefined,
    error: orNone(error) as AccessRecord['error'], aborted: false,
  }
  return { record, offsetMinutes, format: referer === undefined ? 'common' : 'combined' }
}

const AUDIT_LINE = new RegExp(String.raw`^(\S+) - - ${TIME} audit (change|refused) listener=(\S+) host=${QUOTED} xff=${QUOTED} via=(\S+) status=(\d{3}|-) request="(\S+) ((?:[^"\\]|\\.)*)" what=${QUOTED}$`)

/** A text audit line read back. */
function readAuditLine(line: string): { record: AuditRecord; offsetMinutes: number } {
  const m = AUDIT_LINE.exec(line)
  expect(m, `not an audit line of the documented layout:\n${line}`).not.toBeNull()
  const [, client = '', ...rest] = m as unknown as string[]
  const { time, offsetMinutes } = readTime(rest.slice(0, 9))
  const [outcome = '', listener = '', host = '', xff = '', via = '', status = '', method = '', url = '', what = ''] = rest.slice(9)
  const change = outcome === 'change'
  const record: AuditRecord = {
    time, outcome: outcome as AuditRecord['outcome'], client, forwardedFor: orNone(unescape(xff)), listener, host: orNone(unescape(host)),
    method, url: unescape(url), via: orNone(via), action: change ? unescape(what) : undefined,
    status: status === '-' ? undefined : Number(status), reason: change ? undefined : unescape(what),
  }
  return { record, offsetMinutes }
}

/** Every line of a sample block, read back and written again by the formatter: the same text. */
function expectWrittenAgain(block: string): void {
  for (const line of lines(block)) {
    if (/^\S+ - - \[[^\]]*\] audit /.test(line)) {
      const { record, offsetMinutes } = readAuditLine(line)
      expect(formatAuditText(record, offsetMinutes)).toBe(line)
    } else {
      const { record, offsetMinutes, format } = readAccessLine(line)
      expect((format === 'common' ? formatCommon : formatCombined)(record, offsetMinutes)).toBe(line)
    }
  }
}

describe('the access and audit lines the guides show are written so by lib/access-log/', () => {
  it('cli.md: the access-log sample (combined lines and an audit line)', () => {
    const block = docBlock(CLI_GUIDE, 'access-log-sample')
    expect(lines(block).filter((l) => l.includes('] audit ')).length).toBeGreaterThan(0)
    expectWrittenAgain(block)
  })

  it('logging.md: the line of a request to TomcatA by its session route', () => {
    const [line = ''] = lines(docBlock(LOGGING_GUIDE, 'access-log-line'))
    expect(readAccessLine(line).record).toMatchObject({ route: 'TomcatA', reason: 'sticky' })
    expectWrittenAgain(line)
  })

  it('logging.md: the audit lines, a change and a refusal', () => {
    const block = docBlock(LOGGING_GUIDE, 'audit-lines')
    expect(lines(block).map((l) => readAuditLine(l).record.outcome)).toEqual(['change', 'refused'])
    expectWrittenAgain(block)
  })

  it('logging.md: the JSON line, read back, is written so by formatAccessJson', () => {
    const json = JSON.parse(docBlock(LOGGING_GUIDE, 'access-log-json')) as Record<string, unknown>
    const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v)
    const record = {
      ...json,
      time: Date.parse(json.time as string),
      referer: orUndefined(json.referer), userAgent: orUndefined(json.userAgent), route: orUndefined(json.route), reason: orUndefined(json.reason),
      sessionRoute: orUndefined(json.sessionRoute), error: orUndefined(json.error),
      upstreams: (json.upstreams as Record<string, unknown>[]).map((u) => ({ ...u, error: orUndefined(u.error) })),
    } as unknown as AccessRecord
    expect(`${formatAccessJson(record)}\n`).toBe(docBlock(LOGGING_GUIDE, 'access-log-json'))
  })

  it('reading back fails on a line that is not of the layout', () => {
    const good = lines(docBlock(CLI_GUIDE, 'access-log-sample'))[0] as string
    expect(() => expectWrittenAgain(good.replace(' sticky -', ' sticky'))).toThrow()
    expect(() => expectWrittenAgain(good.replace(' 0.004 ', ' 4ms '))).toThrow()
    expect(() => expectWrittenAgain(good.replace('127.0.0.1:8081 200', '127.0.0.1:8081 200,200'))).toThrow()
  })
})

// ---------------------------------------------------------------------------------------------
// the SIGHUP report

/** What each placeholder of a report line stands for: a member id, a URL, a setting, a value, a list of options. */
const PLACEHOLDER: Record<string, string> = {
  id: String.raw`[^\s:]+`,
  url: String.raw`[a-z]+://[^\s()]+`,
  setting: '[a-z]+',
  value: String.raw`\(none\)|[^\s()]+`,
  why: '.+',
  options: String.raw`\w+(?:, \w+)*`,
}

/** `text` as a regular expression matching it literally, each `\u0000kind\u0000` as its {@link PLACEHOLDER} and 987654 as a number. */
function template(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`^${escaped.replace(/\u0000(\w+)\u0000/g, (_, kind: string) => `(?:${PLACEHOLDER[kind] as string})`).replaceAll('987654', String.raw`\d+`)}$`)
}

/** Every line `changeLine` and `rebuildLine` can write, as a pattern. */
function reportPatterns(): RegExp[] {
  const v = (kind: string): string => `\u0000${kind}\u0000`
  const changes: MemberChange[] = [
    { kind: 'added', id: v('id'), url: v('url') },
    { kind: 'removed', id: v('id') },
    { kind: 'replaced', id: v('id'), why: v('why') },
    { kind: 'updated', id: v('id'), setting: v('setting') as 'state', from: v('value'), to: v('value') },
    { kind: 'overridden', id: v('id'), setting: v('setting') as 'state', runtime: v('value'), file: v('value') },
    { kind: 'kept', id: v('id'), setting: v('setting') as 'state', runtime: v('value'), file: v('value') },
    { kind: 'kept-added', id: v('id'), url: v('url') },
    { kind: 'kept-removed', id: v('id') },
  ]
  return [...changes.map(changeLine), rebuildLine([v('options')], 0), rebuildLine([v('options')], 987654)].map(template)
}

/** A SIGHUP line as bin/cli.ts writes it: `sticky-balancer: SIGHUP: `, then a balancer's line or the summary. */
function isReportLine(line: string, patterns: RegExp[]): boolean {
  const m = /^sticky-balancer: SIGHUP: (?:balancer \S+ \(\/\S*\): (.*)|reloaded \d+ balancer\(s\))$/.exec(line)
  if (!m) return false
  return m[1] === undefined || patterns.some((p) => p.test(m[1] as string))
}

describe('cli.md: the SIGHUP report is made of lines bin/cli/reload-report.ts writes', () => {
  it('every line of the sample', () => {
    const patterns = reportPatterns()
    const block = lines(docBlock(CLI_GUIDE, 'sighup-report'))
    expect(block.filter((l) => !isReportLine(l, patterns))).toEqual([])
    expect(block.at(-1)).toMatch(/reloaded \d+ balancer\(s\)$/)
  })

  it('a line the code does not write is not one', () => {
    const patterns = reportPatterns()
    expect(isReportLine('sticky-balancer: SIGHUP: balancer balancer (/): member TomcatB: weight 1 → 3', patterns)).toBe(true)
    expect(isReportLine('sticky-balancer: SIGHUP: balancer balancer (/): member TomcatB: weight 1 -> 3', patterns)).toBe(false)
    expect(isReportLine('sticky-balancer: SIGHUP: balancer balancer (/): member TomcatC: added', patterns)).toBe(false)
    expect(isReportLine('sticky-balancer: SIGHUP: balancer balancer (/): member TomcatC: added http://10.0.0.3:8080', patterns)).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// the log tools of logging.md, over lines the formatter writes

const at = (ms: number): number => Date.UTC(2026, 11, 8, 0, 35, 12) + ms
const access = (fields: Partial<AccessRecord>): AccessRecord => ({
  time: at(0), client: '127.0.0.1', method: 'GET', url: '/testapp/echo.jsp', protocol: 'HTTP/1.1', status: 200, bytes: 933,
  referer: undefined, userAgent: 'Mozilla/5.0 (X11; Linux x86_64)', durationMs: 4, upstreams: [], route: undefined, reason: undefined,
  sessionRoute: undefined, error: undefined, aborted: false, ...fields,
})
const attempt = (address: string, status: number, durationMs: number): UpstreamAttempt => ({ member: address, address, status, durationMs, reason: 'new', error: undefined })
/** A fast sticky request, a slow one retried on a second member, one the balancer refused, and an audit line. */
const SAMPLE = {
  fast: access({ upstreams: [attempt('127.0.0.1:8081', 200, 3)], route: 'TomcatA', reason: 'sticky' }),
  slow: access({ time: at(1000), durationMs: 1500, upstreams: [attempt('127.0.0.1:8083', 0, 1), attempt('127.0.0.1:8082', 200, 1490)], route: 'TomcatB', reason: 'rescheduled:member-error' }),
  refused: access({ time: at(2000), url: '/other/', status: 404, bytes: 53, durationMs: 0, error: 'LB_ERR_NOT_FOUND' }),
  audit: {
    time: at(3000), outcome: 'change', client: '127.0.0.1', forwardedFor: undefined, listener: '127.0.0.1:9090', host: '127.0.0.1:9090', method: 'POST',
    url: '/balancer-manager/api/members/TomcatA', via: 'json', action: 'member TomcatA: weight=2', status: undefined, reason: undefined,
  } satisfies AuditRecord,
}

describe('logging.md: the awk commands, over a log of each text format', () => {
  it.each(['combined', 'common'] as const)('%s', (format) => {
    const write = format === 'common' ? formatCommon : formatCombined
    const line = (r: AccessRecord): string => write(r, 0)
    const dir = mkdtempSync(join(tmpdir(), 'sb-awk-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'access.log'), `${[line(SAMPLE.fast), line(SAMPLE.slow), formatAuditText(SAMPLE.audit, 0), line(SAMPLE.refused)].join('\n')}\n`)
    const result = spawnSync('bash', ['-e', '-c', docBlock(LOGGING_GUIDE, 'access-log-awk')], { cwd: dir, encoding: 'utf8', timeout: 20_000 })
    expect(result.status, result.stderr).toBe(0)
    // requests per route (in awk's order), then the slow one, then the balancer's own error
    const out = lines(result.stdout)
    expect(out.slice(0, 3).sort()).toEqual(['- 1', 'TomcatA 1', 'TomcatB 1'])
    expect(out.slice(3)).toEqual([line(SAMPLE.slow), line(SAMPLE.refused)])
  })
})

/**
 * GoAccess's reading of a line by its `--log-format`: each specifier takes the text up to the
 * format's next character (to the end for the last), `%^` is skipped, other characters must match.
 */
function goaccessRead(format: string, line: string): Map<string, string> | undefined {
  const fields = new Map<string, string>()
  let i = 0
  for (let f = 0; f < format.length; f++) {
    if (format[f] === '%') {
      const spec = format[++f] as string
      const until = format[f + 1]
      const end = until === undefined ? line.length : line.indexOf(until, i)
      if (end < 0) return undefined
      if (spec !== '^') fields.set(spec, line.slice(i, end))
      i = end
    } else if (line[i++] !== format[f]) return undefined
  }
  return i === line.length ? fields : undefined
}

/** strftime as GoAccess's `--date-format` / `--time-format` use it, for the specifiers these take. */
function strftimePattern(format: string): RegExp {
  const parts: Record<string, string> = { d: String.raw`\d\d`, b: '[A-Z][a-z]{2}', Y: String.raw`\d{4}`, T: String.raw`\d\d:\d\d:\d\d`, H: String.raw`\d\d`, M: String.raw`\d\d`, S: String.raw`\d\d` }
  return new RegExp(`^${format.replace(/%(\w)/g, (_, c: string) => parts[c] ?? `%${c}`)}$`)
}

describe('logging.md: the GoAccess command reads the combined line', () => {
  const command = docBlock(LOGGING_GUIDE, 'goaccess')
  const option = (name: string): string => {
    const m = new RegExp(`--${name}=(?:'([^']*)'|(\\S+))`).exec(command)
    expect(m, `the command has --${name}`).not.toBeNull()
    return (m?.[1] ?? m?.[2]) as string
  }

  it.each(Object.entries(SAMPLE).filter(([k]) => k !== 'audit'))('%s', (_name, record) => {
    const line = formatCombined(record as AccessRecord, 0)
    const fields = goaccessRead(option('log-format'), line)
    expect(fields, `--log-format does not read\n${line}`).toBeDefined()
    const r = record as AccessRecord
    expect(Object.fromEntries(fields ?? [])).toEqual({
      h: r.client, d: '08/Dec/2026', t: expect.stringMatching(strftimePattern(option('time-format'))) as unknown as string,
      r: `${r.method} ${r.url} ${r.protocol}`, s: String(r.status), b: String(r.bytes),
      R: '-', u: 'Mozilla/5.0 (X11; Linux x86_64)', T: (r.durationMs / 1000).toFixed(3),
    })
    expect(fields?.get('d')).toMatch(strftimePattern(option('date-format')))
  })

  it('a format that does not fit the line reads nothing', () => {
    const line = formatCombined(SAMPLE.fast, 0)
    expect(goaccessRead('%h %^[%d:%t %^] "%r" %s %b "%R" "%u" "%T" %^', line)).toBeUndefined()
    // one that fits but takes another field as the request time
    expect(goaccessRead('%h %^[%d:%t %^] "%r" %s %b "%u" %T %^', line)?.get('T')).not.toBe('0.004')
  })
})

describe('logging.md: the nginx log_format and httpd LogFormat write the same fields as the command', () => {
  /** The fields after the Combined part, which the access-log table numbers from the end. */
  const SEVEN = ['$(NF-6)', '$(NF-5)', '$(NF-4)', '$(NF-3)', '$(NF-2)', '$(NF-1)', '$NF']

  it('nginx: nginx\'s own combined format, then seven fields', () => {
    const block = docBlock(LOGGING_GUIDE, 'nginx-log-format')
    const format = [...(/log_format\s+\w+\s+((?:'[^']*'\s*)+);/.exec(block)?.[1] ?? '').matchAll(/'([^']*)'/g)].map((m) => m[1]).join('')
    // nginx's predefined "combined"
    const combined = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"'
    expect(format.startsWith(`${combined} `), format).toBe(true)
    const rest = format.slice(combined.length + 1).split(' ')
    expect(rest, format).toHaveLength(SEVEN.length)
    expect(rest.slice(0, 4)).toEqual(['$request_time', '$upstream_addr', '$upstream_status', '$upstream_response_time'])
    expect(block).toMatch(/^access_log \S+ balancer;$/m)
  })

  it('httpd: httpd\'s Combined Log Format, then seven fields, the route at $(NF-2)', () => {
    const block = docBlock(LOGGING_GUIDE, 'httpd-log-format')
    const format = (/^LogFormat "((?:[^"\\]|\\.)*)" balancer$/m.exec(block)?.[1] ?? '').replace(/\\"/g, '"')
    const combined = '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"'
    expect(format.startsWith(`${combined} `), format).toBe(true)
    const rest = format.slice(combined.length + 1).split(' ')
    expect(rest, format).toHaveLength(SEVEN.length)
    expect(rest[SEVEN.indexOf('$(NF-2)')]).toBe('%{BALANCER_WORKER_ROUTE}e')
    expect(block).toMatch(/^CustomLog \S+ balancer$/m)
  })
})
