// Changing what goes through (docs/guide/changing-requests.md): an Authorization header for the
// backend, a path rewrite, and response headers added and removed.
//
//   BACKEND_TOKEN=secret node examples/hooks/server.mjs
//   curl -i http://127.0.0.1:8080/testapp/api/v1/orders     # Tomcat sees /testapp/echo/orders
import express from 'express'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const port = Number(process.env.PORT ?? 8080)
const token = process.env.BACKEND_TOKEN ?? 'dev-token'
const app = express()

const balancer = stickyBalancer({
  members: membersFromEnv(process.env.MEMBERS),
  // /testapp/api/v1/orders → /testapp/echo/orders; still confined to /testapp.
  pathRewrite: { '^/api/v1/': '/echo/' },
  // For every member tried, before the request goes to it.
  onRequest(ctx) {
    ctx.setHeader('authorization', `Bearer ${token}`)
    ctx.setHeader('x-backend-member', ctx.member.id)
    ctx.removeHeader('x-debug')
  },
  // For every answer, before its head is written.
  onResponse(ctx) {
    ctx.removeHeader('x-node')
    ctx.setHeader('x-served-by', ctx.member.id)
  },
})
app.use('/testapp', balancer)

const server = app.listen(port, '127.0.0.1')
serveUntilSignal(server, balancer.balancer)
