// `npm run demo`: two Tomcat nodes from tomcat-testapp/ behind an Express server with the
// balancer on http://127.0.0.1:8080/ (PORT=... for another port), which opens on the testapp page
// with a link to the balancer-manager. Installs what is missing first. Ctrl-C stops everything.
// `npm run demo -- --ajp` talks to the nodes over their AJP connectors instead of HTTP.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { demoBanner } from './demo-banner.mjs'
import { ensureBuild, ensureDependencies, root, startTomcat } from './setup.mjs'

ensureDependencies()
ensureBuild()
startTomcat()

const port = process.env.PORT ?? '8080'
const ajp = process.argv.includes('--ajp')
const server = spawn(process.execPath, [join(root, 'examples', ajp ? 'express-ajp' : 'express-basic', 'server.mjs')], {
  cwd: root,
  env: { ...process.env, PORT: port },
  stdio: ['ignore', 'pipe', 'inherit'],
})
server.stdout.pipe(process.stdout)
// The example prints `listening on http://127.0.0.1:<port>/testapp/index.jsp` once it listens.
let printed = ''
server.stdout.on('data', function onData(chunk) {
  printed += chunk
  const origin = /listening on (http:\/\/[^/\s]+)/.exec(printed)?.[1]
  if (!origin) return
  server.stdout.off('data', onData)
  console.log(demoBanner(origin, { ajp }))
})

let stopping = false
function stop() {
  if (stopping) return
  stopping = true
  server.kill('SIGTERM')
  spawnSync('bash', [join(root, 'tomcat-testapp', 'bin', 'nodes.sh'), 'stop'], { stdio: 'inherit' })
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
server.on('exit', (code) => {
  if (!stopping) {
    console.error(`the balancer exited (${code}); stopping the nodes`)
    stop()
  }
})
