// An Express 5 server that balances /testapp over two Tomcat nodes, keeping each session on the
// node that created it (Tomcat's jvmRoute: session ids end in .TomcatA or .TomcatB).
//
//   node examples/express-basic/server.mjs
//   PORT=9000 MEMBERS="TomcatA=http://127.0.0.1:8081,TomcatB=http://127.0.0.1:8082" node examples/express-basic/server.mjs
import express from 'express'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const port = Number(process.env.PORT ?? 8080)
const app = express()

const balancer = stickyBalancer({
  members: membersFromEnv(process.env.MEMBERS),
  sticky: { cookie: 'JSESSIONID' },
})
app.use('/testapp', balancer)
// The balancer-manager page, JSON API and metrics; loopback clients only unless `authorize` says otherwise.
app.use(balancer.balancer.adminHandler({ path: '/balancer-manager' }))
app.get('/', (_req, res) => res.redirect('/testapp/index.jsp'))

const server = app.listen(port, '127.0.0.1')
serveUntilSignal(server, balancer.balancer)
