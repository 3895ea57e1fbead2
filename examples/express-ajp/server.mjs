// The same two Tomcat nodes as express-basic, over their AJP connectors (port 8009/8010), the way
// mod_jk and mod_proxy_ajp talk to Tomcat. Tomcat's AJP connector requires a secret
// (secretRequired="true"); it must equal the connector's `secret` attribute.
//
//   TOMCAT_AJP_SECRET=... node examples/express-ajp/server.mjs
//   PORT=9000 MEMBERS="TomcatA=ajp://127.0.0.1:8009,TomcatB=ajp://127.0.0.1:8010" node examples/express-ajp/server.mjs
import express from 'express'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const port = Number(process.env.PORT ?? 8080)
const app = express()

const balancer = stickyBalancer({
  members: membersFromEnv(process.env.MEMBERS ?? 'TomcatA=ajp://127.0.0.1:8009,TomcatB=ajp://127.0.0.1:8010'),
  ajp: { secret: process.env.TOMCAT_AJP_SECRET ?? 'sticky-balancer-dev-secret' },
})
app.use('/testapp', balancer)
// The balancer-manager page, JSON API and metrics; loopback clients only unless `authorize` says otherwise.
app.use(balancer.balancer.adminHandler({ path: '/balancer-manager' }))
app.get('/', (_req, res) => res.redirect('/testapp/index.jsp'))

const server = app.listen(port, '127.0.0.1')
serveUntilSignal(server, balancer.balancer)
