/**
 * `${NAME}` and `${NAME:-default}` references in configuration files, replaced from the
 * environment before a file is imported, so secrets (an AJP `secret`) need not be written into it
 * (systemd `EnvironmentFile=`, a container's environment).
 *
 * What each format keeps untouched:
 * - JSON: only string values are expanded (not keys, not the text between them); the value is
 *   inserted as JSON string content, so quotes and backslashes in it are safe. A reference always
 *   gives text: `"weight": "${W}"` is the string `"5"`, never the number 5.
 * - workers.properties: every line but comments (`#`, `!`); mod_jk's own `$(name)` is left to the
 *   importer.
 * - httpd: every line but comments, as httpd expands `${VAR}` itself: from `Define` lines above
 *   (which win), then from the environment. A `Define` value is inserted as written (httpd splits
 *   it into words the same way); an environment value must not hold a space, a quote or a backslash.
 * - nginx: only names in capitals (`${AJP_SECRET}`, `${TOMCAT_HOST:-10.0.0.2}`); `$host`,
 *   `${host}`, `${http_x_forwarded_for}` are nginx's own variables, and so is a capitalised name the
 *   file itself sets (`set`, `map`, `geo`, `split_clients`, `perl_set`, `js_set`). Comments are
 *   left alone; an environment value must not hold a space, a quote, a backslash, `;`, `{` or `}`.
 *
 * In every format `$${` is a literal `${`. `${NAME:-default}` takes the default when NAME is unset
 * or empty (as the shell does); `${NAME}` with NAME unset or empty is an error naming NAME and the
 * file line, never an empty secret. A value never appears in a message.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js'

/** The file syntaxes references are expanded in (the formats of `importConfig`). */
export type ReferenceSyntax = 'json' | 'workers.properties' | 'httpd' | 'nginx'

/**
 * Options of {@link expandConfigReferences}.
 *
 * @example
 * ```ts
 * const options: ExpandReferencesOptions = { syntax: 'httpd', fileName: 'proxy.conf', env: process.env }
 * ```
 */
export interface ExpandReferencesOptions {
  /** The file's format: decides what is left untouched (see the module comment). */
  syntax: ReferenceSyntax
  /** The file name errors name (`<fileName>:<line>: …`). */
  fileName: string
  /** Where names are looked up. */
  env: Readonly<Record<string, string | undefined>>
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const NGINX_NAME = /^[A-Z_][A-Z0-9_]*$/
/** Characters an environment value may not bring into a line of a word-splitting format. */
const SPLITTING: Partial<Record<ReferenceSyntax, RegExp>> = { httpd: /[\s"'\\]/, nginx: /[\s"'\\;{}]/ }

/** How one line's references are resolved. */
interface LineContext {
  readonly options: ExpandReferencesOptions
  readonly line: number
  /** httpd's `Define`d names. */
  readonly defines?: ReadonlyMap<string, string>
  /** nginx: the names that are nginx's own variables. */
  readonly nginxVariables?: ReadonlySet<string>
}

function fail(ctx: LineContext, message: string): never {
  throw new InvalidOptionError(`${ctx.options.fileName}:${ctx.line}: ${message}`)
}

/** The value of one `${…}` reference (its inner text), or `undefined` when it is not ours to expand (nginx). */
function resolve(inner: string, ctx: LineContext): { value: string; fromEnv: boolean } | undefined {
  const sep = inner.indexOf(':-')
  const name = sep < 0 ? inner : inner.slice(0, sep)
  const fallback = sep < 0 ? undefined : inner.slice(sep + 2)
  const { syntax, env } = ctx.options
  if (syntax === 'nginx' && (!NGINX_NAME.test(name) || ctx.nginxVariables?.has(name))) return undefined
  if (!NAME.test(name)) fail(ctx, `"\${${inner}}" is not a reference \${NAME} or \${NAME:-default} (write $\${ for a literal \${)`)
  const defined = ctx.defines?.get(name)
  if (defined !== undefined && defined !== '') return { value: defined, fromEnv: false }
  const value = env[name]
  if (value !== undefined && value !== '') return { value, fromEnv: true }
  if (fallback !== undefined) return { value: fallback, fromEnv: false }
  const where = syntax === 'httpd' ? 'neither Defined above nor set in the environment' : 'not set in the environment'
  fail(ctx, `${name} is ${value === '' ? 'empty in the environment' : where} (give a default with \${${name}:-default} if one is right)`)
}

/**
 * Expands the references in `text` (a line, or a JSON string's content); `escape` turns a value
 * into what is written in its place.
 */
function expandSpan(text: string, ctx: LineContext, escape: (value: string) => string = (v) => v): string {
  if (!text.includes('${')) return text
  let out = ''
  let i = 0
  for (let at = text.indexOf('$', i); at >= 0; at = text.indexOf('$', i)) {
    if (text.startsWith('$${', at)) {
      out += `${text.slice(i, at)}\${`
      i = at + 3
      continue
    }
    if (text[at + 1] !== '{') {
      out += text.slice(i, at + 1)
      i = at + 1
      continue
    }
    const end = text.indexOf('}', at + 2)
    if (end < 0) {
      if (ctx.options.syntax === 'nginx') break
      fail(ctx, '"${" is not closed by "}" (write $${ for a literal ${)')
    }
    const inner = text.slice(at + 2, end)
    const resolved = resolve(inner, ctx)
    if (resolved === undefined) {
      out += text.slice(i, end + 1)
    } else {
      const name = inner.split(':-')[0]!
      if (resolved.fromEnv && /[\r\n]/.test(resolved.value) && ctx.options.syntax !== 'json') fail(ctx, `the value of ${name} holds a line break, which a ${ctx.options.syntax} line cannot hold`)
      const splitting = SPLITTING[ctx.options.syntax]
      if (resolved.fromEnv && splitting?.test(resolved.value)) fail(ctx, `the value of ${name} holds a space, a quote or a character that would split the ${ctx.options.syntax} line`)
      out += text.slice(i, at) + escape(resolved.value)
    }
    i = end + 1
  }
  return out + text.slice(i)
}

/** JSON: the content of every string value (not keys) is expanded, the value JSON-escaped. */
function expandJson(text: string, options: ExpandReferencesOptions): string {
  // Syntax errors are reported on the file as written: a parser's message quotes the text near the
  // error, which must never be an expanded secret.
  JSON.parse(text)
  const escape = (v: string): string => JSON.stringify(v).slice(1, -1)
  const strings = /"(?:[^"\\]|\\.)*"/g
  let line = 1
  let counted = 0
  return text.replace(strings, (literal, offset: number) => {
    const isKey = /^\s*:/.test(text.slice(offset + literal.length, offset + literal.length + 64))
    if (isKey || !literal.includes('${')) return literal
    for (; counted < offset; counted++) if (text.charCodeAt(counted) === 10) line++
    return `"${expandSpan(literal.slice(1, -1), { options, line }, escape)}"`
  })
}

/** The part of an nginx line before its comment (a `#` starting a word, outside quotes). */
function nginxCode(line: string): string {
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#' && (i === 0 || /[\s;{}]/.test(line[i - 1]!))) return line.slice(0, i)
  }
  return line
}

/** The variables an nginx file sets itself (`set $X`, `map $a $X`, `geo $X`, …): nginx's, not ours. */
function nginxVariablesOf(text: string): Set<string> {
  const names = new Set<string>()
  const re = /(?:^|[\s;{}])(?:set|map|geo|split_clients|perl_set|js_set)\s+(\S+)(?:\s+(\S+))?/g
  for (let m = re.exec(text); m; m = re.exec(text)) {
    for (const arg of [m[1], m[2]]) {
      const v = /^["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(arg ?? '')
      if (v) names.add(v[1]!)
    }
  }
  return names
}

/** httpd `Define NAME value` / `UnDefine NAME`, applied to `defines`. */
function applyDefine(line: string, defines: Map<string, string>): void {
  const m = /^\s*(Un)?Define\s+(\S+)(?:\s+("(?:[^"\\]|\\.)*"|'[^']*'|\S+))?/i.exec(line)
  if (!m) return
  if (m[1]) defines.delete(m[2]!)
  else if (m[3] !== undefined) defines.set(m[2]!, /^["']/.test(m[3]) ? m[3].slice(1, -1) : m[3])
}

/**
 * Replaces the `${NAME}` / `${NAME:-default}` references of a configuration file as its format
 * allows (see the module comment); line breaks stay where they were, so importer warnings keep
 * their line numbers.
 *
 * @throws InvalidOptionError (`LB_ERR_INVALID_OPTION`) naming the variable and `<file>:<line>` when
 *   a name is unset or empty and has no default, a reference is malformed, or an environment value
 *   would change the file's structure (a line break; in httpd and nginx, a space or a quote). The
 *   message never holds a value.
 *
 * @example
 * ```ts
 * expandConfigReferences('worker.a.secret=${AJP_SECRET}\n', { syntax: 'workers.properties', fileName: 'workers.properties', env: { AJP_SECRET: 's3' } })
 * // 'worker.a.secret=s3\n'
 * expandConfigReferences('proxy_set_header Host ${host}; server ${TC:-10.0.0.2}:8080;', { syntax: 'nginx', fileName: 'nginx.conf', env: {} })
 * // 'proxy_set_header Host ${host}; server 10.0.0.2:8080;'
 * ```
 */
export function expandConfigReferences(text: string, options: ExpandReferencesOptions): string {
  if (!text.includes('${')) return text
  if (options.syntax === 'json') return expandJson(text, options)
  const defines = options.syntax === 'httpd' ? new Map<string, string>() : undefined
  const nginxVariables = options.syntax === 'nginx' ? nginxVariablesOf(text) : undefined
  return text.split('\n').map((line, i) => {
    const ctx: LineContext = { options, line: i + 1, ...(defines ? { defines } : {}), ...(nginxVariables ? { nginxVariables } : {}) }
    let expanded: string
    if (options.syntax === 'nginx') {
      const code = nginxCode(line)
      expanded = expandSpan(code, ctx) + line.slice(code.length)
    } else {
      const trimmed = line.trimStart()
      const comment = trimmed.startsWith('#') || (options.syntax === 'workers.properties' && trimmed.startsWith('!'))
      expanded = comment ? line : expandSpan(line, ctx)
    }
    if (defines) applyDefine(expanded, defines)
    return expanded
  }).join('\n')
}
