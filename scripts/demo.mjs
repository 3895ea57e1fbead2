// `npm run demo`: two Tomcat nodes from tomcat-testapp/ behind an Express server with the
// balancer on http://127.0.0.1:8080/. Installs what is missing first. Ctrl-C stops everything.
// `npm run demo -- --ajp` talks to the nodes over their AJP connectors instead of HTTP.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
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
server.stdout.once('data', () => {
  const base = `http://127.0.0.1:${port}`
  console.log(`
Two Tomcat nodes are behind the balancer (over ${ajp ? 'AJP' : 'HTTP'}). Open:
  ${base}/testapp/index.jsp      the tutorial's page: node name, session id, creation time;
                                 reload it: the session stays on its node (id ends .TomcatA or .TomcatB)
  ${base}/testapp/echo.jsp       what Tomcat sees of the request (X-Forwarded-*, remote address, …)
  ${base}/balancer-manager/      the balancer-manager: members, states, weights, sticky reasons;
                                 drain or stop a node there and watch where new sessions go
  http://127.0.0.1:8081/testapp/index.jsp and http://127.0.0.1:8082/testapp/index.jsp   the nodes directly
Press Ctrl-C to stop the balancer and both nodes.`)
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
