// Balancer log lines through winston (docs/guide/logging.md): recognised by its log() method and
// transports, and called as log(level, message, context).
//
//   npm install winston && node examples/logging/winston.mjs
import express from 'express'
import winston from 'winston'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

const logger = winston.createLogger({
  level: 'info',
  format: winston.format.json(),
  transports: [new winston.transports.Console()],
})
const balancer = stickyBalancer({ members: membersFromEnv(process.env.MEMBERS), logger })

const app = express()
app.use('/testapp', balancer)
serveUntilSignal(app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1'), balancer.balancer)
