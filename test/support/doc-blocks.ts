/**
 * Code blocks of the guides, read as the reader sees them, so that a test can run them as written.
 *
 * A block is named by an HTML comment on the line before its fence, invisible in the rendered page:
 *
 * ````md
 * <!-- test: behind-a-load-balancer -->
 * ```js
 * …
 * ```
 * ````
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './tomcat.js'

/** The text of the fenced block named `name` in `file` (relative to the repository), without its fences. */
export function docBlock(file: string, name: string): string {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8')
  const marker = `<!-- test: ${name} -->`
  const at = text.indexOf(marker)
  if (at < 0) throw new Error(`${file}: no block marked ${marker}`)
  const fence = /^(`{3,})[^\n]*\n/.exec(text.slice(at + marker.length).replace(/^\s*\n/, ''))
  if (!fence) throw new Error(`${file}: ${marker} is not followed by a fenced block`)
  const start = text.indexOf(fence[0], at) + fence[0].length
  const end = text.indexOf(`\n${fence[1]}\n`, start)
  if (end < 0) throw new Error(`${file}: the block marked ${marker} is not closed`)
  return text.slice(start, end + 1)
}

/** One fenced code block of a Markdown file, with the marker comments on the lines just before its fence. */
export interface FencedBlock {
  /** The Markdown file, relative to the repository. */
  readonly file: string
  /** The 1-based line of the opening fence. */
  readonly line: number
  /** The fence's language (`ts`, `sh`, …), `''` when it has none. */
  readonly lang: string
  /** The block's lines, without the fences and without the indentation of the fence. */
  readonly code: string
  /** The marker comments before the fence, `<!-- key: value -->` (or `<!-- key -->`, value `''`), by key. */
  readonly tags: ReadonlyMap<string, string>
}

/** The Markdown files whose code blocks are checked: README.md and every `.md` under docs/. */
export function docFiles(): string[] {
  const files = ['README.md']
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) {
        if (path !== 'docs/api') walk(path)
      } else if (entry.name.endsWith('.md')) files.push(path)
    }
  }
  walk('docs')
  return files
}

/** Every fenced block (backtick fences, indented or not) of `file`, in order. */
export function fencedBlocks(file: string): FencedBlock[] {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n')
  const blocks: FencedBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,})\s*([\w-]*)[^`]*$/.exec(lines[i] as string)
    if (!open) continue
    const [, indent = '', fence = '', lang = ''] = open
    let end = i + 1
    while (end < lines.length && !(lines[end] as string).startsWith(`${indent}${fence}`)) end++
    if (end === lines.length) throw new Error(`${file}:${i + 1}: the fence is never closed`)
    const code = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart())).join('\n')
    const tags = new Map<string, string>()
    // The comments just before the fence; those of the form `<!-- key: value -->` are markers.
    for (let j = i - 1; j >= 0 && /^\s*<!--.*-->\s*$/.test(lines[j] as string); j--) {
      const marker = /^\s*<!--\s*([\w-]+)(?::\s*([\s\S]*?))?\s*-->\s*$/.exec(lines[j] as string)
      if (marker) tags.set(marker[1] as string, marker[2] ?? '')
    }
    blocks.push({ file, line: i + 1, lang, code: `${code}\n`, tags })
    i = end
  }
  return blocks
}
