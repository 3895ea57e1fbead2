/**
 * Property tests of the AJP response decoder (fast-check): any bytes either decode or raise a
 * typed `AJP_ERR_*`, the parser never reads past the messages taken, and the result does not
 * depend on how the stream is split. In the suite they run a moderate, seeded number of cases;
 * `npm run fuzz` (FUZZ_RUNS=100000, a fresh seed each time unless FUZZ_SEED is set) runs them long.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { containerPacket as packet, str, u16 } from '../../../test/ajp/support/fake-ajp-server.js'
import { RESPONSE_HEADER_NAMES } from './constants.js'
import { AjpProtocolError } from './errors.js'
import type { AjpProtocolErrorCode } from './errors.js'
import { AjpResponseParser, decodeMessage } from './response-decoder.js'
import type { AjpMessage } from './response-decoder.js'

const LONG_RUNS = Number(process.env.FUZZ_RUNS ?? 0)
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : LONG_RUNS > 0 ? undefined : 1_938_2020
function params(ciRuns: number): fc.Parameters<unknown> {
  return { numRuns: LONG_RUNS > 0 ? LONG_RUNS : ciRuns, ...(SEED !== undefined ? { seed: SEED } : {}) }
}
const TIMEOUT = Math.max(20_000, LONG_RUNS * 5)

const CODES: ReadonlySet<AjpProtocolErrorCode> = new Set([
  'AJP_ERR_BAD_MAGIC', 'AJP_ERR_TRUNCATED', 'AJP_ERR_UNKNOWN_TYPE', 'AJP_ERR_OVERSIZE', 'AJP_ERR_BAD_STRING', 'AJP_ERR_BAD_HEADER',
  'AJP_ERR_BAD_STATUS', 'AJP_ERR_BAD_LENGTH', 'AJP_ERR_UNEXPECTED_MESSAGE', 'AJP_ERR_NO_HEADERS', 'AJP_ERR_BODY_OVERREAD', 'AJP_ERR_BODY_LENGTH_MISMATCH',
])

/** What a decode attempt gave, in a form that compares across runs. */
type Outcome = { ok: unknown } | { error: AjpProtocolErrorCode }

function normal(message: AjpMessage): unknown {
  if (message.type === 'body') return { type: 'body', data: message.data.toString('hex') }
  if (message.type === 'headers') return { ...message, headers: Object.fromEntries(Object.entries(message.headers)) }
  return message
}

function expectTyped(err: unknown): AjpProtocolErrorCode {
  expect(err).toBeInstanceOf(AjpProtocolError)
  const code = (err as AjpProtocolError).code
  expect(CODES.has(code)).toBe(true)
  // the parser re-wraps anything foreign as AJP_ERR_TRUNCATED with the foreign error's text
  expect((err as Error).message).not.toMatch(/^(Range|Type|Reference|Syntax)?Error\b/)
  return code
}

/** Feeds `stream` in the given slices, taking every message after each push, until an error. */
function run(stream: Buffer, cuts: number[], packetSize = 8192): { outcomes: Outcome[]; buffered: number } {
  const parser = new AjpResponseParser(packetSize)
  const outcomes: Outcome[] = []
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...points, stream.length]) {
    if (to < from) continue
    // a copy, so a view handed out earlier cannot see later bytes
    parser.push(Buffer.from(stream.subarray(from, to)))
    from = to
    try {
      for (let m = parser.next(); m; m = parser.next()) outcomes.push({ ok: normal(m) })
    } catch (err) {
      outcomes.push({ error: expectTyped(err) })
      return { outcomes, buffered: parser.buffered }
    }
  }
  return { outcomes, buffered: parser.buffered }
}

/**
 * Like {@link run}, but keeps feeding and reading after an error, to the end of the stream: what
 * every `next()` gave, errors kept as the thrown objects (a failed parser must throw the same one).
 */
function runThrough(stream: Buffer, cuts: number[], packetSize = 8192): ({ ok: unknown } | { thrown: unknown })[] {
  const parser = new AjpResponseParser(packetSize)
  const outcomes: ({ ok: unknown } | { thrown: unknown })[] = []
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...points, stream.length]) {
    if (to < from) continue
    parser.push(Buffer.from(stream.subarray(from, to)))
    from = to
    // at most three reads past an error: enough to see a parser that moves on
    for (let reads = 0, failures = 0; reads < 10_000 && failures < 3; reads++) {
      try {
        const m = parser.next()
        if (!m) break
        outcomes.push({ ok: normal(m) })
      } catch (err) {
        expectTyped(err)
        outcomes.push({ thrown: err })
        failures++
      }
    }
  }
  return outcomes
}

const headerName = fc.oneof(
  fc.integer({ min: 0, max: RESPONSE_HEADER_NAMES.length - 1 }).map((i) => ({ code: 0xa001 + i, name: RESPONSE_HEADER_NAMES[i] as string })),
  fc.oneof(fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')).map((name) => ({ code: undefined, name })),
)
const headerValue = fc.stringMatching(/^[\t\x20-\x7e\x80-\xff]{0,40}$/)

/** A valid container → server message, with the packet that carries it. */
const validMessage: fc.Arbitrary<{ bytes: Buffer; expected: unknown }> = fc.oneof(
  fc.record({ status: fc.integer({ min: 100, max: 999 }), headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }) }).map(({ status, headers }) => {
    const parts = [Buffer.from([4]), u16(status), str(String(status)), u16(headers.length)]
    // a Map: names like __proto__ and constructor are ordinary header names here
    const expectedHeaders = new Map<string, string | string[]>()
    for (const [{ code, name }, value] of headers) {
      parts.push(code !== undefined ? u16(code) : str(name), str(value))
      const key = name.toLowerCase()
      const prior = expectedHeaders.get(key)
      expectedHeaders.set(key, prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value])
    }
    return { bytes: packet(Buffer.concat(parts)), expected: { type: 'headers', status, message: String(status), headers: Object.fromEntries(expectedHeaders) } }
  }),
  fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.boolean()).map(([data, nul]) => ({
    bytes: packet(Buffer.concat([Buffer.from([3]), u16(data.length), Buffer.from(data), nul ? Buffer.from([0]) : Buffer.alloc(0)])),
    expected: { type: 'body', data: Buffer.from(data).toString('hex') },
  })),
  fc.integer({ min: 0, max: 255 }).map((reuse) => ({ bytes: packet(Buffer.from([5, reuse])), expected: { type: 'end', reuse: reuse !== 0 } })),
  fc.integer({ min: 0, max: 0xffff }).map((length) => ({ bytes: packet(Buffer.concat([Buffer.from([6]), u16(length)])), expected: { type: 'get-body', length } })),
  fc.constant({ bytes: packet(Buffer.from([9])), expected: { type: 'cpong' } }),
)

/** Bytes that look like a packet often enough to reach the payload decoders. */
const packetish = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.constantFrom(3, 4, 5, 6, 9, 0, 2, 7, 8, 10, 255), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: -3, max: 3 })).map(([type, rest, skew]) => {
    const payload = Buffer.concat([Buffer.from([type]), Buffer.from(rest)])
    return Buffer.concat([Buffer.from('AB', 'latin1'), u16(Math.max(0, payload.length + skew)), payload])
  }),
  validMessage.map((m) => m.bytes),
  validMessage.chain((m) => fc.tuple(fc.nat(m.bytes.length - 1), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
    const mutated = Buffer.from(m.bytes)
    mutated[at] = byte
    return mutated
  })),
)
const stream = fc.array(packetish, { maxLength: 6 }).map((parts) => Buffer.concat(parts))
const cuts = fc.array(fc.nat(), { maxLength: 12 })

describe('decodeMessage (properties)', () => {
  it('any payload decodes or raises a typed AJP_ERR_*, never anything else', () => {
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom(3, 4, 5, 6, 9), fc.uint8Array({ maxLength: 200 })).map(([t, b]) => Buffer.concat([Buffer.from([t]), Buffer.from(b)])),
    )
    fc.assert(
      fc.property(payload, (p) => {
        try {
          decodeMessage(p)
        } catch (err) {
          expectTyped(err)
        }
      }),
      params(5_000),
    )
  }, TIMEOUT)

  it('decodes every valid message to what was encoded', () => {
    fc.assert(
      fc.property(validMessage, ({ bytes, expected }) => {
        expect(normal(decodeMessage(bytes.subarray(4)))).toEqual(expected)
      }),
      params(2_000),
    )
  }, TIMEOUT)
})

describe('AjpResponseParser (properties)', () => {
  it('any byte stream gives messages, then at most one typed AJP_ERR_*, never anything else', () => {
    fc.assert(
      fc.property(stream, cuts, fc.constantFrom(8192, 8192, 16384, 65536), (bytes, at, packetSize) => {
        // Reading goes on after the first error: the parser must stay failed, throwing that same
        // error on every later call and never handing out another message.
        const outcomes = runThrough(bytes, at, packetSize)
        const first = outcomes.findIndex((o) => 'thrown' in o)
        if (first < 0) return
        const after = outcomes.slice(first)
        expect(after.filter((o) => 'ok' in o)).toEqual([])
        const distinct = new Set(after.map((o) => (o as { thrown: unknown }).thrown))
        expect(distinct.size).toBe(1)
        // and the messages before it are what the stopping harness gives
        expect(outcomes.slice(0, first)).toEqual(run(bytes, at, packetSize).outcomes.filter((o) => 'ok' in o))
      }),
      params(3_000),
    )
  }, TIMEOUT)

  it('gives the same result however the stream is split', () => {
    fc.assert(
      fc.property(stream, cuts, (bytes, at) => {
        const whole = run(bytes, [])
        const split = run(bytes, at)
        expect(split.outcomes).toEqual(whole.outcomes)
        // without an error, what is left over does not depend on the split either
        if (!whole.outcomes.some((o) => 'error' in o)) expect(split.buffered).toBe(whole.buffered)
      }),
      params(3_000),
    )
  }, TIMEOUT)

  it('never reads past the messages taken: the bytes after them stay buffered, untouched', () => {
    fc.assert(
      fc.property(fc.array(validMessage, { minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 100 }), cuts, (messages, tail, at) => {
        const bytes = Buffer.concat([...messages.map((m) => m.bytes), Buffer.from(tail)])
        const parser = new AjpResponseParser()
        const points = [...new Set(at.map((c) => c % (bytes.length + 1))), bytes.length].sort((a, b) => a - b)
        let from = 0
        for (const to of points) {
          parser.push(Buffer.from(bytes.subarray(from, to)))
          from = to
        }
        const taken: unknown[] = []
        for (let i = 0; i < messages.length; i++) {
          const m = parser.next()
          expect(m).toBeDefined()
          taken.push(normal(m as AjpMessage))
        }
        expect(taken).toEqual(messages.map((m) => m.expected))
        expect(parser.buffered).toBe(tail.length)
      }),
      params(2_000),
    )
  }, TIMEOUT)

  it('refuses a declared length over packetSize before waiting for its bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(8192, 16384, 65536), fc.integer({ min: 1, max: 0xffff }), (packetSize, length) => {
        const parser = new AjpResponseParser(packetSize)
        parser.push(Buffer.concat([Buffer.from('AB', 'latin1'), u16(length)]))
        if (length > packetSize - 4) expect(() => parser.next()).toThrow(expect.objectContaining({ code: 'AJP_ERR_OVERSIZE' }))
        else expect(parser.next()).toBeUndefined()
      }),
      params(1_000),
    )
  }, TIMEOUT)
})
