/**
 * The AJP member of the transport conformance suite: the in-process fake container of the AJP
 * tests, reading request bodies as Tomcat does (the unsolicited first packet, then one per
 * GET_BODY_CHUNK) and answering with the packets a {@link MemberBehaviour} names. The framing
 * faults are AJP's own: a SEND_HEADERS that announces more headers than it carries, and a packet
 * of a type that does not exist.
 *
 * @module
 * @internal
 */
import {
  CPONG,
  containerPacket,
  endResponse,
  getBodyChunk,
  sendBody,
  sendHeaders,
  startFakeAjp,
  str,
  u16,
  type DecodedForward,
  type FakeConnection,
} from '../../../test/ajp/support/fake-ajp-server.js'
import type { ConformanceMember, MemberBehaviour } from '../conformance.suite.js'

/** Starts the member on 127.0.0.1:0. */
export async function startAjpConformanceMember(): Promise<ConformanceMember> {
  let behaviour: MemberBehaviour = { kind: 'silent' }
  const bodies: Buffer[] = []
  const state = { closed: 0, bodyBytes: 0 }

  /** The request body, counted as it arrives: by its Content-Length, or chunk by chunk when it has none. */
  async function readBody(conn: FakeConnection, forward: DecodedForward): Promise<Buffer> {
    const declared = forward.headers.find(([name]) => name === 0xa008 || (typeof name === 'string' && name.toLowerCase() === 'content-length'))?.[1]
    const parts: Buffer[] = []
    let total = 0
    const length = declared === undefined ? Infinity : Number(declared)
    if (declared === undefined) conn.write(getBodyChunk())
    while (total < length) {
      if (total > 0) conn.write(getBodyChunk())
      const packet = await conn.next(30_000)
      if (packet.kind !== 'data' || packet.data.length === 0) break
      parts.push(packet.data)
      total += packet.data.length
      state.bodyBytes += packet.data.length
    }
    return Buffer.concat(parts)
  }

  function answer(conn: FakeConnection): void {
    const b = behaviour
    const socket = conn.socket
    switch (b.kind) {
      case 'answer':
        conn.write(sendHeaders(b.status, b.headers.map(([n, v]) => [n, v] as [string, string])), ...(b.body === '' ? [] : [sendBody(b.body)]), endResponse(true))
        return
      case 'silent':
        return
      case 'close-before-head':
        socket.destroy()
        return
      case 'fail-after-head':
        conn.write(sendHeaders(200, [['Content-Type', 'text/plain'], ['Content-Length', '100']]), sendBody('partial'))
        setTimeout(() => socket.resetAndDestroy(), 50)
        return
      case 'drip': {
        conn.write(sendHeaders(200, [['Content-Type', 'text/plain']]))
        const drip = setInterval(() => conn.write(sendBody('drip\n')), 20)
        socket.on('close', () => clearInterval(drip))
        return
      }
      case 'conflicting-framing':
        // SEND_HEADERS announcing five headers and carrying none
        conn.write(containerPacket(Buffer.concat([Buffer.from([4]), u16(200), str('OK'), u16(5)])))
        return
      case 'invalid-head':
        conn.write(containerPacket(Buffer.from([0x42, 0, 0])))
        return
    }
  }

  const fake = await startFakeAjp(async (conn) => {
    conn.socket.on('close', () => void state.closed++)
    for (;;) {
      const packet = await conn.next(60_000)
      if (packet.kind === 'eof') return
      if (packet.kind === 'cping') {
        conn.write(CPONG)
        continue
      }
      if (packet.kind !== 'forward') throw new Error('expected FORWARD_REQUEST')
      bodies.push(await readBody(conn, packet.request))
      answer(conn)
    }
  })
  return {
    url: `ajp://127.0.0.1:${fake.port}`,
    get accepted() {
      return fake.accepted.length
    },
    get closed() {
      return state.closed
    },
    get bodyBytes() {
      return state.bodyBytes
    },
    bodies,
    behave(next: MemberBehaviour): void {
      behaviour = next
    },
    close: () => fake.close(),
  }
}
