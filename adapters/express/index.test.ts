import express from 'express'
import type { NextFunction, Request, Response } from 'express'
import { runAdapterSuite, runBypassSuite } from '../../test/support/adapter-suite.js'
import { stickyBalancer } from './index.js'

runAdapterSuite({
  name: 'Express',
  build(options, mountPath) {
    const errors: unknown[] = []
    const middleware = stickyBalancer(options)
    const app = express()
    if (mountPath) app.use(mountPath, middleware)
    else app.use(middleware)
    app.use((req: Request, res: Response) => {
      res.type('text').send(`next:${req.originalUrl}`)
    })
    app.use((err: { statusCode?: number }, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(err)
      res.status(err.statusCode ?? 500).type('text').send('error')
    })
    return { listener: app, balancer: middleware.balancer, errors }
  },
})

runBypassSuite({
  name: 'Express',
  create: stickyBalancer,
  buildApp(proxy, mountPath, seen) {
    const app = express()
    app.use((req: Request, _res: Response, next: NextFunction) => {
      seen.push(req.originalUrl)
      next()
    })
    app.use(mountPath, proxy)
    app.use((req: Request, res: Response) => {
      res.type('text').send(`next:${req.originalUrl}`)
    })
    return app
  },
})
