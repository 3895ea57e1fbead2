/**
 * The command's access log writer in process (bin/cli/access-log-file.ts): the CLI's own refusals
 * as lines, SIGUSR1's reopen after a rename, a write error warned once; and --version's line.
 */
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { AccessLog } from '../../bin/cli/access-log-file.js'
import { packageJsonOf, versionLine } from '../../bin/cli/version.js'
import { eventually, httpRequest } from '../support/fake-upstream.js'
import { tempFile } from '../support/cli-process.js'
import { REPO_ROOT } from '../support/tomcat.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** A host that refuses every request itself with 404, logged as the command logs its refusals. */
async function refusingHost(log: AccessLog): Promise<string> {
  const server = http.createServer((req, res) => {
    log.refused(req, res, 'LB_ERR_NOT_FOUND')
    res.writeHead(404, { 'content-type': 'text/plain' }).end('404 Not Found\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [])

describe('AccessLog', () => {
  it('creates the file 0640 (less the umask), appends one line per refusal, and reopens it by name', async () => {
    const file = join(tempFile('placeholder', ''), '..', 'access.log')
    const log = AccessLog.open(file, 'combined')
    onTestFinished(() => log.close())
    expect(statSync(file).mode & 0o777).toBe(0o640 & ~process.umask())
    const url = await refusingHost(log)
    await httpRequest(`${url}/first`)
    expect(await eventually(() => lines(file).length === 1, 5_000)).toBe(true)
    expect(lines(file)[0]).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/first HTTP\/1\.1" 404 14 "-" "-" \d+\.\d{3} - - - - - LB_ERR_NOT_FOUND$/)

    renameSync(file, `${file}.1`)
    log.reopen()
    expect(existsSync(file)).toBe(true)
    await httpRequest(`${url}/second`)
    expect(await eventually(() => lines(file).length === 1, 5_000)).toBe(true)
    expect(lines(file)[0]).toContain('"GET /second HTTP/1.1" 404')
    expect(lines(`${file}.1`)).toHaveLength(1)
  })

  it('keeps the open file when reopening fails, and says so', async () => {
    const dir = join(tempFile('placeholder', ''), '..')
    const file = join(dir, 'access.log')
    const log = AccessLog.open(file, 'json')
    onTestFinished(() => log.close())
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    renameSync(dir, `${dir}.moved`)
    log.reopen()
    renameSync(`${dir}.moved`, dir)
    expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toContain(`SIGUSR1: cannot reopen the access log ${file}`)
    stderr.mockRestore()
    const url = await refusingHost(log)
    await httpRequest(`${url}/still`)
    expect(await eventually(() => lines(file).length === 1, 5_000)).toBe(true)
    expect(JSON.parse(lines(file)[0]!)).toMatchObject({ type: 'access', url: '/still', status: 404, error: 'LB_ERR_NOT_FOUND' })
  })

  it('warns once when writes fail, and goes on answering', async () => {
    const log = AccessLog.open('/dev/full', 'common')
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    const url = await refusingHost(log)
    for (let i = 0; i < 5; i++) expect((await httpRequest(`${url}/x${i}`)).status).toBe(404)
    const warnings = (): string[] => stderr.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('cannot write the access log /dev/full'))
    expect(await eventually(() => warnings().length > 0, 5_000)).toBe(true)
    for (let i = 0; i < 3; i++) expect((await httpRequest(`${url}/y${i}`)).status).toBe(404)
    await new Promise((r) => setTimeout(r, 100))
    expect(warnings()).toHaveLength(1)
  })

})

describe('--version', () => {
  it.each([
    ['{"name":"sticky-balancer","version":"0.1.0"}', 'sticky-balancer 0.1.0'],
    ['{"name":"sticky-balancer","version":"1.2.3-rc.1"}', 'sticky-balancer 1.2.3-rc.1'],
    ['{"name":"sticky-balancer"}', 'sticky-balancer unknown'],
  ])('versionLine(%s) is %j', (text, expected) => {
    expect(versionLine(text)).toBe(expected)
  })

  it('reads the package.json one directory above the entry (bin/cli.ts here; dist/cli.js in test/cli/access-log.tomcat.test.ts)', () => {
    expect(packageJsonOf(join(REPO_ROOT, 'bin', 'cli.ts'))).toBe(join(REPO_ROOT, 'package.json'))
  })
})
