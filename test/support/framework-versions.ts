/**
 * The older framework majors the peer ranges promise (Express 4, Koa 2), each a separate install
 * from the npm registry under `.run/frameworks/<name>-<major>/`: the repository's own
 * node_modules keep Express 5 and Koa 3. An install is reused while it holds the wanted major;
 * concurrent test files each install into a scratch directory and the first to finish renames
 * its directory into place.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { REPO_ROOT } from './tomcat.js'

const run = promisify(execFile)

/** A framework package at a major (the newest of it) or an exact version, as `npm install` takes it: `express@4`, `koa@2.13.0`. */
export type FrameworkSpec = `${'express' | 'koa'}@${number}` | `${'express' | 'koa'}@${number}.${number}.${number}`

export interface InstalledFramework {
  readonly name: string
  /** The exact version installed (`4.21.2`). */
  readonly version: string
  /** The project directory; its node_modules holds the framework and its dependencies. */
  readonly dir: string
}

function installedVersion(dir: string, name: string): string | undefined {
  const manifest = join(dir, 'node_modules', name, 'package.json')
  if (!existsSync(manifest)) return undefined
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
}

/**
 * Installs `spec` (with `extra` packages, e.g. a packed tarball) into its own project directory
 * once, within `timeoutMs`; later calls reuse it.
 */
export async function installFramework(spec: FrameworkSpec, timeoutMs = 150_000): Promise<InstalledFramework> {
  const [name, wanted] = spec.split('@') as [string, string]
  const fits = (version: string | undefined): version is string => version !== undefined && (wanted.includes('.') ? version === wanted : version.split('.')[0] === wanted)
  const root = join(REPO_ROOT, '.run', 'frameworks')
  const dir = join(root, `${name}-${wanted}`)
  const existing = installedVersion(dir, name)
  if (fits(existing)) return { name, version: existing, dir }
  mkdirSync(root, { recursive: true })
  const scratch = mkdtempSync(join(root, `.${name}-${wanted}-`))
  try {
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: `sb-${name}-${wanted}`, private: true }, null, 2))
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', spec], { cwd: scratch, timeout: timeoutMs })
    if (existing !== undefined) rmSync(dir, { recursive: true, force: true })
    try {
      renameSync(scratch, dir)
    } catch {
      // Another test file finished first: use its install.
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  const version = installedVersion(dir, name)
  if (!fits(version)) throw new Error(`${spec} did not install into ${dir}`)
  return { name, version, dir }
}

/** Imports a package from an installed project (CommonJS packages: their `module.exports`). */
export async function importFrom<T>(installed: InstalledFramework, name = installed.name): Promise<T> {
  const manifest = JSON.parse(readFileSync(join(installed.dir, 'node_modules', name, 'package.json'), 'utf8')) as { main?: string }
  const entry = join(installed.dir, 'node_modules', name, manifest.main ?? 'index.js')
  const mod = (await import(pathToFileURL(entry).href)) as { default: T }
  return mod.default
}
