/**
 * The logrotate configuration of docs/guide/cli.md is one logrotate reads (its directives and
 * shape, test/support/logrotate-config.ts; logrotate itself is not installed to run `logrotate -d`),
 * and it does what the page says: it rotates the file `--access-log` names and then sends the
 * service `SIGUSR1`, which reopens the log.
 */
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { docBlock } from '../support/doc-blocks.js'
import { readLogrotateConfig } from '../support/logrotate-config.js'

const GUIDE = 'docs/guide/cli.md'

describe('cli.md: the logrotate configuration of the access log', () => {
  it('reads as logrotate reads it, rotates the access log and signals USR1 after the rename', () => {
    const [section, ...others] = readLogrotateConfig(docBlock(GUIDE, 'logrotate-access-log'))
    expect(others).toEqual([])
    expect(section?.patterns).toEqual(['/var/log/sticky-balancer/access.log'])
    const script = section?.scripts.get('postrotate') ?? ''
    expect(spawnSync('bash', ['-n'], { input: script }).status, script).toBe(0)
    expect(script).toMatch(/^systemctl kill (?:\S+ )*(?:-s |--signal=)(?:SIG)?USR1 (?:\S+ )*sticky-balancer\.service\b/m)
  })

  it.each([
    ['an unknown directive', '/var/log/a.log {\n    dayly\n}\n', /unknown directive dayly/],
    ['rotate without a number', '/var/log/a.log {\n    rotate two\n}\n', /rotate takes a number/],
    ['a script not ended', '/var/log/a.log {\n    postrotate\n        true\n}\n', /without endscript/],
    ['a section not closed', '/var/log/a.log {\n    daily\n', /not closed/],
    ['a relative path', 'access.log {\n    daily\n}\n', /not an absolute path/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => readLogrotateConfig(text)).toThrow(message)
  })
})
