import type { ServerResponse } from 'node:http'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ClientTimeoutError } from '../transports/client-timeout.js'
import { CLIENT_TIMEOUT_DEFAULTS, ClientWatch } from './client-timeouts.js'

/** A response whose buffered bytes the test sets: what waits for the client. */
function fakeResponse(): ServerResponse & { writableLength: number } {
  return { writableLength: 0, writableFinished: false, destroyed: false } as unknown as ServerResponse & { writableLength: number }
}

function watchWith(res = fakeResponse(), timeouts = { clientBodyTimeout: 1000, clientSendTimeout: 2000 }) {
  const stalls: ClientTimeoutError[] = []
  const watch = new ClientWatch(res, timeouts, (e) => stalls.push(e))
  return { watch, stalls, res }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('ClientWatch: the body side (clientBodyTimeout)', () => {
  it('fires exactly clientBodyTimeout after the last body chunk, not before', () => {
    const { watch, stalls } = watchWith()
    watch.awaitBody()
    vi.advanceTimersByTime(999)
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stalls.map((e) => [e.code, e.stall, e.statusCode])).toEqual([['LB_ERR_CLIENT_TIMEOUT', 'body', 408]])
    expect(watch.awaitingClient).toBe(false)
  })

  it('a client that moves is never cut: every chunk starts the timeout again', () => {
    const { watch, stalls } = watchWith()
    watch.awaitBody()
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(900) // 45 s of upload, never 1 s of silence
      watch.awaitBody()
    }
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(1000)
    expect(stalls).toHaveLength(1)
  })

  it('does not run while the wait is not the client\'s (the member pushes back, the body is over)', () => {
    const { watch, stalls } = watchWith()
    watch.awaitBody()
    vi.advanceTimersByTime(500)
    watch.bodyMoved() // the member pushes back: the client is paused by us
    expect(watch.awaitingClient).toBe(false)
    vi.advanceTimersByTime(10_000)
    expect(stalls).toEqual([])
    watch.awaitBody() // the member drained: the client is read again, for a full timeout
    vi.advanceTimersByTime(999)
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stalls).toHaveLength(1)
  })
})

describe('ClientWatch: the reading side (clientSendTimeout)', () => {
  it('fires when the client read nothing of what waits for it for clientSendTimeout', () => {
    const { watch, stalls, res } = watchWith()
    res.writableLength = 80_000
    watch.awaitReader()
    expect(watch.awaitingClient).toBe(true)
    vi.advanceTimersByTime(1999)
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stalls.map((e) => [e.stall, e.message])).toEqual([['send', 'the client read none of the response for 2000 ms (clientSendTimeout)']])
  })

  it('a slow reader that reads a little in each period is never cut, however long it takes', () => {
    const { watch, stalls, res } = watchWith()
    res.writableLength = 1_000_000
    watch.awaitReader()
    for (let i = 0; i < 100; i++) {
      res.writableLength -= 1000 // 1 KB per 2 s: slow, but moving
      vi.advanceTimersByTime(2000)
    }
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(2000) // then it stops
    expect(stalls).toHaveLength(1)
  })

  it('a drain ends the wait; a later wait gets a full timeout of its own', () => {
    const { watch, stalls, res } = watchWith()
    res.writableLength = 80_000
    watch.awaitReader()
    vi.advanceTimersByTime(1500)
    watch.readerMoved()
    vi.advanceTimersByTime(5000)
    expect(stalls).toEqual([])
    watch.awaitReader()
    vi.advanceTimersByTime(1999)
    expect(stalls).toEqual([])
    vi.advanceTimersByTime(1)
    expect(stalls).toHaveLength(1)
  })

  it('a response that finished or was destroyed meanwhile is not a stall', () => {
    const finished = watchWith()
    finished.res.writableLength = 10
    finished.watch.awaitReader()
    ;(finished.res as { writableFinished: boolean }).writableFinished = true
    vi.advanceTimersByTime(5000)
    expect(finished.stalls).toEqual([])
    const destroyed = watchWith()
    destroyed.res.writableLength = 10
    destroyed.watch.awaitReader()
    ;(destroyed.res as { destroyed: boolean }).destroyed = true
    vi.advanceTimersByTime(5000)
    expect(destroyed.stalls).toEqual([])
  })
})

describe('ClientWatch: the end of the exchange', () => {
  it('stop() clears both timers: nothing fires afterwards, and a late wait does not re-arm', () => {
    const { watch, stalls, res } = watchWith()
    res.writableLength = 80_000
    watch.awaitBody()
    watch.awaitReader()
    watch.stop()
    expect(vi.getTimerCount()).toBe(0)
    watch.awaitBody()
    watch.awaitReader()
    vi.advanceTimersByTime(60_000)
    expect(stalls).toEqual([])
    expect(watch.awaitingClient).toBe(false)
  })

  it('makes no timer until the first wait, and one per side however many waits', () => {
    const { watch } = watchWith()
    expect(vi.getTimerCount()).toBe(0)
    for (let i = 0; i < 10; i++) {
      watch.awaitBody()
      watch.bodyMoved()
      watch.awaitReader()
      watch.readerMoved()
    }
    expect(vi.getTimerCount()).toBe(2)
  })

  it('defaults to nginx\'s 60 s each', () => {
    expect(CLIENT_TIMEOUT_DEFAULTS).toEqual({ clientBodyTimeout: 60_000, clientSendTimeout: 60_000 })
  })
})
