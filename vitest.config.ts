import { defineConfig } from 'vitest/config'

/**
 * Projects, split by cost:
 * - `unit`: pure modules and in-process fakes on port 0 (`*.test.ts` beside the code and in test/).
 * - `types`: type tests of the public API (`test/types/*.test-d.ts`), checked by tsc.
 *   Every transport runs the transport conformance suite (lib/transports/conformance.suite.ts) in
 *   `unit`; suites that must hold on every HTTP transport say so themselves
 *   (`forEachHttpTransport`, `HTTP_TRANSPORTS`, `MEMBER_SETUPS`), without environment variables.
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
          // docs/api/ is TypeDoc's output: it copies the tests the guides link to into docs/api/media/.
          exclude: ['**/node_modules/**', 'docs/api/**'],
          globalSetup: ['test/support/tomcat-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
