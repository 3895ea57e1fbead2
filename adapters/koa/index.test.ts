import Koa from 'koa'
import { runAdapterSuite, runBypassSuite } from '../../test/support/adapter-suite.js'
import { koaAdapterSuite, koaBypassSuite } from '../../test/support/framework-apps.js'

runAdapterSuite(koaAdapterSuite('Koa', () => Koa))
runBypassSuite(koaBypassSuite('Koa', () => Koa))
