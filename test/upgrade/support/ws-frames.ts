/**
 * RFC 6455 frames for the test client and the fake upstream: encode, and parse a byte stream.
 */
import { randomBytes } from 'node:crypto'

export const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const

export interface Frame {
  readonly fin: boolean
  readonly opcode: number
  readonly masked: boolean
  readonly payload: Buffer
}

export function encodeFrame(opcode: number, payload: Buffer, masked: boolean, fin = true): Buffer {
  const length = payload.length
  const head: number[] = [(fin ? 0x80 : 0) | opcode]
  const maskBit = masked ? 0x80 : 0
  if (length < 126) head.push(maskBit | length)
  else if (length < 65_536) head.push(maskBit | 126, length >> 8, length & 0xff)
  else {
    head.push(maskBit | 127)
    const big = Buffer.alloc(8)
    big.writeBigUInt64BE(BigInt(length))
    head.push(...big)
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload])
  const mask = randomBytes(4)
  const body = Buffer.alloc(length)
  for (let i = 0; i < length; i++) body[i] = (payload[i] as number) ^ (mask[i % 4] as number)
  return Buffer.concat([Buffer.from(head), mask, body])
}

export function closePayload(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason)
  const out = Buffer.alloc(2 + text.length)
  out.writeUInt16BE(code, 0)
  text.copy(out, 2)
  return out
}

/** Collects bytes and yields whole frames (unmasked). */
export class FrameParser {
  #buffer = Buffer.alloc(0)

  push(chunk: Buffer): Frame[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk])
    const frames: Frame[] = []
    for (;;) {
      const b = this.#buffer
      if (b.length < 2) break
      const len7 = (b[1] as number) & 0x7f
      const masked = ((b[1] as number) & 0x80) !== 0
      let offset = 2
      let length = len7
      if (len7 === 126) {
        if (b.length < 4) break
        length = b.readUInt16BE(2)
        offset = 4
      } else if (len7 === 127) {
        if (b.length < 10) break
        length = Number(b.readBigUInt64BE(2))
        offset = 10
      }
      const maskAt = offset
      if (masked) offset += 4
      if (b.length < offset + length) break
      const payload = Buffer.from(b.subarray(offset, offset + length))
      if (masked) for (let i = 0; i < length; i++) payload[i] = (payload[i] as number) ^ (b[maskAt + (i % 4)] as number)
      frames.push({ fin: ((b[0] as number) & 0x80) !== 0, opcode: (b[0] as number) & 0x0f, masked, payload })
      this.#buffer = b.subarray(offset + length)
    }
    return frames
  }
}
