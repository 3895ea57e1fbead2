import { describe, expect, it } from 'vitest'
import { createBalancer } from './balancer.js'
import { InvalidOptionError, LbError } from './errors.js'
import { DEFAULTS, resolveBalancerOptions, resolveMemberOptions } from './options.js'
import { resolveAdminOptions } from './admin/options.js'
import { AJP_DEFAULTS } from './transports/ajp/options.js'
import type { BalancerOptions } from './options.js'

const A = 'http://127.0.0.1:8081'
const B = 'http://127.0.0.1:8082'
const TWO = [{ url: A, route: 'A' }, { url: B, route: 'B' }]

/** Options as a user might write them in plain JavaScript, types notwithstanding. */
const loose = (options: Record<string, unknown>): BalancerOptions => options as unknown as BalancerOptions

function invalid(options: BalancerOptions): InvalidOptionError {
  try {
    resolveBalancerOptions(options)
  } catch (err) {
    return err as InvalidOptionError
  }
  throw new Error('expected resolveBalancerOptions to throw')
}

type Case = [what: string, options: Record<string, unknown>, message: string | RegExp]

const INVALID: Case[] = [
  // the options object and its keys
  ['options not an object', null as unknown as Record<string, unknown>, 'options must be an object'],
  ['options an array', [] as unknown as Record<string, unknown>, 'options must be an object'],
  ['unknown top-level key', { members: TWO, retires: 3 }, 'retires is not a known option'],
  ['renamed key (mod_proxy spelling)', { members: TWO, maxattempts: 1 }, 'maxattempts is not a known option'],
  // members
  ['members missing', {}, 'members must be a non-empty array'],
  ['members empty', { members: [] }, 'members must be a non-empty array'],
  ['members not an array', { members: { url: A } }, 'members must be a non-empty array'],
  ['member not an object', { members: [42] }, 'members[0] must be an object'],
  ['member null', { members: [{ url: A }, null] }, 'members[1] must be an object'],
  ['unknown member key', { members: [{ url: A, lbfactor: 2 }] }, 'members[0].lbfactor is not a known option (known: url, route, weight'],
  ['member url missing', { members: [{ route: 'A' }] }, 'members[0].url must be a string'],
  ['member url not a string', { members: [{ url: new URL(A) }] }, 'members[0].url must be a string'],
  ['member url unparsable', { members: [{ url: A }, { url: 'not a url' }] }, 'members[1].url is not a valid URL'],
  ['member url without scheme', { members: [{ url: A }, { url: '127.0.0.1:8082' }] }, 'members[1].url is not a valid URL'],
  ['member url ftp', { members: [{ url: A }, { url: 'ftp://127.0.0.1:21' }] }, 'members[1].url must be http://, https:// or ajp://'],
  ['member url host:port parsed as a scheme', { members: [{ url: A }, { url: 'localhost:8082' }] }, 'members[1].url must be http://, https:// or ajp://'],
  ['member url ws', { members: [{ url: 'ws://127.0.0.1:8081' }] }, 'members[0].url must be http://, https:// or ajp://'],
  ['member url with a path', { members: [{ url: `${A}/testapp` }] }, 'members[0].url must not have a path'],
  ['member url with a trailing path slash', { members: [{ url: `${A}/testapp/` }] }, 'members[0].url must not have a path'],
  ['member url with a query', { members: [{ url: `${A}/?x=1` }] }, /members\[0\]\.url must not have a path, query or fragment/],
  ['member url with a fragment', { members: [{ url: `${A}#top` }] }, /members\[0\]\.url must not have a path, query or fragment/],
  ['member url with credentials', { members: [{ url: 'http://user:pw@127.0.0.1:8081' }] }, 'members[0].url must not carry credentials'],
  // routes
  ['route empty', { members: [{ url: A, route: '' }] }, 'members[0].route must be a non-empty jvmRoute'],
  ['route with a space', { members: [{ url: A, route: 'Tomcat A' }] }, 'members[0].route must be a non-empty jvmRoute'],
  ['route with a semicolon', { members: [{ url: A, route: 'A;B' }] }, 'members[0].route must be a non-empty jvmRoute'],
  ['route not a string', { members: [{ url: A, route: 1 }] }, 'members[0].route must be a non-empty jvmRoute'],
  ['duplicate routes', { members: [{ url: A, route: 'A' }, { url: B, route: 'A' }] }, 'members[1].route "A" is already used by members[0]'],
  ['duplicate routes, third member', { members: [{ url: A, route: 'A' }, { url: B, route: 'B' }, { url: 'http://127.0.0.1:8083', route: 'B' }] }, 'members[2].route "B" is already used by members[1]'],
  ['duplicate urls without routes', { members: [{ url: A }, { url: `${A}/` }] }, 'members[1].url http://127.0.0.1:8081 duplicates members[0]'],
  // weights
  ['weight 0', { members: [{ url: A, weight: 0 }] }, 'members[0].weight must be an integer from 1 to 100, got 0'],
  ['weight 101', { members: [{ url: A }, { url: B, weight: 101 }] }, 'members[1].weight must be an integer from 1 to 100, got 101'],
  ['weight 1.5', { members: [{ url: A, weight: 1.5 }] }, 'members[0].weight must be an integer from 1 to 100, got 1.5'],
  ['weight negative', { members: [{ url: A, weight: -1 }] }, 'members[0].weight must be an integer from 1 to 100'],
  ['weight as a string', { members: [{ url: A, weight: '2' }] }, 'members[0].weight must be an integer from 1 to 100, got "2"'],
  ['weight NaN', { members: [{ url: A, weight: Number.NaN }] }, 'members[0].weight must be an integer'],
  ['weight Infinity', { members: [{ url: A, weight: Infinity }] }, 'members[0].weight must be an integer'],
  // member state
  ['unknown member state', { members: [{ url: A, state: 'disabled' }] }, `members[0].state must be 'active', 'draining', 'stopped' or 'standby', got "disabled"`],
  // scheduler
  ['unknown scheduler name', { members: TWO, scheduler: 'roundrobin' }, /scheduler must be one of byrequests\b.* or a scheduler object, got "roundrobin"/],
  ['scheduler name in the wrong case', { members: TWO, scheduler: 'ByRequests' }, 'scheduler must be one of byrequests'],
  ['scheduler object without pick', { members: TWO, scheduler: { name: 'mine' } }, 'scheduler must be a name or an object with a name and a pick'],
  ['scheduler object without name', { members: TWO, scheduler: { pick: () => undefined } }, 'scheduler must be a name or an object with a name and a pick'],
  ['scheduler a function', { members: TWO, scheduler: () => undefined }, 'scheduler must be a name or an object'],
  // upstreamPath
  ['upstreamPath without leading slash', { members: TWO, upstreamPath: 'testapp' }, 'upstreamPath must be a path starting with "/"'],
  ['upstreamPath with a query', { members: TWO, upstreamPath: '/testapp?x=1' }, 'upstreamPath must be a path starting with "/"'],
  ['upstreamPath with a space', { members: TWO, upstreamPath: '/test app' }, 'upstreamPath must be a path starting with "/"'],
  ['upstreamPath a number', { members: TWO, upstreamPath: 1 }, 'upstreamPath must be a path starting with "/"'],
  ['upstreamPath with ..', { members: TWO, upstreamPath: '/a/../testapp' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with %2e%2e', { members: TWO, upstreamPath: '/a/%2e%2e/testapp' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with .', { members: TWO, upstreamPath: '/./testapp' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with //', { members: TWO, upstreamPath: '//testapp' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with ;', { members: TWO, upstreamPath: '/testapp;x' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with %2f', { members: TWO, upstreamPath: '/a%2fb' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with a backslash', { members: TWO, upstreamPath: '/a\\b' }, 'upstreamPath must be a normalised path'],
  ['upstreamPath with a bad escape', { members: TWO, upstreamPath: '/a%zz' }, 'upstreamPath must be a normalised path'],
  // exclude
  ['exclude a string', { members: TWO, exclude: '/skip' }, 'exclude must be an array'],
  ['exclude entry without slash', { members: TWO, exclude: ['/ok', 'skip'] }, 'exclude[1] must be a path starting with "/" or a RegExp, got "skip"'],
  ['exclude entry a number', { members: TWO, exclude: [5] }, 'exclude[0] must be a path starting with "/" or a RegExp, got 5'],
  ['exclude entry null', { members: TWO, exclude: [null] }, 'exclude[0] must be a path starting with "/" or a RegExp'],
  // via
  ['via an empty string', { members: TWO, via: '' }, 'via must be true, false or a pseudonym token, got ""'],
  ['via with a space', { members: TWO, via: 'my proxy' }, 'via must be true, false or a pseudonym token, got "my proxy"'],
  ['via with CRLF', { members: TWO, via: 'p\r\nX-Evil: 1' }, 'via must be true, false or a pseudonym token'],
  ['via a number', { members: TWO, via: 1 }, 'via must be true, false or a pseudonym token, got 1'],
  // retryMs
  ['retryMs negative', { members: TWO, retryMs: -1 }, 'retryMs must be an integer number of milliseconds from 0 to 86400000, got -1'],
  ['retryMs too large', { members: TWO, retryMs: 86_400_001 }, 'retryMs must be an integer number of milliseconds from 0 to 86400000, got 86400001'],
  ['retryMs NaN', { members: TWO, retryMs: Number.NaN }, 'retryMs must be an integer number of milliseconds from 0 to 86400000, got NaN'],
  ['retryMs a string', { members: TWO, retryMs: '60000' }, 'retryMs must be an integer number of milliseconds from 0 to 86400000, got "60000"'],
  ['retryMs fractional', { members: TWO, retryMs: 0.5 }, 'retryMs must be an integer number of milliseconds'],
  ['slowStartMs beyond an hour', { members: TWO, slowStartMs: 3_600_001 }, 'slowStartMs must be an integer number of milliseconds from 0 to 3600000, got 3600001'],
  // options renamed when durations became milliseconds
  ['retry (seconds) renamed', { members: TWO, retry: 30 }, 'retry was renamed retryMs (milliseconds): use retryMs: 30000'],
  ['retry 0.2 renamed', { members: TWO, retry: 0.2 }, 'retry was renamed retryMs (milliseconds): use retryMs: 200'],
  ['retry not a number renamed', { members: TWO, retry: '60' }, /^retry was renamed retryMs \(milliseconds\)$/],
  ['slowStart (seconds) renamed', { members: TWO, slowStart: 60 }, 'slowStart was renamed slowStartMs (milliseconds): use slowStartMs: 60000'],
  ['retry on a member (mod_proxy writes it there)', { members: [{ url: A, retry: 60 }] }, 'members[0].retry was renamed retryMs (milliseconds), an option of the balancer, not of each member: use retryMs: 60000'],
  ['admin.refreshSeconds renamed', { members: TWO, admin: { refreshSeconds: 10 } }, 'admin.refreshSeconds was renamed refreshMs (milliseconds): use refreshMs: 10000'],
  ['admin.nonceSeconds renamed', { members: TWO, admin: { nonceSeconds: 600 } }, 'admin.nonceSeconds was renamed nonceMs (milliseconds): use nonceMs: 600000'],
  ['admin.sampleSeconds renamed', { members: TWO, admin: { sampleSeconds: 1 } }, 'admin.sampleSeconds was renamed sampleMs (milliseconds): use sampleMs: 1000'],
  ['admin.historySeconds renamed', { members: TWO, admin: { historySeconds: 600 } }, 'admin.historySeconds was renamed historyMs (milliseconds): use historyMs: 600000'],
  // integers
  ['maxAttempts negative', { members: TWO, maxAttempts: -1 }, 'maxAttempts must be an integer from 0 to 100, got -1'],
  ['maxAttempts fractional', { members: TWO, maxAttempts: 0.5 }, 'maxAttempts must be an integer from 0 to 100, got 0.5'],
  ['connectTimeout 0', { members: TWO, connectTimeout: 0 }, 'connectTimeout must be an integer number of milliseconds from 1 to 600000, got 0'],
  ['timeout 0', { members: TWO, timeout: 0 }, 'timeout must be an integer number of milliseconds from 1 to 86400000, got 0'],
  ['timeout a string', { members: TWO, timeout: '300' }, 'timeout must be an integer number of milliseconds from 1 to 86400000, got "300"'],
  ['closeTimeout negative', { members: TWO, closeTimeout: -5 }, 'closeTimeout must be an integer number of milliseconds from 0 to 600000, got -5'],
  ['clientBodyTimeout zero', { members: TWO, clientBodyTimeout: 0 }, 'clientBodyTimeout must be an integer number of milliseconds from 1 to 86400000, got 0'],
  ['clientBodyTimeout in seconds as a string', { members: TWO, clientBodyTimeout: '60s' }, 'clientBodyTimeout must be an integer number of milliseconds from 1 to 86400000, got "60s"'],
  ['clientBodyTimeout fractional', { members: TWO, clientBodyTimeout: 1.5 }, 'clientBodyTimeout must be an integer number of milliseconds from 1 to 86400000, got 1.5'],
  ['clientSendTimeout negative', { members: TWO, clientSendTimeout: -1 }, 'clientSendTimeout must be an integer number of milliseconds from 1 to 86400000, got -1'],
  ['clientSendTimeout beyond a day', { members: TWO, clientSendTimeout: 86_400_001 }, 'clientSendTimeout must be an integer number of milliseconds from 1 to 86400000, got 86400001'],
  ['nginx spelling', { members: TWO, sendTimeout: 1000 }, 'sendTimeout is not a known option'],
  // booleans
  ['preserveHost a string', { members: TWO, preserveHost: 'yes' }, 'preserveHost must be true or false, got "yes"'],
  ['xForwarded a number', { members: TWO, xForwarded: 1 }, 'xForwarded must be true or false, got 1'],
  // http agent
  ['http not an object', { members: TWO, http: true }, 'http must be an object'],
  ['http unknown key', { members: TWO, http: { keepAlive: true } }, 'http.keepAlive is not a known option (known: maxSockets, maxQueue, maxFreeSockets, idleTimeout, transport)'],
  ['http.transport unknown', { members: TWO, http: { transport: 'fetch' } }, `http.transport must be 'http-proxy-3', 'node' or 'undici', got "fetch"`],
  ['http.maxSockets 0', { members: TWO, http: { maxSockets: 0 } }, 'http.maxSockets must be an integer from 1 to 65536, got 0'],
  ['http.maxQueue negative', { members: TWO, http: { maxQueue: -1 } }, 'http.maxQueue must be an integer from 0 to 1000000, got -1'],
  ['retryBodyTotal fractional', { members: TWO, retryBodyTotal: 1.5 }, 'retryBodyTotal must be an integer from 0 to 17179869184, got 1.5'],
  ['forceRecovery not a boolean', { members: TWO, forceRecovery: 'yes' }, 'forceRecovery must be'],
  ['http.maxFreeSockets negative', { members: TWO, http: { maxFreeSockets: -1 } }, 'http.maxFreeSockets must be an integer from 0 to 65536, got -1'],
  ['http.idleTimeout fractional', { members: TWO, http: { idleTimeout: 1.5 } }, 'http.idleTimeout must be an integer number of milliseconds from 1 to 3600000, got 1.5'],
  // logger
  ['logger without methods', { members: TWO, logger: {} }, 'logger must have a debug() method, or be false'],
  ['logger without error()', { members: TWO, logger: { debug() {}, info() {}, warn() {} } }, 'logger must have a error() method, or be false'],
  ['logger true', { members: TWO, logger: true }, 'logger must have a debug() method, or be false'],
  // hooks
  ['onRequest not a function', { members: TWO, onRequest: { setHeader: 'x' } }, 'onRequest must be a function (ctx) => void'],
  ['onResponse a string', { members: TWO, onResponse: 'remove server' }, 'onResponse must be a function (ctx) => void'],
  ['pathRewrite a string', { members: TWO, pathRewrite: '/new' }, 'pathRewrite must be an object of'],
  ['pathRewrite an array', { members: TWO, pathRewrite: [['^/a', '/b']] }, 'pathRewrite must be an object of'],
  ['pathRewrite an invalid expression', { members: TWO, pathRewrite: { '(': '/' } }, 'pathRewrite key "(" is not a valid regular expression'],
  ['pathRewrite a replacement not a string', { members: TWO, pathRewrite: { '^/a': 1 } }, 'pathRewrite["^/a"] must be a string'],
]

describe('resolveBalancerOptions: invalid options', () => {
  it.each(INVALID)('%s', (_what, options, message) => {
    const err = invalid(loose(options))
    expect(err).toBeInstanceOf(InvalidOptionError)
    expect(err).toBeInstanceOf(LbError)
    expect(err.code).toBe('LB_ERR_INVALID_OPTION')
    expect(err.name).toBe('InvalidOptionError')
    if (typeof message === 'string') expect(err.message).toContain(message)
    else expect(err.message).toMatch(message)
  })

  it.each(INVALID.filter(([, options]) => options !== null && !Array.isArray(options)))('createBalancer throws at construction: %s', (_what, options, message) => {
    expect(() => createBalancer(loose(options))).toThrow(expect.objectContaining({ code: 'LB_ERR_INVALID_OPTION', message: expect.stringContaining(typeof message === 'string' ? message : '') }))
  })

  it('names the exact option in the documented form', () => {
    expect(() => resolveBalancerOptions(loose({ members: [{ url: A }, { url: 'gopher://x:70' }] }))).toThrow(
      'members[1].url must be http://, https:// or ajp://, got "gopher://x:70"',
    )
  })

  // Regression: `key in DEFAULTS.http` also sees Object.prototype, so inherited names pass as
  // "known".
  it.each(['constructor', 'toString', 'hasOwnProperty'])('http.%s is rejected as an unknown option (inherited names are not options)', (key) => {
    const err = invalid(loose({ members: TWO, http: { [key]: 1 } }))
    expect(err.message).toContain(`http.${key} is not a known option`)
  })
})

describe('resolveBalancerOptions: defaults', () => {
  it('fills every default', () => {
    const r = resolveBalancerOptions({ members: TWO })
    expect(r.scheduler).toBe('byrequests')
    expect(r.upstreamPath).toBeUndefined()
    expect(r.exclude).toEqual([])
    expect(r.preserveHost).toBe(false)
    expect(r.xForwarded).toBe(true)
    expect(r.via).toBeUndefined()
    expect(r.retryMs).toBe(60_000)
    expect(r.maxAttempts).toBe(1)
    expect(r.connectTimeout).toBe(5_000)
    expect(r.timeout).toBe(60_000)
    expect(r.closeTimeout).toBe(10_000)
    expect(r.forceRecovery).toBe(true)
    expect(r.retryBodyTotal).toBe(64 * 1024 * 1024)
    expect(r.clientBodyTimeout).toBe(60_000) // nginx client_body_timeout
    expect(r.clientSendTimeout).toBe(60_000) // nginx send_timeout
    expect(r.http).toEqual({ maxSockets: 256, maxQueue: 1024, maxFreeSockets: 64, idleTimeout: 15_000, transport: 'undici' })
    expect(r.logger).toBeUndefined()
    expect(r.members.map((m) => [m.url.href, m.route, m.weight, m.state])).toEqual([
      ['http://127.0.0.1:8081/', 'A', 1, 'active'],
      ['http://127.0.0.1:8082/', 'B', 1, 'active'],
    ])
  })

  it('matches the exported DEFAULTS', () => {
    const r = resolveBalancerOptions({ members: TWO })
    expect(r.retryMs).toBe(DEFAULTS.retryMs)
    expect(r.preserveHost).toBe(DEFAULTS.preserveHost)
    expect(r.timeout).toBe(DEFAULTS.timeout)
    expect(Object.isFrozen(DEFAULTS)).toBe(true)
    expect(Object.isFrozen(DEFAULTS.http)).toBe(true)
  })

  it.each([
    [1, 0],
    [2, 1],
    [3, 2],
    [5, 4],
  ])('maxAttempts defaults to members - 1 (%i members → %i)', (count, expected) => {
    const members = Array.from({ length: count }, (_, i) => ({ url: `http://127.0.0.1:${9000 + i}` }))
    expect(resolveBalancerOptions({ members }).maxAttempts).toBe(expected)
  })

  it('returns frozen results', () => {
    const r = resolveBalancerOptions({ members: TWO, exclude: ['/x'] })
    expect(Object.isFrozen(r)).toBe(true)
    expect(Object.isFrozen(r.members)).toBe(true)
    expect(Object.isFrozen(r.exclude)).toBe(true)
    expect(Object.isFrozen(r.http)).toBe(true)
  })
})

describe('resolveBalancerOptions: accepted values', () => {
  it('keeps explicit zeros and falses (?? not ||)', () => {
    const r = resolveBalancerOptions({
      members: TWO, retryMs: 0, slowStartMs: 0, maxAttempts: 0, closeTimeout: 0, xForwarded: false, preserveHost: false, via: false, logger: false, http: { maxFreeSockets: 0 },
    })
    expect(r.retryMs).toBe(0)
    expect(r.maxAttempts).toBe(0)
    expect(r.closeTimeout).toBe(0)
    expect(r.xForwarded).toBe(false)
    expect(r.via).toBeUndefined()
    expect(r.logger).toBe(false)
    expect(r.http.maxFreeSockets).toBe(0)
  })

  it.each<[string, Partial<BalancerOptions>, (r: ReturnType<typeof resolveBalancerOptions>) => unknown, unknown]>([
    ['retryMs kept as given', { retryMs: 200 }, (r) => r.retryMs, 200],
    ['retryMs a day', { retryMs: 86_400_000 }, (r) => r.retryMs, 86_400_000],
    ['slowStartMs kept as given', { slowStartMs: 30_000 }, (r) => r.slowStartMs, 30_000],
    ['slowStartMs off by default', {}, (r) => r.slowStartMs, 0],
    ['via true', { via: true }, (r) => r.via, 'sticky-balancer'],
    ['via pseudonym', { via: 'edge-1' }, (r) => r.via, 'edge-1'],
    ['upstreamPath trailing slash dropped', { upstreamPath: '/testapp/' }, (r) => r.upstreamPath, '/testapp'],
    ['upstreamPath root becomes empty', { upstreamPath: '/' }, (r) => r.upstreamPath, ''],
    ['upstreamPath nested', { upstreamPath: '/a/b' }, (r) => r.upstreamPath, '/a/b'],
    ['upstreamPath with an escape', { upstreamPath: '/my%20app' }, (r) => r.upstreamPath, '/my%20app'],
    ['exclude strings and RegExps', { exclude: ['/skip', /^\/static\//] }, (r) => r.exclude.length, 2],
    ['preserveHost true', { preserveHost: true }, (r) => r.preserveHost, true],
    ['maxAttempts above members - 1', { maxAttempts: 5 }, (r) => r.maxAttempts, 5],
    ['custom scheduler object kept', { scheduler: { name: 'first', pick: (c) => c[0] } }, (r) => typeof r.scheduler === 'object' && r.scheduler.name, 'first'],
    ['http overrides merged with defaults', { http: { maxSockets: 8 } }, (r) => r.http, { maxSockets: 8, maxQueue: 1024, maxFreeSockets: 64, idleTimeout: 15_000, transport: 'undici' }],
    ['http.transport node', { http: { transport: 'node' } }, (r) => r.http.transport, 'node'],
    ['http.transport undici', { http: { transport: 'undici' } }, (r) => r.http.transport, 'undici'],
    ['console is a logger', { logger: console }, (r) => r.logger, console],
    ['onRequest kept', { onRequest: () => {} }, (r) => typeof r.onRequest, 'function'],
    ['no hooks by default', {}, (r) => [r.onRequest, r.onResponse, r.pathRewrite], [undefined, undefined, undefined]],
    ['pathRewrite rules compiled to a function', { pathRewrite: { '^/a/': '/b/' } }, (r) => r.pathRewrite?.('/a/x', {} as never), '/b/x'],
    ['an empty pathRewrite is none', { pathRewrite: {} }, (r) => r.pathRewrite, undefined],
  ])('%s', (_what, extra, read, expected) => {
    expect(read(resolveBalancerOptions({ members: TWO, ...extra }))).toEqual(expected)
  })

  it.each<[string, unknown, { href: string; route: string | undefined; weight: number; state: string }]>([
    ['string shorthand', 'http://127.0.0.1:8081', { href: 'http://127.0.0.1:8081/', route: undefined, weight: 1, state: 'active' }],
    ['trailing slash allowed', { url: 'http://127.0.0.1:8081/' }, { href: 'http://127.0.0.1:8081/', route: undefined, weight: 1, state: 'active' }],
    ['https', { url: 'https://tomcat.internal:8443', route: 'T1' }, { href: 'https://tomcat.internal:8443/', route: 'T1', weight: 1, state: 'active' }],
    ['upper-case scheme and host', { url: 'HTTP://LocalHost:8081' }, { href: 'http://localhost:8081/', route: undefined, weight: 1, state: 'active' }],
    ['weight 1 and 100 are the bounds', { url: 'http://127.0.0.1:8081', weight: 100 }, { href: 'http://127.0.0.1:8081/', route: undefined, weight: 100, state: 'active' }],
    ['route with the allowed punctuation', { url: 'http://127.0.0.1:8081', route: 'node-1_a.b~c:d' }, { href: 'http://127.0.0.1:8081/', route: 'node-1_a.b~c:d', weight: 1, state: 'active' }],
    ['initial state', { url: 'http://127.0.0.1:8081', state: 'standby' }, { href: 'http://127.0.0.1:8081/', route: undefined, weight: 1, state: 'standby' }],
    ['ajp with a trailing slash', { url: 'ajp://127.0.0.1:8009/' }, { href: 'ajp://127.0.0.1:8009/', route: undefined, weight: 1, state: 'active' }],
  ])('member: %s', (_what, raw, expected) => {
    const [m] = resolveBalancerOptions(loose({ members: [raw] })).members
    expect({ href: m?.url.href, route: m?.route, weight: m?.weight, state: m?.state }).toEqual(expected)
  })

  it('the same host twice is fine when each has a route', () => {
    expect(resolveBalancerOptions({ members: [{ url: A, route: 'A' }, { url: A, route: 'A2' }] }).members).toHaveLength(2)
  })

  // For a non-special scheme such as ajp:, `new URL('ajp://h:8009').pathname` is '' (not '/').
  it.each([
    ['ajp://127.0.0.1:8009', 'ajp://127.0.0.1:8009'],
    ['ajp://127.0.0.1', 'ajp://127.0.0.1:8009'],
  ])('member: ajp URL without a path (%s) is accepted', (url, origin) => {
    const [m] = resolveBalancerOptions({ members: [{ url }] }).members
    expect(`${m?.url.protocol}//${m?.url.host}`).toBe(origin)
  })
})

describe('resolveBalancerOptions: resolved once', () => {
  it("each ajp:// member carries its own ajp over the balancer's, with the balancer's timeouts as defaults", () => {
    const r = resolveBalancerOptions({
      members: [
        { url: 'ajp://127.0.0.1:8009', route: 'A' },
        { url: 'ajp://127.0.0.1:8010', route: 'B', secret: 'own', ajp: { packetSize: 65_536, replyTimeout: 5 } },
        { url: A, route: 'C' },
      ],
      ajp: { secret: 'shared', maxConnections: 8 },
      connectTimeout: 1234,
      timeout: 4321,
    })
    expect(r.ajp).toMatchObject({ secret: 'shared', maxConnections: 8, connectTimeout: 1234, replyTimeout: 4321, packetSize: 8192 })
    expect(r.members[0]?.ajpTransport).toEqual(r.ajp)
    expect(r.members[1]?.ajpTransport).toMatchObject({ secret: 'own', packetSize: 65_536, replyTimeout: 5, maxConnections: 8, connectTimeout: 1234 })
    expect(r.members[1]?.ajp).toEqual({ secret: 'own', packetSize: 65_536, replyTimeout: 5 })
    expect(r.members[2]?.ajpTransport).toBeUndefined()
    expect(Object.isFrozen(r.members[1]?.ajpTransport)).toBe(true)
  })

  it('a member resolved alone gets the AJP defaults', () => {
    expect(resolveMemberOptions({ url: 'ajp://127.0.0.1:8009' }, 'member').ajpTransport).toEqual(AJP_DEFAULTS)
  })

  it('admin is resolved here, and resolving it again returns it as it is', () => {
    const r = resolveBalancerOptions({ members: TWO, admin: { path: '/lb/', refreshMs: 2000 } })
    expect(r.admin).toMatchObject({ path: '/lb', metricsPath: '/lb/metrics', refreshMs: 2000, sampleMs: 5000, historySize: 60 })
    expect(resolveAdminOptions(r.admin)).toBe(r.admin)
    expect(resolveAdminOptions({ path: '/lb' })).not.toBe(resolveAdminOptions({ path: '/lb' }))
  })
})
