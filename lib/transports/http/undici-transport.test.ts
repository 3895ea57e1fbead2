import { deadUrl } from '../../../test/support/fake-upstream.js'
import { runTransportSuite } from '../conformance.suite.js'
import { startHttpConformanceMember } from './conformance-member.js'
import { createUndiciTransport } from './undici-transport.js'

runTransportSuite({
  name: 'undici (Pool)',
  startMember: startHttpConformanceMember,
  deadUrl,
  create: (member, options) => createUndiciTransport(member, { ...options, maxFreeSockets: options.maxSockets, idleTimeout: 15_000 }),
  // undici closes its connection after a HEAD, in case the member sends a body anyway
  quirks: { headClosesConnection: true },
  knownFailures: {
    'a client that goes away: the member connection is closed and no socket is left':
      'aborting the dispatch once the head arrived leaves the member connection open while the member keeps sending',
    'no body awaited after GET answered 304, and the connection is used again':
      'undici 7 checks a 304\'s Content-Length against its (absent) body: UND_ERR_RES_CONTENT_LENGTH_MISMATCH, a 502 for a valid answer (RFC 9110 §8.6)',
    'streams a chunked request body and counts its bytes both ways':
      'bytesOut counts half the bytes of a chunked body pulled through ClientBody',
    'a member answer with conflicting-framing: UpstreamProtocolError, nothing written to the client':
      'undici\'s parser takes Content-Length beside Transfer-Encoding and fails with UND_ERR_RES_CONTENT_LENGTH_MISMATCH, mapped to LB_ERR_UPSTREAM_RESET',
  },
})
