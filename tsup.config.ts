import { defineConfig } from 'tsup'

/**
 * One build, three public entry points (see package.json#exports):
 * `.` (the framework-free core), `./express` and `./koa` (thin adapters).
 * ESM and CJS with a `.d.ts` / `.d.cts` per format so each condition gets its own types.
 */
export default defineConfig({
  entry: {
    index: 'lib/index.ts',
    express: 'adapters/express/index.ts',
    koa: 'adapters/koa/index.ts',
    // The `sticky-balancer` command (package.json#bin); its `#!/usr/bin/env node` line is kept.
    cli: 'bin/cli.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  external: ['express', 'koa'],
})
