// Balance over two Tomcat nodes on every core: node:cluster runs N worker processes that share
// one listening port, and each worker has its own balancer.
//
//   node examples/cluster/server.mjs
//   WORKERS=4 PORT=9000 MEMBERS="TomcatA=ajp://127.0.0.1:8009,TomcatB=ajp://127.0.0.1:8010" \
//     TOMCAT_AJP_SECRET=... node examples/cluster/server.mjs
//
// No state is shared between workers, and none needs to be: a session is routed by the jvmRoute
// at the end of its id (JSESSIONID=<id>.TomcatA), which every worker reads the same way. What is
// per worker: the byrequests counters for new sessions (each worker spreads its own share evenly),
// member error states (each worker finds a dead node on its own), the upstream keep-alive pools
// (N × the per-member limit), and any admin change (setMemberState) — apply those to all workers.
// See docs/guide/cluster.md.
import cluster from 'node:cluster'
import http from 'node:http'
import os from 'node:os'
import { createBalancer } from 'sticky-balancer'
import { membersFromEnv } from '../support.mjs'

const port = Number(process.env.PORT ?? 8080)
const workers = Number(process.env.WORKERS ?? os.availableParallelism())

if (cluster.isPrimary) {
  let listening = 0
  let stopping = false
  const fork = () => cluster.fork()
  cluster.on('listening', () => {
    listening++
    if (listening === workers) console.log(`listening on http://127.0.0.1:${port}/testapp/index.jsp (${workers} workers)`)
  })
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`)
    fork()
  })
  for (let i = 0; i < workers; i++) fork()

  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      stopping = true
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
      cluster.disconnect(() => process.exit(0))
    })
  }
} else {
  const members = membersFromEnv(process.env.MEMBERS)
  const secret = process.env.TOMCAT_AJP_SECRET
  const balancer = createBalancer({
    members,
    sticky: { cookie: 'JSESSIONID' },
    // Tomcat's AJP connector requires its secret (secretRequired="true" by default).
    ...(secret && members.some((m) => m.url.startsWith('ajp:')) ? { ajp: { secret } } : {}),
  })
  const server = http.createServer((req, res) => balancer.handle(req, res))
  server.listen(port, '127.0.0.1')

  process.once('SIGTERM', async () => {
    server.close()
    await balancer.close()
    process.exit(0)
  })
  // The primary handles Ctrl-C for the whole group.
  process.on('SIGINT', () => {})
}
