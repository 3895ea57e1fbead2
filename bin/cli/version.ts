/**
 * `sticky-balancer --version`: the name and version of the package the command belongs to, read
 * from the package.json next to its directory (bin/cli.ts run from a checkout, dist/cli.js
 * installed: both are one directory below it).
 *
 * @module
 */
import { readFileSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * The line `--version` prints, from a package.json's text.
 *
 * @example
 * ```ts
 * versionLine('{"name":"sticky-balancer","version":"0.1.0"}')   // 'sticky-balancer 0.1.0'
 * ```
 */
export function versionLine(packageJson: string): string {
  const pkg = JSON.parse(packageJson) as { version?: unknown }
  return `sticky-balancer ${typeof pkg.version === 'string' ? pkg.version : 'unknown'}`
}

/** The package.json of the command at `entry` (its file, as `process.argv[1]` names it; links followed). */
export function packageJsonOf(entry: string): string {
  return join(dirname(realpathSync(entry)), '..', 'package.json')
}

/** The `--version` line of the running command. */
export function commandVersion(entry = process.argv[1] ?? ''): string {
  return versionLine(readFileSync(packageJsonOf(entry), 'utf8'))
}
