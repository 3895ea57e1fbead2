/**
 * Just enough of RFC 6455 framing for a proxy that must end a WebSocket cleanly: build a close
 * frame, and follow frame boundaries in a byte stream so the close frame is never written into
 * the middle of a frame that is being relayed.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'

/** Close code 1001: the endpoint is going away (server shutdown, member stopped, idle timeout). */
export const CLOSE_GOING_AWAY = 1001

const OPCODE_CLOSE = 0x8

/**
 * A close frame (RFC 6455 §5.5.1) with `code` and a UTF-8 `reason` (cut to fit the 125-byte
 * control-frame payload). `masked` for frames a client sends (to the member), unmasked toward the
 * client.
 *
 * @example
 * ```ts
 * socket.write(closeFrame(1001, 'member stopped', false))
 * ```
 */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  let text = Buffer.from(reason, 'utf8')
  if (text.length > 123) text = text.subarray(0, 123)
  const payload = Buffer.alloc(2 + text.length)
  payload.writeUInt16BE(code, 0)
  text.copy(payload, 2)
  const header = Buffer.from([0x80 | OPCODE_CLOSE, (masked ? 0x80 : 0) | payload.length])
  if (!masked) return Buffer.concat([header, payload])
  const mask = randomBytes(4)
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number)
  return Buffer.concat([header, mask, payload])
}

/**
 * Follows frame boundaries in one direction of a WebSocket stream. Fed every byte that was
 * relayed, in order; it only reads headers (payload is skipped by count, never copied).
 */
export class FrameCursor {
  /** Header bytes collected for the frame being read (up to 14). */
  readonly #header = Buffer.alloc(14)
  #headerLength = 0
  /** Payload bytes of the current frame still to come. */
  #remaining = 0
  #closeSeen = false

  /** Whether the bytes fed so far end exactly at the end of a frame. */
  get atBoundary(): boolean {
    return this.#headerLength === 0 && this.#remaining === 0
  }

  /** Whether a close frame has started in this direction (no second one may be sent). */
  get closeSeen(): boolean {
    return this.#closeSeen
  }

  /**
   * Feeds `chunk`; with `untilBoundary`, stops at the first frame end and returns how many bytes
   * were taken (0 when already at a boundary). Returns `chunk.length` otherwise.
   */
  push(chunk: Buffer, untilBoundary = false): number {
    let i = 0
    while (i < chunk.length) {
      if (untilBoundary && this.atBoundary) return i
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - i)
        this.#remaining -= take
        i += take
        continue
      }
      this.#header[this.#headerLength++] = chunk[i++] as number
      this.#completeHeader()
    }
    return i
  }

  /** Once the header is whole, switches to counting payload bytes. */
  #completeHeader(): void {
    const h = this.#header
    if (this.#headerLength < 2) return
    const len7 = (h[1] as number) & 0x7f
    const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0
    const size = 2 + extended + ((h[1] as number) & 0x80 ? 4 : 0)
    if (this.#headerLength < size) return
    const length = len7 === 126 ? h.readUInt16BE(2) : len7 === 127 ? Number(h.readBigUInt64BE(2)) : len7
    if (((h[0] as number) & 0x0f) === OPCODE_CLOSE) this.#closeSeen = true
    this.#headerLength = 0
    this.#remaining = length
  }
}
