/**
 * The Koa adapter suite on Koa 2: the newest 2.x and the oldest the peer range takes
 * (`^2.13.0 || ^3.0.0`), each installed from the registry into its own project under
 * `.run/frameworks/` (see test/support/framework-versions.ts); the repository's own node_modules
 * hold Koa 3.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { runAdapterSuite, runBypassSuite } from '../../test/support/adapter-suite.js'
import { koaAdapterSuite, koaBypassSuite } from '../../test/support/framework-apps.js'
import type { KoaClass } from '../../test/support/framework-apps.js'
import { importFrom, installFramework } from '../../test/support/framework-versions.js'
import type { FrameworkSpec, InstalledFramework } from '../../test/support/framework-versions.js'

describe.each<[FrameworkSpec, RegExp]>([['koa@2', /^2\./], ['koa@2.13.0', /^2\.13\.0$/]])('%s', (spec, version) => {
  let installed: InstalledFramework
  let Koa: KoaClass

  beforeAll(async () => {
    installed = await installFramework(spec)
    Koa = await importFrom<KoaClass>(installed)
  }, 180_000)

  it('is the installed Koa 2', () => {
    expect(installed.version).toMatch(version)
    expect(typeof Koa.prototype.callback).toBe('function')
  })

  runAdapterSuite(koaAdapterSuite(`Koa ${spec.slice('koa@'.length)}`, () => Koa))
  runBypassSuite(koaBypassSuite(`Koa ${spec.slice('koa@'.length)}`, () => Koa))
})
