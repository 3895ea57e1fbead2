/**
 * Tomcat's access log of one node started with `TOMCAT_ACCESS_LOG=1` (pattern
 * `%h %t "%r" %s %b %D %S`, unbuffered): what the node itself says it served.
 *
 * @module
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { tomcatNodeDir } from '../../support/tomcat.js'

export interface AccessLog {
  /** Bytes in the log now: pass to {@link AccessLog.since} to read what comes after. */
  size(): number
  /** The lines written after `offset`. */
  since(offset: number): string[]
}

export function accessLog(node: string): AccessLog {
  const file = join(tomcatNodeDir(node), 'logs', 'access.log')
  return {
    size: () => {
      try {
        return statSync(file).size
      } catch {
        return 0
      }
    },
    since: (offset) => {
      let text: Buffer
      try {
        text = readFileSync(file)
      } catch {
        return []
      }
      return text.subarray(offset).toString('latin1').split('\n').filter(Boolean)
    },
  }
}
