import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SocketQueue } from './socket-queue.js'

const res = (): ServerResponse => new EventEmitter() as unknown as ServerResponse

describe('SocketQueue', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('lets `limit` exchanges through at once, then the waiters in arrival order', async () => {
    const q = new SocketQueue(2, 1_000, 'm:80')
    expect([q.tryTake(), q.tryTake(), q.tryTake()]).toEqual([true, true, false])
    const order: number[] = []
    const first = q.take(res()).then(() => order.push(1))
    const second = q.take(res()).then(() => order.push(2))
    expect(q.waiting).toBe(2)
    q.give()
    await first
    expect(order).toEqual([1])
    // nobody jumps the queue while someone waits
    expect(q.tryTake()).toBe(false)
    q.give()
    await second
    expect(order).toEqual([1, 2])
    q.give()
    q.give()
    expect([q.tryTake(), q.tryTake(), q.tryTake()]).toEqual([true, true, false])
  })

  it('a waiter gives up after the timeout with LB_ERR_UPSTREAM_BUSY (503), and its place is not kept', async () => {
    const q = new SocketQueue(1, 500, 'm:80')
    expect(q.tryTake()).toBe(true)
    const waiting = q.take(res())
    const failed = waiting.catch((err: { code: string; statusCode: number }) => [err.code, err.statusCode])
    vi.advanceTimersByTime(499)
    expect(q.waiting).toBe(1)
    vi.advanceTimersByTime(1)
    expect(await failed).toEqual(['LB_ERR_UPSTREAM_BUSY', 503])
    expect(q.waiting).toBe(0)
    q.give()
    expect(q.tryTake()).toBe(true)
  })

  it('a client that goes away leaves the queue at once (LB_ERR_CLIENT_ABORTED)', async () => {
    const q = new SocketQueue(1, 500, 'm:80')
    q.tryTake()
    const r = res()
    const failed = q.take(r).catch((err: { code: string }) => err.code)
    r.emit('close')
    expect(await failed).toBe('LB_ERR_CLIENT_ABORTED')
    expect(q.waiting).toBe(0)
    expect((r as unknown as EventEmitter).listenerCount('close')).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('beyond maxQueue waiters, one more fails at once with LB_ERR_UPSTREAM_BUSY and holds no timer', async () => {
    const q = new SocketQueue(1, 500, 'm:80', 2)
    expect(q.tryTake()).toBe(true)
    const waiters = [q.take(res()), q.take(res())]
    expect(vi.getTimerCount()).toBe(2)
    const refused = await q.take(res()).catch((err: { code: string; statusCode: number }) => [err.code, err.statusCode])
    expect(refused).toEqual(['LB_ERR_UPSTREAM_BUSY', 503])
    expect(q.waiting).toBe(2)
    expect(vi.getTimerCount()).toBe(2)
    q.give()
    await waiters[0]
    // a place came free: the next one waits again
    const third = q.take(res())
    expect(q.waiting).toBe(2)
    q.give()
    q.give()
    await Promise.all([waiters[1], third])
  })

  it('maxQueue 0: never waits', async () => {
    const q = new SocketQueue(1, 500, 'm:80', 0)
    q.tryTake()
    expect(await q.take(res()).catch((err: { code: string }) => err.code)).toBe('LB_ERR_UPSTREAM_BUSY')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('defaults to 1024 waiters', async () => {
    const q = new SocketQueue(1, 500, 'm:80')
    q.tryTake()
    const waiting = Array.from({ length: 1024 }, () => q.take(res()).catch(() => 'gone'))
    expect(await q.take(res()).catch((err: { code: string }) => err.code)).toBe('LB_ERR_UPSTREAM_BUSY')
    vi.advanceTimersByTime(500)
    expect(new Set(await Promise.all(waiting))).toEqual(new Set(['gone']))
  })
})
