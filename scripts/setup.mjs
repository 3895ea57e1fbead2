// Shared steps of the README's commands: install npm packages when missing, build dist/ when
// it is older than the sources, start the Tomcat nodes. Node built-ins only: this runs before
// `npm ci` has put anything in node_modules.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs a command in the repo, inheriting stdio; exits the process with its code on failure. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options })
  if (result.status !== 0) {
    console.error(`\n${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}

function newestMtime(path) {
  const info = statSync(path)
  if (!info.isDirectory()) return info.mtimeMs
  let newest = 0
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

/** `npm ci` when node_modules is missing or older than the lock file. */
export function ensureDependencies() {
  const modules = join(root, 'node_modules', '.package-lock.json')
  if (existsSync(modules) && statSync(modules).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs) return
  console.log('> npm ci')
  run('npm', ['ci', '--no-audit', '--no-fund'])
}

/** `npm run build` when dist/ is missing or older than lib/, adapters/ and bin/ (the CLI, whose `--help` the docs test compares). */
export function ensureBuild() {
  const dist = join(root, 'dist', 'index.js')
  const sources = Math.max(newestMtime(join(root, 'lib')), newestMtime(join(root, 'adapters')), newestMtime(join(root, 'bin')), statSync(join(root, 'package.json')).mtimeMs)
  if (existsSync(dist) && statSync(dist).mtimeMs >= sources) return
  console.log('> npm run build')
  run('npm', ['run', 'build', '--silent'])
}

/** Starts the Tomcat nodes (installing Tomcat via apt when missing and running as root). */
export function startTomcat(env = {}) {
  console.log('> tomcat-testapp/bin/nodes.sh start')
  run('bash', [join(root, 'tomcat-testapp', 'bin', 'nodes.sh'), 'start'], { env: { ...process.env, ...env } })
}
