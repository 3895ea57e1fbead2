// A Koa 3 server that balances every request over two Tomcat nodes, keeping each session on the
// node that created it (Tomcat's jvmRoute: session ids end in .TomcatA or .TomcatB).
//
//   node examples/koa-basic/server.mjs
//   PORT=9000 MEMBERS="TomcatA=http://127.0.0.1:8081,TomcatB=http://127.0.0.1:8082" node examples/koa-basic/server.mjs
import Koa from 'koa'
import { stickyBalancer } from 'sticky-balancer/koa'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const port = Number(process.env.PORT ?? 8080)
const app = new Koa()

const balancer = stickyBalancer({
  members: membersFromEnv(process.env.MEMBERS),
  sticky: { cookie: 'JSESSIONID' },
  exclude: ['/health'],
})
app.use(balancer)
app.use((ctx) => {
  ctx.body = { ok: true }
})

const server = app.listen(port, '127.0.0.1')
serveUntilSignal(server, balancer.balancer)
