// An access log in httpd's Combined format, with the upstream fields (docs/guide/logging.md).
//
//   ACCESS_LOG=access.log node examples/logging/access-log.mjs
import { createWriteStream } from 'node:fs'
import express from 'express'
import { formatAccessLine, formatAuditLine } from 'sticky-balancer'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const log = process.env.ACCESS_LOG ? createWriteStream(process.env.ACCESS_LOG, { flags: 'a', mode: 0o640 }) : process.stdout
const balancer = stickyBalancer({ members: membersFromEnv(process.env.MEMBERS), admin: { path: '/balancer-manager' } })
balancer.balancer.on('access', (record) => log.write(`${formatAccessLine(record, 'combined')}\n`))
balancer.balancer.on('audit', (record) => log.write(`${formatAuditLine(record, 'combined')}\n`))

const app = express()
app.use('/testapp', balancer)
serveUntilSignal(app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1'), balancer.balancer)
