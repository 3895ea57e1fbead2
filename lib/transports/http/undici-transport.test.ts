import { deadUrl } from '../../../test/support/fake-upstream.js'
import { runTransportSuite } from '../conformance.suite.js'
import { startHttpConformanceMember } from './conformance-member.js'
import { createUndiciTransport } from './undici-transport.js'

runTransportSuite({
  name: 'undici (Pool)',
  startMember: startHttpConformanceMember,
  deadUrl,
  create: (member, options) => createUndiciTransport(member, { ...options, maxFreeSockets: options.maxSockets, idleTimeout: 15_000 }),
  // undici closes its connection after a HEAD, in case the member sends a body anyway, and after a
  // 304 with a Content-Length, which it checks against the (absent) body
  quirks: { headClosesConnection: true, lengthOnBodilessClosesConnection: true },
})
