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
import { readFileSync } from 'node:fs'
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
