import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { UpstreamConnectError, UpstreamResetError, UpstreamTlsError, isTlsErrorCode, toGatewayError } from './errors.js'
import { judgeFailure } from './failover-policy.js'

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
    expect(judgeFailure(before, req('POST', { 'content-length': '10' }), true)).toEqual({ memberCode: 'LB_ERR_UPSTREAM_TLS', repeatable: true })
    expect(judgeFailure(before, req('POST', { 'transfer-encoding': 'chunked' }), false)).toEqual({ memberCode: 'LB_ERR_UPSTREAM_TLS', repeatable: true })
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
    expect(judgeFailure(new UpstreamConnectError('x'), req('POST'), true)).toEqual({ memberCode: 'LB_ERR_UPSTREAM_CONNECT', repeatable: true })
    expect(judgeFailure(new UpstreamResetError('x'), req('GET'), true)).toEqual({ memberCode: undefined, repeatable: true })
  })
})
