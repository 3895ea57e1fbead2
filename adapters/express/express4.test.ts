/**
 * The Express adapter suite on Express 4: the newest 4.x and the oldest the peer range takes
 * (`^4.17.0 || ^5.0.0`), each installed from the registry into its own project under
 * `.run/frameworks/` (see test/support/framework-versions.ts); the repository's own node_modules
 * hold Express 5.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runAdapterSuite, runBypassSuite } from '../../test/support/adapter-suite.js'
import { expressAdapterSuite, expressBypassSuite } from '../../test/support/framework-apps.js'
import type { ExpressModule } from '../../test/support/framework-apps.js'
import { importFrom, installFramework } from '../../test/support/framework-versions.js'
import type { FrameworkSpec, InstalledFramework } from '../../test/support/framework-versions.js'

describe.each<[FrameworkSpec, RegExp]>([['express@4', /^4\./], ['express@4.17.0', /^4\.17\.0$/]])('%s', (spec, version) => {
  let installed: InstalledFramework
  let express: ExpressModule

  beforeAll(async () => {
    installed = await installFramework(spec)
    express = await importFrom<ExpressModule>(installed)
  }, 180_000)

  it('is the installed Express 4', () => {
    expect(installed.version).toMatch(version)
    expect(typeof express.json).toBe('function')
  })

  runAdapterSuite(expressAdapterSuite(`Express ${spec.slice('express@'.length)}`, () => express))
  runBypassSuite(expressBypassSuite(`Express ${spec.slice('express@'.length)}`, () => express))
})
