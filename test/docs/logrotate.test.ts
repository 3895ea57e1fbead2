/**
 * The logrotate configuration users copy (examples/systemd/sticky-balancer.logrotate, shown
 * verbatim by docs/guide/cli.md and operations.md) is one logrotate reads (its directives and
 * shape, test/support/logrotate-config.ts; logrotate itself is not installed to run `logrotate -d`),
 * and it does what the pages say: it rotates the file the unit's `--access-log` names and then
 * sends the service `SIGUSR1`, which reopens the log.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readLogrotateConfig } from '../support/logrotate-config.js'
import { REPO_ROOT } from '../support/tomcat.js'

/** Whether a logrotate pattern (`*` within a path segment) names `file`. */
const names = (pattern: string, file: string): boolean =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`).test(file)
const read = (file: string): string => readFileSync(join(REPO_ROOT, 'examples', 'systemd', file), 'utf8')

describe('the logrotate configuration of the access log', () => {
  it('reads as logrotate reads it, rotates the access log and signals USR1 after the rename', () => {
    const [section, ...others] = readLogrotateConfig(read('sticky-balancer.logrotate'))
    expect(others).toEqual([])
    const accessLog = /--access-log\s+(\S+)/.exec(read('sticky-balancer.service'))?.[1]
    expect(accessLog).toBeDefined()
    expect(section?.patterns.some((pattern) => names(pattern, accessLog!)), `${section?.patterns.join(' ')} vs ${accessLog}`).toBe(true)
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
