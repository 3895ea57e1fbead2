import { defineConfig } from 'vitest/config'

/**
 * Projects, split by cost:
 * - `unit`: pure modules and in-process fakes on port 0 (`*.test.ts` beside the code and in test/).
 * - `types`: type tests of the public API (`test/types/*.test-d.ts`), checked by tsc.
 * - `tomcat`: real Tomcat nodes from tomcat-testapp/ (`*.tomcat.test.ts`), started once by the
 *   global setup. With CI=true a missing Tomcat fails the run; it never skips.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['lib/**/*.test.ts', 'adapters/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: ['**/*.tomcat.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The balancer's behaviour again, through the second HTTP transport (http.transport: 'node').
          name: 'unit-node-http',
          include: ['test/balancer/**/*.test.ts', 'adapters/**/*.test.ts', 'test/reliability/hostile-input.test.ts', 'test/reliability/request-framing.test.ts', 'test/reliability/faults-under-load.test.ts'],
          exclude: ['**/*.tomcat.test.ts', '**/node_modules/**'],
          env: { SB_HTTP_TRANSPORT: 'node' },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // The same again through the third HTTP transport (http.transport: 'undici').
          name: 'unit-undici-http',
          include: ['test/balancer/**/*.test.ts', 'adapters/**/*.test.ts', 'test/reliability/hostile-input.test.ts', 'test/reliability/request-framing.test.ts', 'test/reliability/faults-under-load.test.ts'],
          exclude: ['**/*.tomcat.test.ts', '**/node_modules/**'],
          env: { SB_HTTP_TRANSPORT: 'undici' },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          // Type tests of the public API (`*.test-d.ts`, expectTypeOf): checked by tsc, never run.
          name: 'types',
          include: [],
          typecheck: { enabled: true, only: true, include: ['test/types/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        test: {
          name: 'tomcat',
          include: ['**/*.tomcat.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/support/tomcat-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
