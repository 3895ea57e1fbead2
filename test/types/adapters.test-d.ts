/**
 * Type tests of the adapters: `sticky-balancer/express` returns an Express request handler and
 * `sticky-balancer/koa` a Koa middleware, each with the balancer it drives.
 */
import type { RequestListener } from 'node:http'
import express from 'express'
import type { RequestHandler } from 'express'
import Koa from 'koa'
import type { Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { stickyBalancer as expressBalancer } from '../../adapters/express/index.js'
import { stickyBalancer as koaBalancer } from '../../adapters/koa/index.js'
import { createBalancer } from '../../lib/index.js'
import type { Balancer, BalancerOptions } from '../../lib/index.js'

const options: BalancerOptions = { members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }] }

describe('sticky-balancer/express', () => {
  it('returns an Express RequestHandler that app.use accepts', () => {
    const lb = expressBalancer(options)
    expectTypeOf(lb).toExtend<RequestHandler>()
    expectTypeOf(lb.balancer).toEqualTypeOf<Balancer>()
    expectTypeOf(lb.attachUpgrades).returns.toEqualTypeOf<() => void>()
    express().use('/app', lb)
  })

  it('takes options or an existing balancer', () => {
    expectTypeOf(expressBalancer).toBeCallableWith(options)
    expectTypeOf(expressBalancer).toBeCallableWith(createBalancer(options))
    // @ts-expect-error members is required
    expressBalancer({})
  })
})

describe('sticky-balancer/koa', () => {
  it('returns a Koa Middleware that app.use accepts', () => {
    const lb = koaBalancer(options)
    expectTypeOf(lb).toExtend<Middleware>()
    expectTypeOf(lb.balancer).toEqualTypeOf<Balancer>()
    new Koa().use(lb)
  })

  it('takes options or an existing balancer', () => {
    expectTypeOf(koaBalancer).toBeCallableWith(options)
    expectTypeOf(koaBalancer).toBeCallableWith(createBalancer(options))
  })
})

describe('without a framework', () => {
  it('balancer.handle serves as a node:http request listener', () => {
    const balancer = createBalancer(options)
    const listener: RequestListener = (req, res) => void balancer.handle(req, res)
    expectTypeOf(listener).toBeFunction()
  })
})
