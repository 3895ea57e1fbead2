import express from 'express'
import { runAdapterSuite, runBypassSuite } from '../../test/support/adapter-suite.js'
import { expressAdapterSuite, expressBypassSuite } from '../../test/support/framework-apps.js'

runAdapterSuite(expressAdapterSuite('Express', () => express))
runBypassSuite(expressBypassSuite('Express', () => express))
