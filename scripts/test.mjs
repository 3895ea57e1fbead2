// `npm test`: the whole suite (unit + real Tomcat), then one closing line `N passed, N failed`.
// Installs npm packages and builds dist/ first when needed; Tomcat nodes are started by the
// tomcat project's global setup (which fails, never skips, when Tomcat cannot be had with CI=true).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ensureBuild, ensureDependencies, root } from './setup.mjs'

ensureDependencies()
ensureBuild()

const reportDir = join(root, '.run')
const report = join(reportDir, 'vitest-report.json')
mkdirSync(reportDir, { recursive: true })
rmSync(report, { force: true })

const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const result = spawnSync('npx', args, { cwd: root, stdio: 'inherit' })

let passed = 0
let failed = 0
let skipped = 0
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'))
  passed = json.numPassedTests ?? 0
  failed = json.numFailedTests ?? 0
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
  // A suite that failed to load (or a global setup that threw) has no failed test of its own.
  const brokenFiles = (json.testResults ?? []).filter((file) => file.status === 'failed' && (file.assertionResults ?? []).every((t) => t.status !== 'failed')).length
  failed += brokenFiles
}
if (result.status !== 0 && failed === 0) failed = 1
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(result.status ?? 1)
