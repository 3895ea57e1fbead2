/**
 * Source files in lib/ stay small enough to read in one sitting: a file over {@link LIMIT} lines
 * must say why at its top, in its leading comment, with a sentence containing "is long because"
 * (for example "This file is long because each directive of the format is mapped here, in one
 * table, against one reference document."). Tests and shared test suites are exempt.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const LIMIT = 400
const root = fileURLToPath(new URL('../../', import.meta.url))

/** Every non-test TypeScript source under `dir`, relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !/\.(test|test-d|suite)\.ts$/.test(f))
    .map((f) => relative(root, join(root, dir, f)))
    .sort()
}

/** The comment a file starts with (block comments and `//` lines, blank lines between them), or ''. */
function leadingComment(text: string): string {
  const match = /^(?:\s*(?:\/\*[\s\S]*?\*\/|\/\/[^\n]*))*/.exec(text.replace(/^#![^\n]*\n/, ''))
  return match?.[0] ?? ''
}

/** Lines of `text`, a final newline not starting another. */
function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

/** Whether a file of `text` is short, or says at its top why it is not. */
function explainsItsLength(text: string, limit = LIMIT): boolean {
  return lineCount(text) <= limit || /\bis long because\b/i.test(leadingComment(text))
}

describe('file size', () => {
  it('reads the reason only from the comment a file starts with', () => {
    const long = (head: string): string => `${head}\n${'const x = 1\n'.repeat(LIMIT)}`
    expect(explainsItsLength('const a = 1\n')).toBe(true)
    expect(explainsItsLength('const x = 1\n'.repeat(LIMIT))).toBe(true)
    expect(explainsItsLength('const x = 1\n'.repeat(LIMIT + 1))).toBe(false)
    expect(explainsItsLength(long('/** Parses a thing. This file is long because of the grammar. */'))).toBe(true)
    expect(explainsItsLength(long('// Parses a thing.\n//\n// It is long because of the grammar.'))).toBe(true)
    expect(explainsItsLength(long('/** Parses a thing. */'))).toBe(false)
    expect(explainsItsLength(long('/** Parses a thing. */\nconst y = 2 // this file is long because'))).toBe(false)
  })

  it(`every lib/ source over ${LIMIT} lines says at its top why it is long`, () => {
    const unexplained = sources('lib')
      .map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }))
      .filter(({ text }) => !explainsItsLength(text))
      .map(({ file, text }) => `${file} (${lineCount(text)} lines)`)
    expect(unexplained).toEqual([])
  })
})
