/**
 * Type tests of the error surface: `err.code` is the `LbErrorCode` union (so a typo in a comparison
 * does not compile) and `instanceof` narrows an `unknown` to the class.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { InvalidOptionError, LbError, UpstreamTimeoutError } from '../../lib/index.js'
import type { AjpProtocolError, AjpProtocolErrorCode, LbErrorCode, NoMemberError } from '../../lib/index.js'

declare const caught: unknown

describe('LbError', () => {
  it('has a code of the LbErrorCode union and a status', () => {
    expectTypeOf<LbError['code']>().toEqualTypeOf<LbErrorCode>()
    expectTypeOf<NoMemberError['code']>().toEqualTypeOf<LbErrorCode>()
    expectTypeOf<LbError['statusCode']>().toBeNumber()
    expectTypeOf<'LB_ERR_NO_MEMBER'>().toExtend<LbErrorCode>()
    expectTypeOf<'LB_ERR_NO_SUCH_THING'>().not.toExtend<LbErrorCode>()
  })

  it('instanceof narrows an unknown to the class', () => {
    if (caught instanceof LbError) expectTypeOf(caught).toEqualTypeOf<LbError>()
    if (caught instanceof UpstreamTimeoutError) {
      expectTypeOf(caught).toEqualTypeOf<UpstreamTimeoutError>()
      expectTypeOf(caught).toExtend<LbError>()
    }
    if (caught instanceof InvalidOptionError) expectTypeOf(caught.message).toBeString()
  })

  it('comparing err.code narrows it, and a misspelt code does not compile', () => {
    if (!(caught instanceof LbError)) return
    if (caught.code === 'LB_ERR_UPSTREAM_TIMEOUT') expectTypeOf(caught.code).toEqualTypeOf<'LB_ERR_UPSTREAM_TIMEOUT'>()
    // @ts-expect-error no such code: the comparison has no overlap with LbErrorCode
    if (caught.code === 'LB_ERR_UPSTREAM_TIMEOUTS') return
  })

  it('AJP protocol faults have their own code union', () => {
    expectTypeOf<AjpProtocolError['code']>().toEqualTypeOf<AjpProtocolErrorCode>()
    expectTypeOf<AjpProtocolError>().not.toExtend<LbError>()
  })
})
