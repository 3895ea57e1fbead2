/**
 * The logger option with pino, winston and console (issue: a winston logger dropped the
 * message): a member failure and a failed hook, logged through each, keep both the message and
 * the context.
 */
import { Console } from 'node:console'
import { Writable } from 'node:stream'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBalancer } from '../../lib/balancer.js'
import { toLogger } from '../../lib/logger.js'
import { deadUrl, httpRequest, startBalancer, startUpstream } from '../support/fake-upstream.js'
import { fakePino, fakeWinston } from '../support/fake-loggers.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a winston logger', () => {
  it('keeps the message and the context of a member failure', async () => {
    const winston = fakeWinston()
    const up = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: await deadUrl(), route: 'A' }, { url: up.url, route: 'B' }], scheduler: { name: 'first', pick: (c) => c[0] }, logger: winston })
    expect((await httpRequest(`${url}/x`)).status).toBe(200)
    const line = winston.written.find((i) => i.message === 'member exchange failed')
    expect(line, JSON.stringify(winston.written)).toMatchObject({ level: 'warn', message: 'member exchange failed', member: 'A', code: 'LB_ERR_UPSTREAM_CONNECT', willRetry: true })
  })

  it('keeps the message of a failed hook', async () => {
    const winston = fakeWinston()
    const up = await startUpstream('A')
    const { url } = await startBalancer({ members: [{ url: up.url, route: 'A' }], logger: winston, onRequest: () => { throw new Error('boom') } })
    expect((await httpRequest(`${url}/x`)).status).toBe(502)
    expect(winston.written.find((i) => i.message === 'hook failed')).toMatchObject({ level: 'warn', hook: 'onRequest', member: 'A', code: 'LB_ERR_HOOK' })
  })

  it('is what toLogger recognises (a log method and transports), children included', () => {
    const winston = fakeWinston()
    toLogger(winston).info({ member: 'A' }, 'member added')
    toLogger(Object.create(winston)).warn({ member: 'B' }, 'member exchange failed')
    expect(winston.written).toEqual([
      { level: 'info', message: 'member added', member: 'A' },
      { level: 'warn', message: 'member exchange failed', member: 'B' },
    ])
  })

  it('without the adapter, pino-style calls would lose the message (what this fixes)', () => {
    const winston = fakeWinston()
    winston.warn({ member: 'A' }, 'member exchange failed')
    expect(winston.written[0]?.message).toEqual({ member: 'A' })
    expect(JSON.stringify(winston.written[0])).not.toContain('member exchange failed')
  })
})

describe('console', () => {
  it('the global console gets the message first, then the context', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const up = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: await deadUrl(), route: 'A' }, { url: up.url, route: 'B' }], scheduler: { name: 'first', pick: (c) => c[0] }, logger: console })
    expect((await httpRequest(`${url}/x`)).status).toBe(200)
    const call = warn.mock.calls.find((c) => c[0] === 'sticky-balancer: member exchange failed')
    expect(call?.[1]).toMatchObject({ member: 'A', code: 'LB_ERR_UPSTREAM_CONNECT' })
  })

  it('a console.Console writing to a stream prints message and context on one line', () => {
    let out = ''
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done() } })
    const logger = new Console({ stdout: sink, stderr: sink })
    toLogger(logger).error({ member: 'A', code: 'LB_ERR_HOOK' }, 'hook failed')
    expect(out).toBe("sticky-balancer: hook failed { member: 'A', code: 'LB_ERR_HOOK' }\n")
  })

  it('all four levels go to the console method of that name', () => {
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) => vi.spyOn(console, level).mockImplementation(() => {}))
    const logger = toLogger(console)
    logger.debug({ a: 1 }, 'd')
    logger.info({ a: 2 }, 'i')
    logger.warn({ a: 3 }, 'w')
    logger.error({ a: 4 }, 'e')
    expect(spies.map((s) => s.mock.calls)).toEqual([[['sticky-balancer: d', { a: 1 }]], [['sticky-balancer: i', { a: 2 }]], [['sticky-balancer: w', { a: 3 }]], [['sticky-balancer: e', { a: 4 }]]])
  })
})

describe('a pino logger', () => {
  it('is called (obj, msg), as it is', async () => {
    const pino = fakePino()
    expect(toLogger(pino)).toBe(pino)
    const up = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: await deadUrl(), route: 'A' }, { url: up.url, route: 'B' }], scheduler: { name: 'first', pick: (c) => c[0] }, logger: pino })
    expect((await httpRequest(`${url}/x`)).status).toBe(200)
    expect(pino.lines.find((l) => l.msg === 'member exchange failed')).toMatchObject({ level: 40, member: 'A', code: 'LB_ERR_UPSTREAM_CONNECT' })
  })
})

describe('no logger', () => {
  it('warnings go to stderr (console.warn), one line with the message and the context', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const up = await startUpstream('B')
    // startBalancer turns logging off unless told: undefined is the default logger.
    const { url } = await startBalancer({ members: [{ url: await deadUrl(), route: 'A' }, { url: up.url, route: 'B' }], scheduler: { name: 'first', pick: (c) => c[0] }, logger: undefined })
    expect((await httpRequest(`${url}/x`)).status).toBe(200)
    const line = warn.mock.calls.map((c) => String(c[0])).find((l) => l.includes('member exchange failed'))
    expect(line).toMatch(/^sticky-balancer: member exchange failed \{"member":"A","code":"LB_ERR_UPSTREAM_CONNECT"/)
  })

  it('false is silent', async () => {
    const spies = (['debug', 'info', 'warn', 'error', 'log'] as const).map((level) => vi.spyOn(console, level).mockImplementation(() => {}))
    const up = await startUpstream('B')
    const { url } = await startBalancer({ members: [{ url: await deadUrl(), route: 'A' }, { url: up.url, route: 'B' }], scheduler: { name: 'first', pick: (c) => c[0] }, logger: false })
    expect((await httpRequest(`${url}/x`)).status).toBe(200)
    expect(spies.every((s) => s.mock.calls.length === 0)).toBe(true)
  })
})

describe('validation', () => {
  it.each<[string, unknown]>([['true', true], ['a string', 'pino'], ['an object without methods', {}], ['warn missing', { debug() {}, info() {}, error() {} }]])('refuses %s', (_what, logger) => {
    expect(() => createBalancer({ members: [{ url: 'http://127.0.0.1:1' }], logger: logger as never, health: false })).toThrow(/logger must have a (debug|warn)\(\) method, or be false/)
  })
})
