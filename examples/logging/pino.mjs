// Balancer log lines through pino (docs/guide/logging.md): one JSON line each, `msg` and context.
//
//   npm install pino && node examples/logging/pino.mjs
import express from 'express'
import pino from 'pino'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const logger = pino({ level: 'info' })
const balancer = stickyBalancer({ members: membersFromEnv(process.env.MEMBERS), logger })

const app = express()
app.use('/testapp', balancer)
serveUntilSignal(app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1'), balancer.balancer)
