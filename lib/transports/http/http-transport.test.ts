import { afterEach, describe, expect, it } from 'vitest'
import { deadUrl } from '../../../test/support/fake-upstream.js'
import { Member } from '../../members/member.js'
import { runTransportSuite } from '../conformance.suite.js'
import { startHttpConformanceMember } from './conformance-member.js'
import { createHttpTransport } from './http-transport.js'

const OPTIONS = { connectTimeout: 1000, timeout: 1000, maxSockets: 1, maxFreeSockets: 1, idleTimeout: 1000 }

runTransportSuite({
  name: 'http-proxy-3',
  startMember: startHttpConformanceMember,
  deadUrl,
  create: (member, options) => createHttpTransport(member, { ...options, maxFreeSockets: options.maxSockets, idleTimeout: 15_000 }),
})

describe('createHttpTransport', () => {
  const before = process.env.FORCE_FETCH_PATH
  afterEach(() => {
    if (before === undefined) delete process.env.FORCE_FETCH_PATH
    else process.env.FORCE_FETCH_PATH = before
  })

  it('refuses to start when FORCE_FETCH_PATH=true would send requests past our framing', async () => {
    const member = new Member({ url: new URL('http://127.0.0.1:1'), route: 'A', weight: 1, admin: 'active' })
    process.env.FORCE_FETCH_PATH = 'true'
    expect(() => createHttpTransport(member, OPTIONS)).toThrow(expect.objectContaining({ code: 'LB_ERR_INVALID_OPTION', message: expect.stringContaining('FORCE_FETCH_PATH') }))
    process.env.FORCE_FETCH_PATH = 'false'
    await createHttpTransport(member, OPTIONS).close()
  })
})
