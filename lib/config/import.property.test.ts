/**
 * Property tests of the three importers (fast-check): docs/guide/migration.md promises that they
 * "never throw on odd input": whatever the text, they return balancers and warnings. The inputs
 * are the fixtures' real configurations with lines dropped, duplicated, cut short or spliced with
 * odd characters, and text made of the tokens the parsers care about. In the suite they run a
 * moderate, seeded number of cases; `npm run fuzz` runs them long.
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromHttpdConfig } from './httpd.js'
import { fromNginxConfig } from './nginx.js'
import { fromWorkersProperties } from './workers-properties.js'

const LONG_RUNS = Number(process.env.FUZZ_RUNS ?? 0)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG_RUNS > 0 ? undefined : 4_242_424
const params = (ciRuns: number): fc.Parameters<unknown> => ({ numRuns: LONG_RUNS > 0 ? LONG_RUNS : ciRuns, ...(SEED !== undefined ? { seed: SEED } : {}) })
const TIMEOUT = Math.max(20_000, LONG_RUNS * 5)

const fixture = (name: string): string => readFileSync(new URL(`../../test/config/fixtures/${name}`, import.meta.url), 'utf8')

/** The importers, each with fixtures of its format. */
const IMPORTERS: [string, (text: string, extra: string) => unknown, string[]][] = [
  ['fromWorkersProperties', (text, extra) => fromWorkersProperties(text, { jkMounts: extra }), ['tutorial-workers.properties', 'debian-workers.properties', 'peers-workers.properties']],
  ['fromHttpdConfig', (text) => fromHttpdConfig(text), ['tutorial-mod_proxy_http.conf', 'tutorial-mod_proxy_ajp.conf', 'debian-proxy_balancer.conf', 'peers-httpd.conf']],
  ['fromNginxConfig', (text) => fromNginxConfig(text), ['tutorial-nginx.conf', 'tutorial-nginx-ip-hash.conf', 'debian-nginx.conf', 'peers-nginx.conf']],
]

const TOKENS = ['{', '}', ';', '=', '"', "'", '\\', '#', '\n', ' ', '\t', '\r', '<', '>', '/', ':', '$', '%', '\0', '\u00e9', '\ud800', 'worker.', '.type=lb', '.balance_workers=', 'JkMount', '<Proxy balancer://', '</Proxy>', 'BalancerMember', 'ProxyPass', 'upstream', 'server', 'location', 'proxy_pass', 'http://', 'ajp://', 'lbfactor=', 'route=', 'weight=', '999999999999999999999', '-1', 'NaN']
const oddText = fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TOKENS) }, { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: 'binary' }) }), { maxLength: 80 }).map((parts) => parts.join(''))

/** A real configuration, mangled line by line. */
function mangled(text: string): fc.Arbitrary<string> {
  const lines = text.split('\n')
  const edit = fc.record({ at: fc.nat(Math.max(0, lines.length - 1)), how: fc.constantFrom('drop', 'dup', 'cut', 'splice'), cut: fc.nat(200), odd: oddText })
  return fc.array(edit, { minLength: 1, maxLength: 12 }).map((edits) => {
    const out = [...lines]
    for (const { at, how, cut, odd } of edits) {
      const i = at % Math.max(1, out.length)
      const line = out[i] ?? ''
      if (how === 'drop') out.splice(i, 1)
      else if (how === 'dup') out.splice(i, 0, line)
      else if (how === 'cut') out[i] = line.slice(0, cut % (line.length + 1))
      else out[i] = line.slice(0, cut % (line.length + 1)) + odd + line.slice(cut % (line.length + 1))
    }
    return out.join('\n')
  })
}

describe('the importers never throw on odd input (docs/guide/migration.md)', () => {
  for (const [name, load, fixtures] of IMPORTERS) {
    const texts = fixtures.map(fixture)
    const jkMounts = fixture('tutorial-mod_jk.conf')
    it(`${name} returns balancers and warnings for mangled real configurations and for odd text`, () => {
      const input = fc.oneof(fc.constantFrom(...texts).chain(mangled), oddText)
      fc.assert(fc.property(input, oddText, (text, extra) => {
        const result = load(text, extra.length % 2 === 0 ? jkMounts : extra) as { balancers: unknown[]; warnings: unknown[] }
        expect(Array.isArray(result.balancers) && Array.isArray(result.warnings)).toBe(true)
      }), params(300))
    }, TIMEOUT)
  }
})
