// WebSocket through the balancer, in front of two Tomcat nodes with the examples webapp
// (tomcat10-examples, its echo endpoints at /examples/websocket/echoAnnotation …).
//
// Plain requests and upgrades share one node:http server: requests go to `balancer.handle`,
// the server's 'upgrade' event to `balancer.handleUpgrade` (wired by `attachUpgrades`). A
// WebSocket that carries the /examples session cookie stays on the session's node.
//
//   TOMCAT_EXAMPLES=1 tomcat-testapp/bin/nodes.sh start
//   node examples/websocket/server.mjs
//   # requests over AJP, upgrades over HTTP (AJP cannot carry WebSocket):
//   MEMBERS="TomcatA=ajp://127.0.0.1:8009,TomcatB=ajp://127.0.0.1:8010" \
//   UPGRADE_URLS="TomcatA=http://127.0.0.1:8081,TomcatB=http://127.0.0.1:8082" node examples/websocket/server.mjs
import http from 'node:http'
import { createBalancer } from 'sticky-balancer'
import { membersFromEnv } from '../support.mjs'

const port = Number(process.env.PORT ?? 8080)
const upgradeUrls = Object.fromEntries(membersFromEnv(process.env.UPGRADE_URLS ?? '').map((m) => [m.route, m.url]))

const balancer = createBalancer({
  members: membersFromEnv(process.env.MEMBERS).map((m) => (upgradeUrls[m.route] ? { ...m, upgradeUrl: upgradeUrls[m.route] } : m)),
  ajp: { secret: process.env.TOMCAT_AJP_SECRET ?? 'sticky-balancer-dev-secret' },
  // Close WebSockets silent for 10 minutes; at most 1000 per node; 5 s to finish when a node is stopped.
  upgrade: { idleTimeout: 600_000, maxPerMember: 1000, closeGrace: 5_000 },
})
balancer.on('upgrade', (e) => console.log(`upgrade ${e.protocol} -> ${e.member.id} (${e.reason}): ${e.status || e.error}`))

const server = http.createServer((req, res) => balancer.handle(req, res))
balancer.attachUpgrades(server)
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/examples/websocket/echo.xhtml`)
})

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    server.close()
    await balancer.close() // WebSockets get a close frame (1001) after upgrade.closeGrace
    process.exit(0)
  })
}
