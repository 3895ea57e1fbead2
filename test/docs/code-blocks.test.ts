/**
 * Every fenced code block of README.md and docs/ is checked, or says why not.
 *
 * Each block is found (test/support/doc-blocks.ts `fencedBlocks`) and checked by its language,
 * through the table `CHECKERS` below; a block whose language has no checker must carry a marker.
 * Markers are HTML comments on the line(s) just before the fence, invisible on the rendered page:
 *
 * - `<!-- untested: <reason> -->`: not checked; the reason is required (needs root, starts a
 *   service, installs from the registry, a diagram, …).
 * - `<!-- test: <name> -->`: a test reads the block by this name (`docBlock(file, name)`, or a
 *   test file's path) and runs it; the name must appear in a file under test/. TypeScript and
 *   JavaScript blocks are type-checked as well.
 * - `<!-- file: <path> -->`: the block is that file of the repository, verbatim (an example that a
 *   test runs); checked character for character.
 * - `<!-- output: <command> -->`: the block is what the command prints; the command is run
 *   (`sticky-balancer` is the built CLI) and its stdout compared.
 * - `<!-- warnings: <part> | <part> -->`: a configuration imports with these warnings (each named by
 *   a part of its text), and no others; without it, with none.
 * - `<!-- wrap: <code with …> -->`: a TypeScript/JavaScript fragment that is not a statement
 *   (`members: [ … ]`, an option of an object) is checked in place of the `…`.
 *
 * Per language:
 * - `ts`, `js`: type-checked against the BUILT package (dist/*.d.ts through the package's exports,
 *   as users import it), all blocks in one strict TypeScript program (JavaScript with checkJs).
 *   Names the prose defines (`balancer`, `app`, `members`, …) come from test/docs/prelude.d.ts;
 *   a block with no `import` line (a fragment) also gets the package's functions from there.
 * - `json`: parsed; a configuration (an object with `members`) is validated as the CLI does.
 * - `properties`, `apache`, and `nginx` with `upstream`: imported by lib/config as
 *   `sticky-balancer --config` would, and every balancer validated. A `${NAME}` without a default
 *   is given a placeholder value (`doc-placeholder-NAME`) and nothing else is in the environment,
 *   so `${NAME:-default}` takes its default.
 * - `nginx` without `upstream`: parsed by `nginx -t` inside a minimal nginx.conf, in a `server { }`,
 *   or directly in `http { }` when it has a directive only http takes (`log_format`, `map`, …).
 * - `apache` that is not a balancer configuration (a `LogFormat`, as lib/config's format detection
 *   sees it): parsed by `apache2 -t` in a minimal server configuration (compiled-in modules and an
 *   MPM). For both servers, log files under /var/log/ are moved into the scratch folder.
 * - `xml`: Tomcat server.xml fragments: well-formed, and every attribute one that the test nodes'
 *   own configuration (tomcat-testapp/conf/) sets on the same element, so Tomcat knows it.
 * - `sh`: `bash -n`, marked or not; commands are only run by a named test (the CLI examples of
 *   cli.md below, with the tutorial fixtures and `--check`), otherwise the block is `untested:`.
 *
 * Needs dist/ (`npm run build`; `npm test` builds first).
 */
import { spawn, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { AdminListener } from '../../lib/admin/admin-server.js'
import { createBalancer } from '../../lib/balancer.js'
import { detectConfigFormat, importConfig } from '../../lib/config/import-config.js'
import { resolveBalancerOptions } from '../../lib/options.js'
import type { BalancerOptions } from '../../lib/options.js'
import { docBlock, docFiles, fencedBlocks } from '../support/doc-blocks.js'
import type { FencedBlock } from '../support/doc-blocks.js'
import { REPO_ROOT } from '../support/tomcat.js'

const BLOCKS = docFiles().flatMap(fencedBlocks)
const where = (b: FencedBlock): string => `${b.file}:${b.line} (${b.lang || 'no language'} block)`
const CLI = join(REPO_ROOT, 'dist', 'cli.js')

// ---------------------------------------------------------------------------------------------
// ts / js: one program for every block

const SCRIPT_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs'])
/** Where the blocks are written: inside the package, so `sticky-balancer` resolves to the build by its own exports. */
let scratch: string
/** Type errors by block, `file:line: message` with the Markdown line. */
const typeErrors = new Map<FencedBlock, string[]>()

/** Names a block declares at its top level (imports included). */
function declaredNames(code: string): Set<string> {
  const names = new Set<string>()
  const source = ts.createSourceFile('block.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS)
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text)
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bind(element.name)
  }
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) bind(d.name)
    else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) names.add(statement.name.text)
    else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const { name, namedBindings } = statement.importClause
      if (name) names.add(name.text)
      if (namedBindings && ts.isNamespaceImport(namedBindings)) names.add(namedBindings.name.text)
      if (namedBindings && ts.isNamedImports(namedBindings)) for (const e of namedBindings.elements) names.add(e.name.text)
    }
  }
  return names
}

/** The prelude's exports, split into the context names (for every block) and the imports (for fragments only). */
function preludeNames(): { context: string[]; imports: string[] } {
  const text = readFileSync(join(REPO_ROOT, 'test', 'docs', 'prelude.d.ts'), 'utf8')
  const [context = '', imports = ''] = text.split(/^\/\/ Imports:/m)
  const declared = (part: string): string[] => [...part.matchAll(/^export declare (?:const|function) (\w+)/gm)].map((m) => m[1] as string)
  const reexported = (part: string): string[] => [...part.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].flatMap((m) => (m[1] as string).split(',').map((s) => s.trim().split(/\s+as\s+/).pop() as string))
  return { context: declared(context), imports: reexported(imports) }
}

/** The block as a module: its code (wrapped if it says so, lines kept) and, at the end, the prelude names it uses. */
function moduleText(block: FencedBlock, prelude: { context: string[]; imports: string[] }): string {
  let code = block.code
  const wrap = block.tags.get('wrap')
  if (wrap !== undefined) {
    const [before = '', after = ''] = wrap.split('…')
    const lines = code.replace(/\n$/, '').split('\n')
    const first = lines.findIndex((l) => !/^import\s/.test(l) && l.trim() !== '')
    lines[first] = `${before}${lines[first]}`
    lines[lines.length - 1] = `${lines[lines.length - 1]}${after}`
    code = `${lines.join('\n')}\n`
  }
  const isFragment = !/^import\s/m.test(code)
  const declared = declaredNames(code)
  const available = isFragment ? [...prelude.context, ...prelude.imports] : prelude.context
  const used = available.filter((name) => !declared.has(name) && new RegExp(`(?<![\\w.$'"])${name}\\b`).test(code))
  return `${code}\n${used.length > 0 ? `import { ${used.join(', ')} } from './prelude.js'\n` : ''}export {}\n`
}

function typeCheckScriptBlocks(blocks: FencedBlock[]): void {
  const prelude = preludeNames()
  copyFileSync(join(REPO_ROOT, 'test', 'docs', 'prelude.d.ts'), join(scratch, 'prelude.d.ts'))
  copyFileSync(join(REPO_ROOT, 'test', 'docs', 'prom-client.d.ts'), join(scratch, 'prom-client.d.ts'))
  const byPath = new Map<string, FencedBlock>()
  for (const block of blocks) {
    const name = `${block.file.replace(/[^\w]+/g, '-')}-${block.line}.${/^(js|javascript|mjs)$/.test(block.lang) ? 'mjs' : 'mts'}`
    const path = join(scratch, name)
    writeFileSync(path, moduleText(block, prelude))
    byPath.set(path, block)
  }
  const program = ts.createProgram([...byPath.keys(), join(scratch, 'prom-client.d.ts')], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
    strict: true,
    allowJs: true,
    checkJs: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
  })
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const block = d.file ? byPath.get(d.file.fileName) : undefined
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    if (!block || !d.file || d.start === undefined) throw new Error(`type-checking the guides' blocks: ${message}`)
    const { line } = d.file.getLineAndCharacterOfPosition(d.start)
    const at = line < block.code.split('\n').length - 1 ? `${block.file}:${block.line + 1 + line}` : `${block.file}:${block.line} (the prelude import)`
    typeErrors.set(block, [...(typeErrors.get(block) ?? []), `${at}: TS${d.code} ${message}`])
  }
}

// ---------------------------------------------------------------------------------------------
// the other kinds

/**
 * The environment a configuration block is imported with: every `${NAME}` it names without a
 * default is set to a placeholder (`doc-placeholder-NAME`), and nothing else is set, so a
 * `${NAME:-default}` takes its default whatever the environment of the test run.
 */
function docEnvironment(text: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const m of text.matchAll(/(?<!\$)\$\{([A-Za-z_]\w*)\}/g)) env[m[1] as string] = `doc-placeholder-${m[1] as string}`
  return env
}

/** The options of every balancer a configuration imports, validated as `sticky-balancer --config` does. */
function importAndValidate(text: string, fileName: string, block: FencedBlock): void {
  const { balancers, warnings } = importConfig(text, fileName, { env: docEnvironment(text) })
  expect(balancers.length, `${where(block)}: imports no balancer`).toBeGreaterThan(0)
  // The warnings the page promises, each named by a part of its text: <!-- warnings: a | b -->.
  const expected = block.tags.get('warnings')?.split(' | ').filter(Boolean) ?? []
  const unexpected = warnings.filter((w) => !expected.some((part) => w.includes(part)))
  const missing = expected.filter((part) => !warnings.some((w) => w.includes(part)))
  expect({ unexpected, missing }, `${where(block)}: the import warnings are not those of <!-- warnings: … -->`).toEqual({ unexpected: [], missing: [] })
  for (const b of balancers) expect(() => resolveBalancerOptions({ ...b.options, logger: false }), `${where(block)}: balancer ${b.name}`).not.toThrow()
}

function checkJson(block: FencedBlock): void {
  let value: unknown
  expect(() => (value = JSON.parse(block.code)), `${where(block)}: not JSON`).not.toThrow()
  if (typeof value === 'object' && value !== null && 'members' in value) {
    expect(() => resolveBalancerOptions({ ...(value as BalancerOptions), logger: false }), `${where(block)}: not valid balancer options`).not.toThrow()
    // and as the CLI reads a balancer.json file
    importAndValidate(block.code, 'balancer.json', block)
  }
}

function findNginx(): string {
  const nginx = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p))
  if (!nginx) throw new Error('nginx is needed to check the nginx blocks of the guides (Debian: apt-get install nginx)')
  return nginx
}

/**
 * The snippet with its log files (`/var/log/…`) moved into `dir`, their folders made, so that a
 * syntax check that opens them (nginx -t, apache2 -t) writes nothing outside the scratch folder.
 */
function logsMovedInto(dir: string, code: string): string {
  for (const m of code.matchAll(/\/var\/log\/([\w./-]+)\//g)) mkdirSync(join(dir, 'log', m[1] as string), { recursive: true })
  return code.replaceAll('/var/log/', `${dir}/log/`)
}

/** Directives nginx takes in `http { }` but not in a `server { }`: a snippet with one is an http-level snippet. */
const NGINX_HTTP_ONLY = /^\s*(log_format|map|geo|split_clients|limit_req_zone|limit_conn_zone|proxy_cache_path|server|upstream)\b/m

function checkNginx(block: FencedBlock): void {
  if (/^\s*upstream\s/m.test(block.code)) return importAndValidate(block.code, 'nginx.conf', block)
  // A snippet of a server { } (or of http { }, by its directives): parsed by nginx itself inside a minimal configuration.
  const dir = mkdtempSync(join(scratch, 'nginx-'))
  const conf = join(dir, 'nginx.conf')
  const code = logsMovedInto(dir, block.code)
  writeFileSync(conf, NGINX_HTTP_ONLY.test(code)
    ? `events {}\nhttp {\n${code}  server {\n    listen 127.0.0.1:18599;\n  }\n}\n`
    : `events {}\nhttp {\n  server {\n    listen 127.0.0.1:18599;\n${code}  }\n}\n`)
  const result = spawnSync(findNginx(), ['-t', '-q', '-e', 'stderr', '-p', dir, '-c', conf, '-g', `pid ${join(dir, 'nginx.pid')};`], { encoding: 'utf8', timeout: 10_000 })
  expect(result.status, `${where(block)}: nginx -t says\n${result.stderr}`).toBe(0)
}

/**
 * An httpd snippet that is not a balancer configuration (a `LogFormat` and its `CustomLog`): parsed
 * by httpd itself (`apache2 -t`) in a minimal server configuration, with the modules httpd compiles
 * in (Debian's: core, log_config, logio, version, unixd) and an MPM, nothing else loaded.
 */
function checkHttpdSnippet(block: FencedBlock): void {
  const httpd = ['/usr/sbin/apache2', '/usr/sbin/httpd'].find((p) => existsSync(p))
  if (!httpd) throw new Error('httpd is needed to check the httpd snippets of the guides (Debian: apt-get install apache2)')
  const dir = mkdtempSync(join(scratch, 'httpd-'))
  mkdirSync(join(dir, 'logs'))
  const mpm = ['/usr/lib/apache2/modules/mod_mpm_event.so', '/usr/lib64/httpd/modules/mod_mpm_event.so'].find((p) => existsSync(p))
  const conf = join(dir, 'httpd.conf')
  writeFileSync(conf, [
    `ServerRoot ${dir}`,
    ...(mpm ? [`LoadModule mpm_event_module ${mpm}`] : []),
    `DefaultRuntimeDir ${dir}`,
    `PidFile ${dir}/httpd.pid`,
    'ServerName localhost',
    `ErrorLog ${dir}/logs/error_log`,
    'Listen 127.0.0.1:18598',
    logsMovedInto(dir, block.code),
  ].join('\n'))
  const result = spawnSync(httpd, ['-t', '-f', conf], { encoding: 'utf8', timeout: 10_000 })
  expect(result.status, `${where(block)}: ${httpd} -t says\n${result.stderr}`).toBe(0)
}

/** An httpd block: a configuration with balancers is imported, any other snippet parsed by httpd. */
function checkApache(block: FencedBlock): void {
  if (detectConfigFormat('httpd.conf', block.code) === undefined) return checkHttpdSnippet(block)
  importAndValidate(block.code, 'httpd.conf', block)
}

/** The attributes each element has in the test nodes' own configuration files, by element (and className or protocol). */
function tomcatAttributes(): Map<string, Set<string>> {
  const known = new Map<string, Set<string>>()
  const conf = join(REPO_ROOT, 'tomcat-testapp', 'conf')
  for (const f of readdirSync(conf).filter((n) => n.endsWith('.xml'))) {
    for (const element of elementsOf(readFileSync(join(conf, f), 'utf8'))) {
      const key = elementKey(element)
      known.set(key, new Set([...(known.get(key) ?? []), ...element.attributes.keys()]))
    }
  }
  return known
}

interface XmlElement { name: string; attributes: Map<string, string> }

/** The start tags of an XML text (comments skipped), each attribute checked to be well-formed. */
function elementsOf(xml: string): XmlElement[] {
  const elements: XmlElement[] = []
  for (const m of xml.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<([A-Za-z][\w.-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g)) {
    const attributes = new Map<string, string>()
    for (const a of (m[2] as string).matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attributes.set(a[1] as string, a[2] ?? a[3] ?? '')
    elements.push({ name: m[1] as string, attributes })
  }
  return elements
}

const elementKey = (e: XmlElement): string => `${e.name}${e.attributes.has('className') ? `[${e.attributes.get('className')}]` : ''}${e.name === 'Connector' ? `[${e.attributes.get('protocol') ?? 'HTTP/1.1'}]` : ''}`

function checkXml(block: FencedBlock): void {
  const tags = block.code.replace(/<!--[\s\S]*?-->/g, '').match(/<[^>]*>/g) ?? []
  const elements = elementsOf(block.code)
  expect(elements.length, `${where(block)}: every tag is well-formed (name, attributes in quotes)`).toBe(tags.filter((t) => !t.startsWith('</') && !t.startsWith('<?')).length)
  expect(block.code.replace(/<[^>]*>/g, '').trim(), `${where(block)}: text outside the tags`).toBe('')
  const known = tomcatAttributes()
  for (const element of elements) {
    const attributes = known.get(elementKey(element))
    expect(attributes, `${where(block)}: <${elementKey(element)}> is not an element the test nodes' configuration has`).toBeDefined()
    for (const name of element.attributes.keys()) expect(attributes?.has(name), `${where(block)}: <${element.name} ${name}=…> is not an attribute the test nodes' configuration sets`).toBe(true)
  }
}

/** Shell blocks, marked or not, are at least valid shell. */
function checkShellSyntax(block: FencedBlock): void {
  const result = spawnSync('bash', ['-n'], { input: block.code, encoding: 'utf8' })
  expect(result.status, `${where(block)}: bash -n says\n${result.stderr}`).toBe(0)
}

function checkShell(block: FencedBlock): void {
  expect(block.tags.has('test'), `${where(block)}: shell commands are only run by a named test; mark it <!-- test: name --> or <!-- untested: reason -->`).toBe(true)
}

/** The checker of each block language; a language missing here needs a marker on each of its blocks. */
const CHECKERS: Record<string, (block: FencedBlock) => void> = {
  ts: (block) => expect(typeErrors.get(block) ?? [], `${where(block)}: does not type-check`).toEqual([]),
  json: checkJson,
  properties: (block) => importAndValidate(block.code, 'workers.properties', block),
  apache: checkApache,
  nginx: checkNginx,
  xml: checkXml,
  sh: checkShell,
}
CHECKERS.js = CHECKERS.ts as (block: FencedBlock) => void
/** Languages whose checker imports the block as a whole configuration. */
const NEEDS_WHOLE_CONFIGURATION = new Set(['properties', 'apache'])

// ---------------------------------------------------------------------------------------------
// the markers

const testSources = ((): string => {
  const texts: string[] = []
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name))
      else if (/\.ts$/.test(e.name)) texts.push(readFileSync(join(dir, e.name), 'utf8'))
    }
  }
  walk(join(REPO_ROOT, 'test'))
  return texts.join('\n')
})()

function checkNamedTest(block: FencedBlock, name: string): void {
  const found = existsSync(join(REPO_ROOT, name)) || testSources.includes(`'${name}'`)
  expect(found, `${where(block)}: <!-- test: ${name} --> names no test (no file under test/ mentions '${name}', and no such file)`).toBe(true)
}

function checkFile(block: FencedBlock, path: string): void {
  expect(existsSync(join(REPO_ROOT, path)), `${where(block)}: <!-- file: ${path} --> does not exist`).toBe(true)
  expect(block.code, `${where(block)}: differs from ${path}`).toBe(readFileSync(join(REPO_ROOT, path), 'utf8'))
}

function checkOutput(block: FencedBlock, command: string): void {
  const [program, ...args] = command.split(/\s+/)
  expect(program, `${where(block)}: <!-- output: … --> runs sticky-balancer only`).toBe('sticky-balancer')
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 20_000 })
  expect(block.code, `${where(block)}: is not what \`${command}\` prints (the built CLI: after changing bin/, npm run build and paste its output here)`).toBe(result.stdout)
}

/** How a block is checked, from its markers and language; fails when it is neither checked nor marked. */
function check(block: FencedBlock): void {
  if (block.lang === 'sh') checkShellSyntax(block)
  const untested = block.tags.get('untested')
  if (untested !== undefined) {
    expect(untested.length, `${where(block)}: <!-- untested: … --> needs a reason`).toBeGreaterThan(3)
    return
  }
  const file = block.tags.get('file')
  if (file !== undefined) return checkFile(block, file)
  const output = block.tags.get('output')
  if (output !== undefined) return checkOutput(block, output)
  const test = block.tags.get('test')
  if (test !== undefined) {
    checkNamedTest(block, test)
    // The named test runs it; what its language checks still holds, but a part of a configuration
    // (a mod_jk.conf without its workers.properties) does not import on its own.
    if (!NEEDS_WHOLE_CONFIGURATION.has(block.lang)) CHECKERS[block.lang]?.(block)
    else if (block.lang === 'apache' && detectConfigFormat('httpd.conf', block.code) === undefined) checkHttpdSnippet(block)
    return
  }
  const checker = CHECKERS[block.lang]
  expect(checker, `${where(block)}: no checker for "${block.lang || 'no language'}" blocks: give the fence a language that has one, or mark the block (<!-- untested: reason -->, <!-- output: command -->, <!-- test: name -->)`).toBeDefined()
  checker?.(block)
}

// ---------------------------------------------------------------------------------------------

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'index.d.ts')) || !existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)')
  mkdirSync(join(REPO_ROOT, '.run', 'doc-blocks'), { recursive: true })
  scratch = mkdtempSync(join(REPO_ROOT, '.run', 'doc-blocks', 'check-'))
  typeCheckScriptBlocks(BLOCKS.filter((b) => SCRIPT_LANGS.has(b.lang) && !b.tags.has('untested') && !b.tags.has('file')))
}, 120_000)

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

describe('the code blocks of README.md and docs/', () => {
  it('finds the blocks of every page', () => {
    expect(BLOCKS.length).toBeGreaterThan(50)
    expect(new Set(BLOCKS.map((b) => b.file))).toContain('docs/guide/cli.md')
  })

  it.each(BLOCKS.map((b) => [where(b), b] as const))('%s', (_name, block) => {
    check(block)
  })
})

describe('docs/guide/migration-mod_jk.md: the tutorial\'s mod_jk setup', () => {
  const GUIDE = 'docs/guide/migration-mod_jk.md'

  const fixture = (name: string): string => readFileSync(join(REPO_ROOT, 'test', 'config', 'fixtures', name), 'utf8')

  it('the two configuration blocks are the fixture files the page names, without their comments', () => {
    expect(docBlock(GUIDE, 'mod_jk-tutorial-workers')).toBe(fixture('tutorial-workers.properties').replace(/^#.*\n/gm, ''))
    expect(docBlock(GUIDE, 'mod_jk-tutorial-mounts')).toBe(fixture('tutorial-mod_jk.conf').replace(/^#.*\n/gm, ''))
  })

  it('the fixtures import as the JSON block shows, with the one warning the page names', () => {
    const result = importConfig(fixture('tutorial-workers.properties'), 'workers.properties', {
      jkMounts: fixture('tutorial-mod_jk.conf'),
      jkMountsFileName: 'mod_jk.conf',
    })
    expect(result.balancers).toEqual([JSON.parse(docBlock(GUIDE, 'mod_jk-tutorial-imported'))])
    expect(result.warnings).toHaveLength(1)
    expect(result.warnings[0]).toMatch(/^workers\.properties:3: status worker StatA → admin surface of tcsrvs at \/jkstatus/)
    for (const b of result.balancers) resolveBalancerOptions({ ...b.options, logger: false })
  })
})

describe('docs/guide/cli.md: the shell examples', () => {
  const GUIDE = 'docs/guide/cli.md'
  /** The files the examples name, from the tutorial fixtures of test/config/fixtures/. */
  const FILES: Record<string, string> = {
    'workers.properties': 'tutorial-workers.properties',
    'mod_jk.conf': 'tutorial-mod_jk.conf',
    'nginx.conf': 'tutorial-nginx.conf',
    'httpd.conf': 'tutorial-mod_proxy_http.conf',
  }

  /**
   * Runs a shell block with `sticky-balancer` as the built CLI, in a directory holding the files it
   * names. A command that would start a service gets `--check` instead: its arguments and its
   * configuration are checked as the service would read them, and it exits.
   */
  function runChecked(name: string, replacements: [string, string][] = [], prepare?: (dir: string) => void): { status: number | null; output: string } {
    const dir = mkdtempSync(join(scratch, 'sh-'))
    for (const [file, fixture] of Object.entries(FILES)) copyFileSync(join(REPO_ROOT, 'test', 'config', 'fixtures', fixture), join(dir, file))
    prepare?.(dir)
    let code = docBlock(GUIDE, name)
    for (const [from, to] of replacements) {
      expect(code, `${GUIDE} block ${name} names ${from}`).toContain(from)
      code = code.replaceAll(from, to)
    }
    // a command continued over lines (`\` at the end) is one line, so that `--check` goes at its end
    code = code.replace(/\\\n\s*/g, ' ')
    code = code.replace(/^(sticky-balancer (?:(?!--check)[^\n>])*?)\s*$/gm, '$1 --check')
    const script = `set -e\nsticky-balancer() { ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"; }\n${code}`
    const result = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
    return { status: result.status, output: `${result.stdout}${result.stderr}` }
  }

  it('saving what --check prints and running it: the saved file is a configuration the CLI accepts', () => {
    const { status, output } = runChecked('cli-check-and-run', [['/etc/httpd/conf.d/proxy.conf', 'httpd.conf']])
    expect(status, output).toBe(0)
    expect(output).toContain('"balancers"')
  })

  it('the examples import cleanly from the tutorial files', () => {
    const { status, output } = runChecked('cli-examples')
    expect(status, output).toBe(0)
  })

  /** A self-signed certificate and its key (`site.pem`, `site.key`), and a second key that is not its, in `dir`. */
  function writeSiteCertificate(dir: string): void {
    const openssl = (args: string[]): void => void spawnSync('openssl', args, { cwd: dir, stdio: 'ignore', timeout: 30_000 })
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'site.key', '-out', 'site.pem', '-days', '2', '-subj', '/CN=localhost'])
    openssl(['genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key'])
    expect(existsSync(join(dir, 'site.pem')) && existsSync(join(dir, 'other.key')), 'openssl made the test certificate').toBe(true)
  }

  it('HTTPS: the command with --tls-cert and --tls-key reads the pair (a key that is not the certificate\'s is refused)', () => {
    const paths: [string, string][] = [['/etc/sticky-balancer/site.pem', 'site.pem'], ['/etc/sticky-balancer/site.key', 'site.key']]
    const good = runChecked('cli-https', paths, writeSiteCertificate)
    expect(good.status, good.output).toBe(0)
    const wrongKey = runChecked('cli-https', [paths[0] as [string, string], ['/etc/sticky-balancer/site.key', 'other.key']], writeSiteCertificate)
    expect(wrongKey.status, wrongKey.output).toBe(1)
    expect(wrongKey.output).toContain('other.key is not the key of the certificate site.pem')
  })

  describe('secrets from the environment: the properties block', () => {
    /** The block's worker, made a whole workers.properties: its two lines, the type and port they leave out, and an lb worker. */
    const workers = (): string => `worker.list=lb\nworker.lb.type=lb\nworker.lb.balance_workers=tomcat1\nworker.tomcat1.type=ajp13\nworker.tomcat1.port=8009\n${docBlock(GUIDE, 'env-references')}`

    it('imports with AJP_SECRET set, the host from its default, and validates', () => {
      const { balancers, warnings } = importConfig(workers(), 'workers.properties', { env: { AJP_SECRET: 's3cret' } })
      expect(warnings).toEqual([])
      expect(balancers).toHaveLength(1)
      const options = (balancers[0] as { options: BalancerOptions }).options
      expect(options.members).toMatchObject([{ url: 'ajp://10.0.0.1:8009', secret: 's3cret' }])
      expect(() => resolveBalancerOptions({ ...options, logger: false })).not.toThrow()
      const moved = importConfig(workers(), 'workers.properties', { env: { AJP_SECRET: 's3cret', TOMCAT1_HOST: '10.0.0.9' } })
      expect((moved.balancers[0] as { options: BalancerOptions }).options.members).toMatchObject([{ url: 'ajp://10.0.0.9:8009' }])
    })

    it('without AJP_SECRET it is the error the page shows, naming the variable and the line', () => {
      const lineOfSecret = workers().split('\n').findIndex((l) => l.includes('${AJP_SECRET}')) + 1
      expect(() => importConfig(workers(), 'workers.properties', { env: {} }))
        .toThrow(`workers.properties:${lineOfSecret}: AJP_SECRET is not set in the environment (give a default with \${AJP_SECRET:-default} if one is right)`)
      expect(readFileSync(join(REPO_ROOT, GUIDE), 'utf8')).toContain(': AJP_SECRET is not set in the environment (give a default with ${AJP_SECRET:-default} if one is right)`')
    })
  })
})

describe('docs/guide/admin.md: the curl blocks, against an admin listener', () => {
  const GUIDE = 'docs/guide/admin.md'

  /** Runs `code` with bash (curl and jq as the page uses them), the page's 127.0.0.1:9090 being `admin`'s address. */
  function runAgainst(admin: AdminListener, code: string): Promise<{ status: number | null; output: string }> {
    const { host, port } = new URL(admin.url)
    expect(code).toContain('127.0.0.1:9090')
    return new Promise((resolve) => {
      const child = spawn('bash', ['-e', '-c', code.replaceAll('127.0.0.1:9090', `${host}`)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })
      let output = ''
      child.stdout.on('data', (d: Buffer) => (output += d))
      child.stderr.on('data', (d: Buffer) => (output += d))
      child.on('exit', (status) => resolve({ status, output: `${output}\n(admin port ${port})` }))
    })
  }

  it('the balancer-manager API: a nonce, then a member set to draining', async () => {
    const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }], logger: false })
    onTestFinished(() => balancer.close())
    const admin = await balancer.listenAdmin({ port: 0 })
    const { status, output } = await runAgainst(admin, docBlock(GUIDE, 'admin-api-change'))
    expect(status, output).toBe(0)
    expect(output).toContain('"ok": true')
    expect(balancer.member('TomcatA')?.admin).toBe('draining')
  })

  it.each([0, 1])('jkstatus: an update with the nonce in the header, or in a posted form (way %i)', async (way) => {
    const balancer = createBalancer({ members: [{ url: 'http://127.0.0.1:8081', route: 'n1' }, { url: 'http://127.0.0.1:8082', route: 'n2' }], logger: false })
    onTestFinished(() => balancer.close())
    const admin = await balancer.listenAdmin({ port: 0, path: '/jkstatus', name: 'lb' })
    // The block shows two ways after one nonce line: run the nonce line and one of them.
    const [first = '', ...rest] = docBlock(GUIDE, 'jkstatus-change').split('\n')
    const ways = rest.join('\n').split('# or\n')
    expect(ways).toHaveLength(2)
    const { status, output } = await runAgainst(admin, `${first}\n${ways[way]}`)
    expect(status, output).toBe(0)
    expect(output).toContain('type=OK')
    expect(balancer.member('n1')?.admin).toBe('draining')
  })
})

