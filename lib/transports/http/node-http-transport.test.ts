import { deadUrl } from '../../../test/support/fake-upstream.js'
import { runTransportSuite } from '../conformance.suite.js'
import { startHttpConformanceMember } from './conformance-member.js'
import { createNodeHttpTransport } from './node-http-transport.js'

runTransportSuite({
  name: 'node (http.request)',
  startMember: startHttpConformanceMember,
  deadUrl,
  create: (member, options) => createNodeHttpTransport(member, { ...options, maxFreeSockets: options.maxSockets, idleTimeout: 15_000 }),
})
