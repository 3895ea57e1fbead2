// Balancer log lines on the console (docs/guide/logging.md): console.warn('sticky-balancer: …', context).
// Debug lines go to console.debug: wrap the console to drop them (below).
//
//   node examples/logging/console.mjs
import { Console } from 'node:console'
import express from 'express'
import { stickyBalancer } from 'sticky-balancer/express'
import { membersFromEnv, serveUntilSignal } from '../support.mjs'

// Everything on stderr, debug lines dropped.
const logger = new Console({ stdout: process.stderr, stderr: process.stderr })
logger.debug = () => {}
const balancer = stickyBalancer({ members: membersFromEnv(process.env.MEMBERS), logger })

const app = express()
app.use('/testapp', balancer)
serveUntilSignal(app.listen(Number(process.env.PORT ?? 8080), '127.0.0.1'), balancer.balancer)
