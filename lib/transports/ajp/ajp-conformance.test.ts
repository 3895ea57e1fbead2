import { deadUrl } from '../../../test/support/fake-upstream.js'
import { runTransportSuite } from '../conformance.suite.js'
import { createAjpTransport } from './ajp-transport.js'
import { startAjpConformanceMember } from './conformance-member.js'

runTransportSuite({
  name: 'AJP (fake container)',
  startMember: startAjpConformanceMember,
  deadUrl: async () => (await deadUrl()).replace(/^http:/, 'ajp:'),
  create: (member, { connectTimeout, timeout, maxSockets }) => createAjpTransport(member, { secret: 'k', connectTimeout, replyTimeout: timeout, maxConnections: maxSockets }),
})
