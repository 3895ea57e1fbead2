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
  ['connect timed out', low('ETIMEDOUT_CONNECT'), 'member', 'LB_ERR_UPSTREAM_CONNECT', true],
  ['host unreachable', low('EHOSTUNREACH'), 'member', 'LB_ERR_UPSTREAM_CONNECT', true],
  ['pool busy for connectTimeout', new UpstreamBusyError('busy'), 'member', undefined, true],
  ['failOnStatus answer declined', new UpstreamStatusError(503), 'member', 'LB_ERR_FAIL_ON_STATUS', true],
  ['member reset', low('ECONNRESET'), 'member', undefined, true],
  ['member closed mid-write (EPIPE)', low('EPIPE'), 'member', undefined, true],
  ['member reset (AJP, before END_RESPONSE)', new UpstreamResetError('closed'), 'member', undefined, true],
  ['member silent for timeout (socket)', new UpstreamTimeoutError('silent'), 'member', 'LB_ERR_UPSTREAM_TIMEOUT', false],
  ['member silent for timeout (undici headers)', low('UND_ERR_HEADERS_TIMEOUT'), 'member', 'LB_ERR_UPSTREAM_TIMEOUT', false],
  ['member silent for timeout (undici body)', low('UND_ERR_BODY_TIMEOUT'), 'member', 'LB_ERR_UPSTREAM_TIMEOUT', false],
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
