// The linter: rules that catch bugs a type-checker lets through (a promise nobody awaits in a
// proxy is a request that fails silently), plus the layering of lib/ written as import rules.
// Formatting is left alone, except a generous line-length ceiling.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** A relative or bare import specifier that reaches into a directory, as a regex source. */
const into = (dir) => `(^|/)${dir}(/|$)`

/** lib/ is the framework-free core: it never imports an adapter or the CLI. */
const libNeverImportsAdaptersOrBin = [
  { regex: `${into('adapters')}|${into('bin')}|^sticky-balancer/(express|koa)$`, message: 'lib/ is the core: it never imports adapters/ or bin/.' },
]

/**
 * Only the transports know AJP: the rest of lib/ goes through the Transport contract. The shape of
 * the `ajp` option (transports/ajp/options.ts) is part of the public options, so its types may be
 * named elsewhere; its code may not.
 */
const ajpOnlyInsideTransports = [
  {
    regex: `${into('transports/ajp')}(?!options(\\.js)?$)`,
    message: 'Only lib/transports/** imports the AJP implementation; elsewhere use the Transport contract (lib/transports/transport.ts).',
  },
  {
    regex: `${into('transports/ajp')}options(\\.js)?$`,
    allowTypeImports: true,
    message: 'Only lib/transports/** resolves AJP options; elsewhere name their types only (import type).',
  },
]

/** Admin talks to the balancer through a narrow interface, never the class file. */
const adminNeverImportsBalancer = {
  regex: '^\\.\\./balancer(\\.js)?$',
  message: 'lib/admin/** talks to the balancer through its admin interface, not lib/balancer.ts.',
}

export default tseslint.config(
  {
    // test/docs/*.d.ts: declarations for the guides' code blocks, read against dist/ by test/docs/code-blocks.test.ts only.
    ignores: ['dist/**', 'docs/api/**', 'node_modules/**', '.run/**', 'coverage/**', 'tomcat-testapp/**', 'test/docs/*.d.ts'],
  },
  {
    files: ['{lib,adapters,bin,examples,test,bench}/**/*.{ts,mjs}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        setImmediate: 'readonly', clearImmediate: 'readonly', queueMicrotask: 'readonly', performance: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
        structuredClone: 'readonly', fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly',
        WebSocket: 'readonly', global: 'readonly', globalThis: 'readonly',
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // A ceiling, not a style: 160 would flag ~35 lines today. Table rows in doc comments are exempt.
      'max-len': ['error', { code: 200, ignorePattern: '^\\s*\\*\\s*\\|', ignoreUrls: true, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // `catch {}` is how this code says "nothing to do": a failed cleanup, a best-effort probe.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Control characters are the subject matter of a protocol parser's patterns.
      'no-control-regex': 'off',
    },
  },
  {
    // Type-aware rules: TypeScript sources only (they are all in tsconfig.json).
    files: ['{lib,adapters,bin,examples,test,bench}/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports', disallowTypeAnnotations: false }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Tests and benchmarks may poke at values with `any` where a fake stands in for a real object.
    files: ['test/**', 'bench/**', '**/*.test.ts', '**/*.suite.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Koa's `app.callback()` returns a promise-returning listener that settles its own errors, and
    // tests hand it to `http.createServer` as Koa documents; elsewhere a promise passed where a
    // void callback is expected is a rejection nobody handles.
    files: ['test/**/*.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }] },
  },
  {
    files: ['lib/**/*.ts'],
    ignores: ['lib/**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...libNeverImportsAdaptersOrBin, ...ajpOnlyInsideTransports] }] },
  },
  {
    files: ['lib/transports/**/*.ts', 'lib/index.ts'],
    ignores: ['lib/**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: libNeverImportsAdaptersOrBin }] },
  },
  {
    // Options are resolved once, in lib/options.ts: it resolves each AJP member's settings too
    // (transports/ajp/options.ts), but imports no other AJP code.
    files: ['lib/options.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...libNeverImportsAdaptersOrBin, ajpOnlyInsideTransports[0]] }] },
  },
  {
    files: ['lib/admin/**/*.ts'],
    ignores: ['lib/**/*.test.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [...libNeverImportsAdaptersOrBin, ...ajpOnlyInsideTransports, adminNeverImportsBalancer] }] },
  },
)
