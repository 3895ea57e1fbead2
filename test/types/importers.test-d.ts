/**
 * Type tests of the config importers: each returns balancers whose options `createBalancer` takes
 * as they are, plus warnings.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { createBalancer, detectConfigFormat, fromHttpdConfig, fromNginxConfig, fromWorkersProperties, importConfig } from '../../lib/index.js'
import type { BalancerOptions, ConfigFormat, ImportedBalancer, ImportResult } from '../../lib/index.js'

describe('importers', () => {
  it('return an ImportResult of balancers and warnings', () => {
    expectTypeOf(fromNginxConfig('')).toEqualTypeOf<ImportResult>()
    expectTypeOf(fromHttpdConfig('')).toEqualTypeOf<ImportResult>()
    expectTypeOf(fromWorkersProperties('', { jkMounts: '' })).toEqualTypeOf<ImportResult>()
    expectTypeOf<ImportResult['balancers']>().toEqualTypeOf<ImportedBalancer[]>()
    expectTypeOf<ImportResult['warnings']>().toEqualTypeOf<string[]>()
  })

  it('importConfig says which format it read', () => {
    expectTypeOf(importConfig('', 'nginx.conf').format).toEqualTypeOf<ConfigFormat>()
    expectTypeOf(detectConfigFormat('nginx.conf', '')).toEqualTypeOf<ConfigFormat | undefined>()
  })

  it('an imported balancer goes straight into createBalancer', () => {
    const [first] = fromNginxConfig('').balancers
    expectTypeOf(first).toEqualTypeOf<ImportedBalancer | undefined>()
    expectTypeOf<ImportedBalancer['options']>().toEqualTypeOf<BalancerOptions>()
    expectTypeOf<ImportedBalancer['mount']>().toBeString()
    if (first) createBalancer(first.options)
  })
})
