import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  BadRequestError,
  BalancerClosedError,
  HeadersTooLargeError,
  LbError,
  NotImplementedError,
  UpstreamBusyError,
  UpstreamConnectError,
  UpstreamProtocolError,
  UpstreamResetError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  UpstreamTlsError,
  isTlsErrorCode,
  toGatewayError,
} from './errors.js'
import { judgeFailure } from './failover-policy.js'
import type { Fault } from './failover-policy.js'
import { ClientAbortedError } from './transports/client-aborted.js'
import { ClientTimeoutError } from './transports/client-timeout.js'

const GET = { method: 'GET', headers: {} } as IncomingMessage
const POST = { method: 'POST', headers: { 'content-length': '10' } } as unknown as IncomingMessage
const PUT_BODY = { method: 'PUT', headers: { 'content-length': '10' } } as unknown as IncomingMessage

/** Low-level failures as the transports see them, mapped the one way the balancer maps them. */
const low = (code: string): LbError => toGatewayError(Object.assign(new Error(code), { code }))

type Row = [failure: string, error: LbError, fault: Fault, memberCode: string | undefined, repeatableGet: boolean]

/** Whose fault each failure is: the table in lib/failover-policy.ts, row by row. */
const TABLE: Row[] = [
  ['connect refused', low('ECONNREFUSED'), 'member', 'LB_ERR_UPSTREAM_CONNECT', true],
  ['connect timed out', new UpstreamConnectError('could not connect to the member within 1000 ms'), 'member', 'LB_ERR_UPSTREAM_CONNECT', true],
  ['host unreachable', low('EHOSTUNREACH'), 'member', 'LB_ERR_UPSTREAM_CONNECT', true],
  ['pool busy for connectTimeout', new UpstreamBusyError('busy'), 'member', undefined, true],
  ['failOnStatus answer declined', new UpstreamStatusError(503), 'member', 'LB_ERR_FAIL_ON_STATUS', true],
  ['member reset', low('ECONNRESET'), 'member', undefined, true],
  ['member closed mid-write (EPIPE)', low('EPIPE'), 'member', undefined, true],
  ['member reset (AJP, before END_RESPONSE)', new UpstreamResetError('closed'), 'member', undefined, true],
  ['member silent for timeout (socket)', new UpstreamTimeoutError('silent'), 'member', 'LB_ERR_UPSTREAM_TIMEOUT', false],
  ['member silent for timeout (undici headers)', low('UND_ERR_HEADERS_TIMEOUT'), 'member', 'LB_ERR_UPSTREAM_TIMEOUT', false],
  ['member silent for timeout (undici body)', low('UND_ERR_BODY_TIMEOUT'), 'member', 'LB_ERR_UPSTREAM_TIMEOUT', false],
  ['TLS handshake failed (untrusted certificate)', low('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'member', 'LB_ERR_UPSTREAM_TLS', true],
  ['HTTP protocol error', low('HPE_INVALID_CONSTANT'), 'member', 'LB_ERR_UPSTREAM_PROTOCOL', false],
  ['AJP protocol error', low('AJP_ERR_BAD_MAGIC'), 'member', 'LB_ERR_UPSTREAM_PROTOCOL', false],
  ['protocol error already typed', new UpstreamProtocolError('bad'), 'member', 'LB_ERR_UPSTREAM_PROTOCOL', false],
  ['balancer closed mid-wait', new BalancerClosedError(), 'member', 'LB_ERR_CLOSED', false],
  ['invalid request found while encoding', new BadRequestError('bad'), 'request', undefined, false],
  ['client sent less than its Content-Length (AJP)', new BadRequestError('short body'), 'request', undefined, false],
  ['head too large for an AJP packet', new HeadersTooLargeError('large'), 'request', undefined, false],
  ['upgrade over AJP', new NotImplementedError('upgrade'), 'request', undefined, false],
  ['client closed its connection', new ClientAbortedError(), 'client', undefined, false],
  ['client stopped sending its body (clientBodyTimeout)', new ClientTimeoutError('body', 1000), 'client', undefined, false],
  ['client stopped reading (clientSendTimeout)', new ClientTimeoutError('send', 1000), 'client', undefined, false],
]

describe('judgeFailure: whose fault it is', () => {
  it.each(TABLE)('%s → %s, member code %s, a bodiless GET may go elsewhere: %s', (_what, error, fault, memberCode, repeatableGet) => {
    const verdict = judgeFailure(error, GET, true)
    expect(verdict.fault).toBe(fault)
    expect(verdict.memberCode).toBe(memberCode)
    expect(verdict.repeatable).toBe(repeatableGet)
    expect(verdict.clientFault === true).toBe(fault === 'request')
  })

  it('a client fault never marks the member failed and is never sent again, whatever the request', () => {
    for (const error of [new ClientAbortedError(), new ClientTimeoutError('body', 1), new ClientTimeoutError('send', 1)]) {
      for (const req of [GET, POST, PUT_BODY]) {
        for (const retryIdempotent of [true, false]) {
          for (const buffered of [true, false]) {
            expect(judgeFailure(error, req, retryIdempotent, buffered)).toEqual({ fault: 'client', memberCode: undefined, repeatable: false })
          }
        }
      }
    }
  })

  it('a reset is sent again only when that is safe', () => {
    const reset = low('ECONNRESET')
    expect(judgeFailure(reset, GET, false).repeatable).toBe(false) // retryIdempotent off
    expect(judgeFailure(reset, POST, true).repeatable).toBe(false) // not idempotent
    expect(judgeFailure(reset, PUT_BODY, true).repeatable).toBe(false) // a body that streamed
    expect(judgeFailure(reset, PUT_BODY, true, true).repeatable).toBe(true) // a body read in full first
  })

  it('the client timeout answers 408 with a message that names the option, never client text', () => {
    const body = new ClientTimeoutError('body', 60_000)
    expect([body.code, body.statusCode, body.stall, body.expose]).toEqual(['LB_ERR_CLIENT_TIMEOUT', 408, 'body', false])
    expect(body.message).toContain('clientBodyTimeout')
    expect(body).toBeInstanceOf(LbError)
    const send = new ClientTimeoutError('send', 60_000)
    expect([send.stall, send.message.includes('clientSendTimeout')]).toEqual(['send', true])
  })
})

const req = (method: string, headers: Record<string, string> = {}): IncomingMessage => ({ method, headers }) as unknown as IncomingMessage

describe('toGatewayError: TLS failures', () => {
  it.each([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'EPROTO',
  ])('%s → LB_ERR_UPSTREAM_TLS, 502, the code in the message and the cause', (code) => {
    const cause = Object.assign(new Error('tls'), { code })
    const error = toGatewayError(cause)
    expect(error).toBeInstanceOf(UpstreamTlsError)
    expect(error).toMatchObject({ code: 'LB_ERR_UPSTREAM_TLS', statusCode: 502, expose: false, message: `the TLS handshake with the member failed (${code})` })
    expect(error.cause).toBe(cause)
  })

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'HPE_INVALID_CONSTANT', 'ERR_STREAM_PREMATURE_CLOSE', ''])('%j is not a TLS failure', (code) => {
    expect(isTlsErrorCode(code)).toBe(false)
  })
})

describe('judgeFailure: TLS failures', () => {
  it('count against the member; any request goes on when nothing was sent', () => {
    const before = new UpstreamTlsError('x', undefined, true)
    expect(judgeFailure(before, req('POST', { 'content-length': '10' }), true)).toEqual({ fault: 'member', memberCode: 'LB_ERR_UPSTREAM_TLS', repeatable: true })
    expect(judgeFailure(before, req('POST', { 'transfer-encoding': 'chunked' }), false)).toEqual({ fault: 'member', memberCode: 'LB_ERR_UPSTREAM_TLS', repeatable: true })
  })

  it('after the request was written (a TLS 1.3 alert), only what a reset would allow', () => {
    const after = new UpstreamTlsError('x')
    expect(judgeFailure(after, req('GET'), true).repeatable).toBe(true)
    expect(judgeFailure(after, req('GET'), false).repeatable).toBe(false)
    expect(judgeFailure(after, req('POST', { 'content-length': '10' }), true).repeatable).toBe(false)
    expect(judgeFailure(after, req('PUT', { 'content-length': '10' }), true, true).repeatable).toBe(true)
    expect(judgeFailure(after, req('GET'), true).memberCode).toBe('LB_ERR_UPSTREAM_TLS')
  })

  it('leaves connect and reset as they were', () => {
    expect(judgeFailure(new UpstreamConnectError('x'), req('POST'), true)).toEqual({ fault: 'member', memberCode: 'LB_ERR_UPSTREAM_CONNECT', repeatable: true })
    expect(judgeFailure(new UpstreamResetError('x'), req('GET'), true)).toEqual({ fault: 'member', memberCode: undefined, repeatable: true })
  })
})
