/**
 * The guides link their behaviour claims to the tests that check them, with a small link after the
 * claim: `<sup>[test](../../test/x.test.ts "the test's name")</sup>` (docs/README.md, "For
 * writers"). This test keeps those links true: each names a file that exists and, when it gives a
 * test name, an `it(…)`/`test(…)` in that file with that name, so renaming or deleting the test
 * breaks the doc.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/tomcat.js'

const DOCS = ['README.md', 'docs/errors.md', ...readdirSync(join(REPO_ROOT, 'docs', 'guide')).filter((f) => f.endsWith('.md')).map((f) => `docs/guide/${f}`)]

/** `[test](path "name")`: the path (relative to the doc) and the optional test name. */
const CLAIM_LINK = /\[test\]\(([^)\s"]+)(?:\s+"([^"]*)")?\)/g

interface ClaimLink {
  readonly doc: string
  readonly line: number
  readonly path: string
  readonly name: string | undefined
}

/** Every claim link of a markdown text. */
function claimLinks(doc: string, text: string): ClaimLink[] {
  return text.split('\n').flatMap((line, i) => [...line.matchAll(CLAIM_LINK)].map((m) => ({ doc, line: i + 1, path: m[1] as string, name: m[2] })))
}

/** The names of the `it(…)` / `test(…)` calls of a test file, as written (string literals only). */
function testNames(source: string): string[] {
  const names: string[] = []
  const call = /\b(?:it|test)(?:\.(?:skip|only|concurrent|todo|fails|each\([^)]*\)|skipIf\([^)]*\)|runIf\([^)]*\)))*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g
  for (const m of source.matchAll(call)) names.push((m[2] as string).replace(/\\(.)/g, '$1'))
  return names
}

/** What is wrong with one link, or undefined. */
function checkLink(link: ClaimLink, read: (file: string) => string | undefined): string | undefined {
  const target = join(dirname(link.doc), link.path)
  const where = `${link.doc}:${link.line}`
  if (target.startsWith('..')) return `${where}: ${link.path} is outside the repository`
  const source = read(target)
  if (source === undefined) return `${where}: ${target} does not exist`
  if (!/\.test(-d)?\.ts$/.test(target)) return `${where}: ${target} is not a test file`
  if (link.name !== undefined && !testNames(source).includes(link.name)) return `${where}: ${target} has no it()/test() named ${JSON.stringify(link.name)}`
  return undefined
}

/** Every test file under `test/` and `lib/`, repository-relative, for names given without a path. */
function testFiles(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.test(-d)?\.ts$/.test(f) && !f.includes('node_modules'))
    .map((f) => join(dir, f))
}

/**
 * The older form some pages use in prose and tables: a test file in backticks, optionally followed
 * by `›` and a quoted part of a test's (or group's) name: `` `request-framing.test.ts` › "the
 * request line…" ``. Each file must exist (by path, or by name somewhere under test/ or lib/) and
 * hold the quoted text (`…` marks an elision).
 */
function namedTestFileProblems(doc: string, text: string, files: readonly string[], read: (file: string) => string | undefined): string[] {
  const problems: string[] = []
  for (const [i, line] of text.split('\n').entries()) {
    for (const m of line.matchAll(/`((?:[\w.-]+\/)*[\w.-]+\.test(?:-d)?\.ts)`(?: › "([^"]+)")?/g)) {
      const name = m[1] as string
      const matches = name.includes('/') ? files.filter((f) => f === name) : files.filter((f) => f.endsWith(`/${name}`))
      if (matches.length === 0) {
        problems.push(`${doc}:${i + 1}: ${name} does not exist`)
        continue
      }
      const quoted = m[2]
      if (quoted === undefined) continue
      const parts = quoted.split('…').map((p) => p.trim()).filter((p) => p !== '')
      if (!matches.some((f) => parts.every((part) => read(f)?.includes(part) === true))) problems.push(`${doc}:${i + 1}: ${name} has no test named like "${quoted}"`)
    }
  }
  return problems
}

const readRepoFile = (file: string): string | undefined => {
  const path = join(REPO_ROOT, file)
  return existsSync(path) && statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined
}

describe('claim links in the guides', () => {
  const links = DOCS.flatMap((doc) => claimLinks(doc, readFileSync(join(REPO_ROOT, doc), 'utf8')))

  it('are there (the guides link their tested claims)', () => {
    expect(links.length).toBeGreaterThan(20)
  })

  it('each name an existing test file and, when named, a test in it', () => {
    expect(links.map((link) => checkLink(link, readRepoFile)).filter((problem) => problem !== undefined)).toEqual([])
  })

  it('test files named in backticks exist, and hold the test names quoted after ›', () => {
    const files = [...testFiles('test'), ...testFiles('lib'), ...testFiles('adapters')]
    expect(DOCS.flatMap((doc) => namedTestFileProblems(doc, readFileSync(join(REPO_ROOT, doc), 'utf8'), files, readRepoFile))).toEqual([])
    // and the checker itself
    const fake = ['test/x/a.test.ts']
    const read = (f: string): string | undefined => (f === 'test/x/a.test.ts' ? "describe('the group', () => { it('keeps the route on failover', () => {}) })" : undefined)
    const text = '`a.test.ts` › "keeps the route … failover" and `test/x/a.test.ts` › "the group"\n`b.test.ts` and `a.test.ts` › "keeps the routes"'
    expect(namedTestFileProblems('d.md', text, fake, read)).toEqual(['d.md:2: b.test.ts does not exist', 'd.md:2: a.test.ts has no test named like "keeps the routes"'])
  })

  it('the checker finds renamed tests, missing files and paths outside the repository', () => {
    const files: Record<string, string> = {
      'test/a.test.ts': "it('keeps the route', () => {})\ntest(\"says it's fine\", () => {})\nit.each([1])('case %s', () => {})\ndescribe('only a group', () => {})",
    }
    const read = (file: string): string | undefined => files[file]
    const doc = 'docs/guide/x.md'
    const text = [
      'A claim. <sup>[test](../../test/a.test.ts "keeps the route")</sup>',
      'Another. <sup>[test](../../test/a.test.ts "says it\'s fine")</sup> And <sup>[test](../../test/a.test.ts)</sup>',
      'Renamed. <sup>[test](../../test/a.test.ts "keeps the routes")</sup>',
      'A group is not a test. <sup>[test](../../test/a.test.ts "only a group")</sup>',
      'Gone. <sup>[test](../../test/b.test.ts)</sup>',
      'Outside. <sup>[test](../../../etc/passwd)</sup>',
    ].join('\n')
    const problems = claimLinks(doc, text).map((link) => checkLink(link, read))
    expect(problems).toEqual([
      undefined,
      undefined,
      undefined,
      'docs/guide/x.md:3: test/a.test.ts has no it()/test() named "keeps the routes"',
      'docs/guide/x.md:4: test/a.test.ts has no it()/test() named "only a group"',
      'docs/guide/x.md:5: test/b.test.ts does not exist',
      'docs/guide/x.md:6: ../../../etc/passwd is outside the repository',
    ])
  })
})
