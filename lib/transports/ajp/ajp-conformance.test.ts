import { deadUrl } from '../../../test/support/fake-upstream.js'
import { runTransportSuite } from '../conformance.suite.js'
import { createAjpTransport } from './ajp-transport.js'
import { startAjpConformanceMember } from './conformance-member.js'

runTransportSuite({
  name: 'AJP (fake container)',
  startMember: startAjpConformanceMember,
  deadUrl: async () => (await deadUrl()).replace(/^http:/, 'ajp:'),
  create: (member, { connectTimeout, timeout, maxSockets }) => createAjpTransport(member, { secret: 'k', connectTimeout, replyTimeout: timeout, maxConnections: maxSockets }),
  knownFailures: {
    'a declined head (sendResponseHead false): UpstreamStatusError, and the connection is used again':
      'the request driver closes the connection of a declined answer instead of reading it to END_RESPONSE',
  },
})
