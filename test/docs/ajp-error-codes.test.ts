/**
 * The AJP protocol codes a guide lists are the ones the code has: docs/errors.md ("AJP protocol
 * codes") and docs/guide/transports-ajp.md (`AjpProtocolError.code` values) against the
 * `AjpProtocolErrorCode` union of lib/transports/ajp/errors.ts.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/tomcat.js'

const read = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8')
const codes = (text: string): string[] => [...new Set(text.match(/AJP_ERR_[A-Z_]+/g) ?? [])].sort()

/** The members of the `AjpProtocolErrorCode` union, from the source. */
function unionCodes(): string[] {
  const source = read('lib/transports/ajp/errors.ts')
  const start = source.indexOf('export type AjpProtocolErrorCode =')
  const end = source.indexOf('\n\n', start)
  return codes(source.slice(start, end))
}

/** The text of a markdown section, from its heading to the next heading of any level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(heading)
  if (start < 0) throw new Error(`no section ${heading}`)
  const next = text.slice(start + heading.length).search(/\n#{1,6} /)
  return next < 0 ? text.slice(start) : text.slice(start, start + heading.length + next)
}

describe('AJP protocol codes in the guides', () => {
  it('docs/errors.md lists every AjpProtocolErrorCode, plus AJP_ERR_SECRET_REJECTED, and nothing else', () => {
    expect(codes(section(read('docs/errors.md'), '## AJP protocol codes'))).toEqual([...unionCodes(), 'AJP_ERR_SECRET_REJECTED'].sort())
  })

  it('docs/guide/transports-ajp.md lists the AjpProtocolError.code values', () => {
    const text = read('docs/guide/transports-ajp.md')
    const start = text.indexOf('`AjpProtocolError.code` values:')
    expect(start).toBeGreaterThan(0)
    expect(codes(text.slice(start, text.indexOf('\n\n', start)))).toEqual(unionCodes())
  })
})
