/**
 * SIGHUP cases of the `sticky-balancer` command that need no Tomcat (fake upstreams on port 0):
 * the only member moving to another URL (a new balancer, since the last member cannot be
 * removed in place), and mounts added and removed by the file.
 */
import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cli, listening, outputMatches, tempFile } from '../support/cli-process.js'
import { startUpstream } from '../support/fake-upstream.js'

async function reload(run: ReturnType<typeof cli>): Promise<void> {
  const before = (run.err().match(/SIGHUP: reloaded/g) ?? []).length
  run.child.kill('SIGHUP')
  await outputMatches(run, (_, err) => (err.match(/SIGHUP: reloaded/g) ?? []).length > before, 10_000)
}

const nodeAt = async (url: string): Promise<string> => ((await (await fetch(url)).json()) as { node: string }).node

describe('SIGHUP without Tomcat', () => {
  it('the only member at a new URL: a new balancer takes the requests, and the report says why', async () => {
    const [a, a2] = await Promise.all([startUpstream('A'), startUpstream('A2')])
    const file = tempFile('balancer.json', JSON.stringify({ members: [{ url: a.url, route: 'A' }] }))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const base = await listening(run)
    expect(await nodeAt(`${base}/x`)).toBe('A')
    writeFileSync(file, JSON.stringify({ members: [{ url: a2.url, route: 'A' }] }))
    await reload(run)
    expect(run.err()).toContain(`member A: replaced by a new member (url ${a.url} → ${a2.url})`)
    expect(run.err()).toContain('the only member\'s url or options changed: a new balancer takes the requests')
    expect(await nodeAt(`${base}/x`)).toBe('A2')
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })

  it('a mount added and a mount removed by the file', async () => {
    const [a, b] = await Promise.all([startUpstream('A'), startUpstream('B')])
    const balancers = (mounts: [string, string][]): string => JSON.stringify({ balancers: mounts.map(([mount, url]) => ({ name: mount.slice(1) || 'root', mount, options: { members: [{ url }] } })) })
    const file = tempFile('balancer.json', balancers([['/one', a.url]]))
    const run = cli(['--config', file, '--listen', '127.0.0.1:0'])
    const base = await listening(run)
    expect(await nodeAt(`${base}/one/x`)).toBe('A')
    writeFileSync(file, balancers([['/two', b.url]]))
    await reload(run)
    expect(run.err()).toContain('balancer two (/two): added')
    expect(run.err()).toContain('balancer one (/one): removed; it finishes its requests')
    expect(await nodeAt(`${base}/two/x`)).toBe('B')
    expect((await fetch(`${base}/one/x`)).status).toBe(404)
    run.child.kill('SIGTERM')
    expect(await run.exit).toBe(0)
  })
})
