/**
 * The migration guides cover the tutorial: every directive, key and parameter that the tutorial's
 * configurations use (rebuilt in test/config/fixtures/tutorial-*) has a row in the table of the
 * matching guide, and each row names our option, or says "not supported" / "not needed" and why.
 * The same holds for the Debian sample files and the peers' reference configurations beside them
 * (debian-*, peers-*).
 *
 * Directives are read from the fixture files with small tokenizers of each format, not with our
 * importers, so a directive the importer silently skips still needs its row.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const FIXTURES = join(ROOT, 'test/config/fixtures')
const GUIDES = join(ROOT, 'docs/guide')

const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8')

/**
 * What a configuration uses: `name` alone, or `name=value` where the guide's row for `name` must
 * also mention `value` (worker types, the balancer-manager handler).
 */
type Use = string

/** `workers.properties`: `worker.<name>.<key>=…` gives `<key>`; other keys (`worker.list`) are kept whole. */
function workersPropertiesUses(text: string): Use[] {
  const uses: Use[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line)
    if (!m) continue
    const [, key = '', value = ''] = m
    const prop = /^worker\.[^.]+\.(.+)$/.exec(key)?.[1] ?? key
    uses.push(prop === 'type' ? `type=${value}` : prop)
  }
  return uses
}

/** Splits an httpd line into words, keeping quoted words whole. */
function httpdWords(line: string): string[] {
  return [...line.matchAll(/"(?:[^"\\]|\\.)*"|'[^']*'|\S+/g)].map((m) => m[0])
}

/**
 * httpd: each directive and section (`<Proxy …>` gives `Proxy`), plus the `key=value` parameters of
 * `BalancerMember`, `ProxyPass` and `ProxySet`, and the handler of `SetHandler`.
 */
function httpdUses(text: string): Use[] {
  const uses: Use[] = []
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('</')) continue
    const words = httpdWords(line.replace(/^<|>$/g, ''))
    const [name = '', ...args] = words
    if (name === 'SetHandler') {
      uses.push(`SetHandler=${args[0] ?? ''}`)
      continue
    }
    uses.push(name)
    if (/^(BalancerMember|ProxyPass|ProxySet)$/i.test(name)) {
      for (const a of args) if (/^[a-z]+=/i.test(a)) uses.push(a.slice(0, a.indexOf('=')).toLowerCase())
    }
  }
  return uses
}

/**
 * nginx: the first word of every statement (ended by `;`, `{` or `}`), plus the `key=value`
 * parameters of upstream `server` lines.
 */
function nginxUses(text: string): Use[] {
  const uses: Use[] = []
  const blocks: string[] = []
  let words: string[] = []
  let word = ''
  let quote = ''
  const endWord = (): void => {
    if (word !== '') words.push(word)
    word = ''
  }
  const endStatement = (): string | undefined => {
    endWord()
    const [name, ...args] = words
    words = []
    if (name === undefined) return undefined
    uses.push(name)
    if (name === 'server' && blocks.at(-1) === 'upstream') {
      for (const a of args) if (/^[a-z_]+=/.test(a)) uses.push(a.slice(0, a.indexOf('=')))
    }
    return name
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quote !== '') {
      if (c === quote) quote = ''
      else word += c
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '#') while (i + 1 < text.length && text[i + 1] !== '\n') i++
    else if (/\s/.test(c)) endWord()
    else if (c === ';') endStatement()
    else if (c === '{') blocks.push(endStatement() ?? '')
    else if (c === '}') {
      endStatement()
      blocks.pop()
    } else word += c
  }
  endStatement()
  return uses
}

interface Row {
  /** The directive names of the first cell: the leading name of each `code span`. */
  readonly names: string[]
  readonly cells: string[]
  readonly line: number
}

/** Every row of every table in a guide (header and separator rows left out). */
function tableRows(markdown: string): Row[] {
  const rows: Row[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (!line.startsWith('|')) continue
    const next = lines[i + 1]?.trim() ?? ''
    if (/^\|[\s:|-]+\|$/.test(line)) continue // separator
    if (/^\|[\s:|-]+\|$/.test(next)) continue // header
    const cells = line.slice(1, line.endsWith('|') ? -1 : undefined).split(/(?<!\\)\|/).map((c) => c.trim())
    const names = [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].flatMap((m) => {
      const name = /^<?\/?([A-Za-z_$][\w.$-]*)/.exec(m[1]!.trim())?.[1]
      return name === undefined ? [] : [name]
    })
    rows.push({ names, cells, line: i + 1 })
  }
  return rows
}

/** Problems of one guide against what the configurations use. */
function check(guide: string, uses: readonly Use[], caseInsensitive: boolean): string[] {
  const markdown = readFileSync(join(GUIDES, guide), 'utf8')
  const rows = tableRows(markdown)
  const norm = (s: string): string => (caseInsensitive ? s.toLowerCase() : s)
  const problems: string[] = []
  for (const use of [...new Set(uses)].sort()) {
    const [name = '', value] = use.split('=', 2) as [string, string?]
    const row = rows.find((r) => r.names.some((n) => norm(n) === norm(name)))
    if (!row) {
      problems.push(`${guide}: no table row for ${name}`)
      continue
    }
    if (value !== undefined && !row.cells.join(' ').toLowerCase().includes(value.toLowerCase())) {
      problems.push(`${guide}:${row.line}: the row of ${name} does not mention ${value}`)
    }
    const ours = row.cells[1] ?? ''
    const note = row.cells.slice(2).join(' ').trim()
    const refusal = /^(not supported|not needed)\b(.*)$/i.exec(ours)
    if (refusal) {
      if (refusal[2]!.replace(/^[\s:;,.—-]+/, '') === '' && note === '') problems.push(`${guide}:${row.line}: ${name} is "${refusal[1]}" without saying why`)
    } else if (!/`[^`]+`/.test(ours)) {
      problems.push(`${guide}:${row.line}: the row of ${name} names no option of ours and does not say "not supported" or "not needed"`)
    }
  }
  return problems
}

describe('migration tables cover every directive of the tutorial', () => {
  it('mod_jk: workers.properties keys and the Jk* directives of mod_jk.conf', () => {
    const uses = [...workersPropertiesUses(fixture('tutorial-workers.properties')), ...httpdUses(fixture('tutorial-mod_jk.conf'))]
    expect(uses).toEqual(expect.arrayContaining(['worker.list', 'type=lb', 'type=status', 'type=ajp13', 'lbfactor', 'sticky_session', 'balance_workers', 'JkMount', 'JkWorkersFile']))
    expect(check('migration-mod_jk.md', uses, false)).toEqual([])
  })

  it('mod_proxy_balancer: httpd directives and the BalancerMember / ProxyPass parameters, over HTTP and AJP', () => {
    const uses = [
      ...httpdUses(fixture('tutorial-mod_proxy_http.conf')),
      ...httpdUses(fixture('tutorial-mod_proxy_ajp.conf')),
      // The tutorial's text (section 3.4) explains these pool and balancer parameters, and ProxySet,
      // without a configuration that uses them.
      'ProxySet', 'min', 'max', 'loadfactor', 'retry', 'lbmethod', 'maxattempts', 'nofailover', 'stickysession',
    ]
    expect(uses).toEqual(expect.arrayContaining(['BalancerMember', 'ProxyPass', 'ProxyPassReverse', 'ProxyPreserveHost', 'ProxyVia', 'route', 'loadfactor', 'stickysession', 'SetHandler=balancer-manager', 'Proxy', 'Location']))
    expect(check('migration-mod_proxy_balancer.md', uses, true)).toEqual([])
  })

  it('nginx: every directive of nginx.conf, round robin and ip_hash', () => {
    const uses = [...nginxUses(fixture('tutorial-nginx.conf')), ...nginxUses(fixture('tutorial-nginx-ip-hash.conf'))]
    expect(uses).toEqual(expect.arrayContaining(['http', 'upstream', 'server', 'ip_hash', 'location', 'proxy_pass', 'keepalive_timeout', 'log_format', 'include']))
    expect(check('migration-nginx.md', uses, false)).toEqual([])
  })
})

describe('and every directive of the Debian sample files and of the peers\' reference configurations', () => {
  it('mod_jk', () => {
    const uses = [
      ...workersPropertiesUses(fixture('debian-workers.properties')),
      ...workersPropertiesUses(fixture('peers-workers.properties')),
      ...httpdUses(fixture('debian-httpd-jk.conf')),
      ...httpdUses(fixture('peers-mod_jk.conf')),
    ]
    expect(check('migration-mod_jk.md', uses, false)).toEqual([])
  })

  it('mod_proxy_balancer', () => {
    const uses = [...httpdUses(fixture('debian-proxy_balancer.conf')), ...httpdUses(fixture('peers-httpd.conf'))]
    expect(check('migration-mod_proxy_balancer.md', uses, true)).toEqual([])
  })

  it('nginx', () => {
    const uses = [...nginxUses(fixture('debian-nginx.conf')), ...nginxUses(fixture('peers-nginx.conf'))]
    expect(check('migration-nginx.md', uses, false)).toEqual([])
  })
})
