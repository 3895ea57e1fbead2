/**
 * Codes are the contract (docs/errors.md): every error class the library exports has a row in
 * docs/errors.md whose status is the class's `statusCode`, every row names a code some class
 * raises, the admin codes match docs/guide/admin.md, and no `new LbError(code, …, status)` in
 * lib/ answers a status other than its code's.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as errors from '../../lib/errors.js'
import { ADMIN_ERROR_STATUS, AdminError, LbError } from '../../lib/errors.js'
import type { AdminErrorCode } from '../../lib/errors.js'
import { ClientTimeoutError } from '../../lib/transports/client-timeout.js'
import { AjpUpgradeNotSupportedError } from '../../lib/transports/ajp/errors.js'
import * as api from '../../lib/index.js'

const ROOT = join(import.meta.dirname, '../..')

/** One instance of every error class, built the way the library builds it. */
const SAMPLES: Record<string, () => LbError> = {
  InvalidOptionError: () => new errors.InvalidOptionError('members[0].url is required'),
  NoMemberError: () => new errors.NoMemberError(),
  StickyMemberUnavailableError: () => new errors.StickyMemberUnavailableError('TomcatA'),
  UpstreamConnectError: () => new errors.UpstreamConnectError('could not connect'),
  UpstreamBusyError: () => new errors.UpstreamBusyError('every connection busy'),
  UpstreamTimeoutError: () => new errors.UpstreamTimeoutError('silent'),
  UpstreamTlsError: () => new errors.UpstreamTlsError('handshake failed'),
  UpstreamResetError: () => new errors.UpstreamResetError('reset'),
  UpstreamProtocolError: () => new errors.UpstreamProtocolError('bad head'),
  UpstreamStatusError: () => new errors.UpstreamStatusError(503),
  BadRequestError: () => new errors.BadRequestError('bad header'),
  PathOutsideMountError: () => new errors.PathOutsideMountError(),
  NotFoundError: () => new errors.NotFoundError(),
  MethodNotAllowedError: () => new errors.MethodNotAllowedError('GET, HEAD'),
  HeadersTooLargeError: () => new errors.HeadersTooLargeError('too large'),
  NotImplementedError: () => new errors.NotImplementedError('no upgrade over AJP'),
  BodyConsumedError: () => new errors.BodyConsumedError('a multipart body cannot be rebuilt from req.body'),
  BalancerClosedError: () => new errors.BalancerClosedError(),
  ClientAbortedError: () => new errors.ClientAbortedError(),
  ClientTimeoutError: () => new ClientTimeoutError('body', 1000),
  AjpUpgradeNotSupportedError: () => new AjpUpgradeNotSupportedError('websocket'),
  HookError: () => new errors.HookError('onRequest', 'threw'),
}

/** Rows whose status column says the error is never answered with its `statusCode`. */
const NEVER_SENT: Record<string, RegExp> = {
  LB_ERR_INVALID_OPTION: /thrown at construction/,
  LB_ERR_CLIENT_ABORTED: /never sent/,
}

interface Row { code: string; classes: string; status: string }

/** The rows of the first table whose first column is a code. */
function tableRows(markdown: string, codePattern: RegExp): Row[] {
  const rows: Row[] = []
  for (const line of markdown.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim())
    const code = /^`([A-Z_]+)`$/.exec(cells[0] ?? '')?.[1]
    if (code === undefined || !codePattern.test(code)) continue
    rows.push({ code, classes: cells[1] ?? '', status: cells[2] ?? '' })
  }
  return rows
}

function errorClasses(): Array<[string, abstract new (...args: never[]) => LbError]> {
  const found = new Map<string, abstract new (...args: never[]) => LbError>()
  for (const mod of [errors, api, { ClientTimeoutError, AjpUpgradeNotSupportedError }] as Array<Record<string, unknown>>) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === 'function' && value !== LbError && value !== AdminError && value.prototype instanceof Error && Object.prototype.isPrototypeOf.call(LbError.prototype, value.prototype)) {
        found.set(name, value as abstract new (...args: never[]) => LbError)
      }
    }
  }
  return [...found]
}

const errorsDoc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8')
const documented = tableRows(errorsDoc, /^LB_ERR_(?!ADMIN_)/)

describe('docs/errors.md lists every code with its status', () => {
  it('has a sample for every exported LbError class (a new class needs a row here and in the docs)', () => {
    const names = errorClasses().map(([name]) => name).sort()
    expect(names.length).toBeGreaterThan(15)
    expect(Object.keys(SAMPLES).sort()).toEqual(names)
  })

  it.each(Object.entries(SAMPLES))('%s: its code has a row, the row names the class, the status matches', (name, make) => {
    const err = make()
    expect(err).toBeInstanceOf(LbError)
    expect(err.name).toBe(name)
    const row = documented.find((r) => r.code === err.code)
    expect(row, `no row for ${err.code} in docs/errors.md`).toBeDefined()
    expect(row!.classes).toContain(`\`${name}\``)
    const never = NEVER_SENT[err.code]
    if (never) {
      expect(row!.status).toMatch(never)
      return
    }
    if (err instanceof errors.UpstreamStatusError) {
      expect(row!.status).toMatch(/the member's status/)
      expect(err.statusCode).toBe(err.upstreamStatus)
      return
    }
    expect(Number(/^(\d{3})\b/.exec(row!.status)?.[1]), `${err.code}: docs say "${row!.status}"`).toBe(err.statusCode)
  })

  it('every row names a code some error class raises', () => {
    const raised = new Set(Object.values(SAMPLES).map((make) => make().code))
    expect(documented.length).toBeGreaterThan(15)
    for (const row of documented) expect(raised.has(row.code as errors.LbErrorCode), `${row.code} is documented but nothing raises it`).toBe(true)
  })
})

describe('admin codes', () => {
  const adminRows = tableRows(readFileSync(join(ROOT, 'docs/guide/admin.md'), 'utf8'), /^LB_ERR_ADMIN_/)

  it('docs/guide/admin.md lists each admin code once, with the status AdminError answers', () => {
    const codes = Object.keys(ADMIN_ERROR_STATUS) as AdminErrorCode[]
    expect(adminRows.map((r) => r.code).sort()).toEqual([...codes].sort())
    for (const code of codes) {
      const err = new AdminError(code, 'refused')
      expect(err).toBeInstanceOf(LbError)
      expect(err.expose).toBe(true)
      const row = adminRows.find((r) => r.code === code)!
      // The admin table puts the status in its second column.
      expect(Number(/^(\d{3})\b/.exec(row.classes)?.[1]), `${code}: docs say "${row.classes}"`).toBe(err.statusCode)
    }
  })

  it('a 405 carries its Allow list', () => {
    expect(new AdminError('LB_ERR_ADMIN_METHOD', 'no', { allow: 'GET, HEAD' }).headers).toEqual({ allow: 'GET, HEAD' })
  })
})

describe('instanceof', () => {
  it('an LbError is an instance of its own class and LbError, not of a sibling class', () => {
    const sticky = new errors.StickyMemberUnavailableError('TomcatA')
    expect(sticky).toBeInstanceOf(LbError)
    expect(sticky).toBeInstanceOf(errors.StickyMemberUnavailableError)
    expect(sticky instanceof errors.NoMemberError).toBe(false)
    expect(new errors.NoMemberError() instanceof AdminError).toBe(false)
    expect(new AjpUpgradeNotSupportedError('websocket')).toBeInstanceOf(errors.NotImplementedError)
  })
})

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

describe('ad-hoc LbErrors in lib/', () => {
  it('answer the status their code has in docs/errors.md', () => {
    const status = new Map(documented.map((r) => [r.code, Number(/^(\d{3})\b/.exec(r.status)?.[1])]))
    const bad: string[] = []
    for (const file of sources(join(ROOT, 'lib'))) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(/new LbError\(\s*'(LB_ERR_\w+)'[^;]*?,\s*(\d{3})\s*[,)]/g)) {
        if (status.get(m[1]!) !== Number(m[2])) bad.push(`${file.slice(ROOT.length + 1)}: ${m[1]} with ${m[2]}`)
      }
    }
    expect(bad).toEqual([])
  })
})
