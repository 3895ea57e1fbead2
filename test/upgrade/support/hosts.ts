/**
 * The Express and Koa hosts of the upgrade tests: the balancer's middleware mounted at
 * `mountPath`, and its `attachUpgrades` on the same server; closed after the test.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { onTestFinished } from 'vitest'
import { stickyBalancer as expressBalancer } from '../../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../../adapters/koa/index.js'
import type { Balancer } from '../../../lib/balancer.js'
import type { BalancerOptions } from '../../../lib/options.js'

export type FrameworkHost = (options: BalancerOptions) => Promise<{ balancer: Balancer; url: string }>

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** An Express and a Koa host that balance requests and upgrades below `mountPath`. */
export function frameworkHosts(mountPath: string): { express: FrameworkHost; koa: FrameworkHost } {
  return {
    express: async (options) => {
      const middleware = expressBalancer(options)
      const app = express()
      app.use(mountPath, middleware)
      const server = http.createServer(app)
      middleware.attachUpgrades(server, { mountPath })
      onTestFinished(() => middleware.balancer.close())
      return { balancer: middleware.balancer, url: await listen(server) }
    },
    koa: async (options) => {
      const middleware = koaBalancer(options)
      const app = new Koa()
      app.use(async (ctx, next) => (ctx.path.startsWith(mountPath) ? middleware(ctx, next) : next()))
      const server = http.createServer(app.callback())
      middleware.attachUpgrades(server, { mountPath })
      onTestFinished(() => middleware.balancer.close())
      return { balancer: middleware.balancer, url: await listen(server) }
    },
  }
}
