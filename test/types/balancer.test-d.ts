/**
 * Type tests of the balancer's public API (`vitest --project types`, and `npm run typecheck`):
 * what `createBalancer` accepts and returns, and the payloads of its events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expectTypeOf, it } from 'vitest'
import { createBalancer, createByTraffic, createConsistentHash } from '../../lib/index.js'
import type {
  Balancer,
  BalancerOptions,
  ExchangeEvent,
  LbError,
  LbErrorCode,
  Member,
  MemberView,
  MemberOptions,
  NextFunction,
  PickContext,
  ResolvedBalancerOptions,
  Scheduler,
  SchedulerName,
  StickyReason,
  UpgradeEvent,
} from '../../lib/index.js'

const members: MemberOptions[] = [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'ajp://127.0.0.1:8009', route: 'TomcatB', weight: 2 }]

describe('createBalancer', () => {
  it('takes BalancerOptions and returns a Balancer', () => {
    expectTypeOf(createBalancer).parameter(0).toEqualTypeOf<BalancerOptions>()
    expectTypeOf(createBalancer).returns.toEqualTypeOf<Balancer>()
    expectTypeOf(createBalancer({ members })).toEqualTypeOf<Balancer>()
  })

  it('requires members, and refuses option values of the wrong type', () => {
    // @ts-expect-error members is required
    createBalancer({})
    // @ts-expect-error a weight is a number
    createBalancer({ members: [{ url: 'http://127.0.0.1:8081', weight: 'heavy' }] })
    // @ts-expect-error no such scheduler
    createBalancer({ members, scheduler: 'fastest' })
    // @ts-expect-error an unknown option is a typo, not an extension point
    createBalancer({ members, stickyy: true })
  })

  it('takes a scheduler by name, from a factory, or a custom Scheduler object', () => {
    expectTypeOf<'byrequests'>().toExtend<SchedulerName>()
    createBalancer({ members, scheduler: 'leastconn' })
    createBalancer({ members, scheduler: createByTraffic({ decayInterval: 30_000 }) })
    createBalancer({ members, scheduler: createConsistentHash({ key: 'header:x-tenant' }) })
    const first: Scheduler = {
      name: 'first',
      pick: (candidates, ctx) => {
        expectTypeOf(candidates).toEqualTypeOf<readonly Member[]>()
        expectTypeOf(ctx).toEqualTypeOf<PickContext>()
        return candidates[0]
      },
    }
    createBalancer({ members, scheduler: first })
  })

  it('hands back resolved options and read-only members', () => {
    const balancer = createBalancer({ members })
    expectTypeOf(balancer.options).toEqualTypeOf<ResolvedBalancerOptions>()
    expectTypeOf(balancer.members).toEqualTypeOf<readonly Member[]>()
    expectTypeOf(balancer.member('TomcatA')).toEqualTypeOf<Member | undefined>()
    expectTypeOf(balancer.close()).toEqualTypeOf<Promise<void>>()
  })

  it('handles a node:http request, with an optional next', () => {
    const balancer = createBalancer({ members })
    expectTypeOf(balancer.handle).toBeCallableWith({} as IncomingMessage, {} as ServerResponse)
    expectTypeOf(balancer.handle).toBeCallableWith({} as IncomingMessage, {} as ServerResponse, (err?: unknown) => void err)
    expectTypeOf(balancer.handle).parameter(2).toEqualTypeOf<NextFunction | undefined>()
    expectTypeOf(balancer.handle({} as IncomingMessage, {} as ServerResponse)).toEqualTypeOf<Promise<void>>()
  })
})

describe('events', () => {
  const balancer = createBalancer({ members })

  it('exchange carries an ExchangeEvent whose error is an LbErrorCode', () => {
    balancer.on('exchange', (e) => {
      expectTypeOf(e).toEqualTypeOf<ExchangeEvent>()
      expectTypeOf(e.error).toEqualTypeOf<LbErrorCode | undefined>()
      expectTypeOf(e.reason).toEqualTypeOf<StickyReason>()
      expectTypeOf(e.member).toEqualTypeOf<MemberView>()
      expectTypeOf(e.status).toBeNumber()
    })
  })

  it('member events carry the member, and member:error an LbError', () => {
    balancer.on('member:added', (member) => expectTypeOf(member).toEqualTypeOf<Member>())
    balancer.on('member:removed', (member) => expectTypeOf(member).toEqualTypeOf<Member>())
    balancer.on('member:error', (e) => {
      expectTypeOf(e.error).toEqualTypeOf<LbError>()
      expectTypeOf(e.willRetry).toBeBoolean()
    })
    balancer.on('member:state', (e) => expectTypeOf(e.member).toEqualTypeOf<Member>())
  })

  it('upgrade carries an UpgradeEvent', () => {
    balancer.on('upgrade', (e) => expectTypeOf(e).toEqualTypeOf<UpgradeEvent>())
  })

  it('a listener with the wrong payload is refused', () => {
    // @ts-expect-error exchange's payload is an ExchangeEvent, not a string
    balancer.on('exchange', (e: string) => e)
  })
})
