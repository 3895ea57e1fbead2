import { describe, expect, it } from 'vitest'
import { FrameCursor, closeFrame } from './frames.js'
import { resolveUpgradeOptions, resolveUpgradeUrl, UPGRADE_DEFAULTS } from './options.js'

function frame(opcode: number, length: number, masked: boolean): Buffer {
  const mask = masked ? 0x80 : 0
  const head =
    length < 126
      ? [0x80 | opcode, mask | length]
      : length < 65_536
        ? [0x80 | opcode, mask | 126, length >> 8, length & 0xff]
        : [0x80 | opcode, mask | 127, 0, 0, 0, 0, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]
  return Buffer.concat([Buffer.from(head), masked ? Buffer.from([1, 2, 3, 4]) : Buffer.alloc(0), Buffer.alloc(length, 7)])
}

describe('FrameCursor', () => {
  it.each([0, 5, 125, 126, 300, 65_535, 65_536, 70_000])('follows a frame of %i bytes fed one byte at a time and at once', (length) => {
    for (const masked of [false, true]) {
      const bytes = frame(0x2, length, masked)
      const cursor = new FrameCursor()
      for (let i = 0; i < bytes.length; i++) {
        expect(cursor.atBoundary).toBe(i === 0)
        cursor.push(bytes.subarray(i, i + 1))
      }
      expect(cursor.atBoundary).toBe(true)
      const whole = new FrameCursor()
      whole.push(Buffer.concat([bytes, bytes]))
      expect(whole.atBoundary).toBe(true)
    }
  })

  it('stops at the first frame end when asked', () => {
    const one = frame(0x1, 10, false)
    const cursor = new FrameCursor()
    cursor.push(one.subarray(0, 4))
    expect(cursor.push(Buffer.concat([one.subarray(4), frame(0x1, 3, false)]), true)).toBe(one.length - 4)
    expect(cursor.atBoundary).toBe(true)
    expect(cursor.push(frame(0x1, 3, false), true)).toBe(0)
  })

  it('notices a close frame', () => {
    const cursor = new FrameCursor()
    cursor.push(frame(0x1, 3, true))
    expect(cursor.closeSeen).toBe(false)
    cursor.push(closeFrame(1000, '', true))
    expect(cursor.closeSeen).toBe(true)
  })
})

describe('closeFrame', () => {
  it('encodes code and reason, masked toward a member', () => {
    expect([...closeFrame(1001, 'bye', false)]).toEqual([0x88, 5, 0x03, 0xe9, 0x62, 0x79, 0x65])
    const masked = closeFrame(1001, 'bye', true)
    expect(masked[1]).toBe(0x80 | 5)
    const mask = masked.subarray(2, 6)
    const payload = Buffer.from(masked.subarray(6).map((b, i) => b ^ (mask[i % 4] as number)))
    expect(payload.readUInt16BE(0)).toBe(1001)
    expect(closeFrame(1001, 'x'.repeat(200), false).length).toBe(2 + 125)
  })
})

describe('upgrade options', () => {
  it('defaults and validation', () => {
    expect(resolveUpgradeOptions(undefined)).toEqual(UPGRADE_DEFAULTS)
    expect(resolveUpgradeOptions({ idleTimeout: 0, maxPerMember: 10 })).toEqual({ idleTimeout: 0, maxPerMember: 10, protocols: new Set(['websocket']), handshakeTimeout: 30_000, closeGrace: 5000 })
    expect(() => resolveUpgradeOptions({ closeGrace: 1.5 })).toThrow(/upgrade.closeGrace must be an integer number of milliseconds from 0 to 600000, got 1.5/)
    expect(() => resolveUpgradeOptions([] as never)).toThrow(/upgrade must be an object/)
  })

  it('upgradeUrl: an http(s) origin; ajp members have none by default', () => {
    expect(resolveUpgradeUrl(new URL('ajp://h:8009'), undefined, 'm')).toBeUndefined()
    expect(resolveUpgradeUrl(new URL('http://h:8080'), undefined, 'm')?.href).toBe('http://h:8080/')
    expect(resolveUpgradeUrl(new URL('ajp://h:8009'), 'https://h:8443/', 'm')?.href).toBe('https://h:8443/')
    expect(() => resolveUpgradeUrl(new URL('ajp://h:8009'), 'ws://h:8080', 'm')).toThrow(/m.upgradeUrl must be an http/)
    expect(() => resolveUpgradeUrl(new URL('ajp://h:8009'), 'nope', 'm')).toThrow(/not a valid URL/)
  })
})
