/**
 * Drives one exchange over one AJP connection: streams the client's request body to Tomcat as it
 * asks for it, and Tomcat's answer to the client response, with backpressure both ways.
 *
 * Rules it keeps (the AJP13 body and response flow as Tomcat implements it):
 * - the first body packet goes unsolicited only when Content-Length > 0; after that exactly one
 *   packet per GET_BODY_CHUNK, never more than asked, and the empty packet once the body is over;
 *   a container that keeps asking after that is cut off after {@link MAX_EMPTY_REPLIES};
 * - reading and writing run concurrently (Tomcat may ask for body after it started answering);
 * - the client response is corked while a batch of messages from one socket read is written, so a
 *   small response leaves in one write; it is uncorked at the end of each batch, on a flush packet
 *   and whenever the client pushes back;
 * - any doubt about the connection (client abort, accounting mismatch, bytes after END_RESPONSE,
 *   protocol fault, timeout) closes it instead of returning it to the pool.
 *
 * This file is long because one exchange is one state machine (as undici's HTTP/1 client is):
 * split into phases, the rules above would be spread over files that each see half of them.
 *
 * @module
 */
import { Readable } from 'node:stream'
import type { ServerResponse } from 'node:http'
import {
  BadRequestError,
  UpstreamResetError,
  UpstreamStatusError,
  UpstreamTimeoutError,
  toGatewayError,
  type LbError,
} from '../../errors.js'
import { isRepeatable } from '../../failover-policy.js'
import { writeToClient } from '../../proxy/client-backpressure.js'
import { ClientWatch, type ClientTimeouts } from '../../proxy/client-timeouts.js'
import type { ClientTimeoutError } from '../client-timeout.js'
import type { Exchange, ForwardResult, ResponseHeaders } from '../transport.js'
import type { AjpConnection, ConnectionListener } from './connection.js'
import { EMPTY_BODY_PACKET } from './constants.js'
import { AjpProtocolError, AjpSecretRejectedError, type AjpProtocolErrorCode } from './errors.js'
import { encodeBodyChunkHead, maxBodyChunk } from './forward-request.js'
import type { ResolvedAjpTransportOptions } from './options.js'
import type { AjpPool } from './pool.js'
import type { SendHeadersMessage } from './response-decoder.js'

/** GET_BODY_CHUNKs answered with the empty packet before the container is cut off (Tomcat asks once). */
export const MAX_EMPTY_REPLIES = 4

/** Most body bytes of a 403 held back while deciding whether the connector refused the request. */
export const DEFERRED_BODY_LIMIT = 16 * 1024

/** Status reported for an exchange the client abandoned before the response head (nginx's 499). */
export const CLIENT_CLOSED_STATUS = 499

/** 1 to 15 decimal digits (what `^\d{1,15}$` matches), without a regular expression per response. */
function isDecimal(text: string): boolean {
  const n = text.length
  if (n === 0 || n > 15) return false
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return false
  }
  return true
}

function protocolError(code: AjpProtocolErrorCode, message: string): LbError {
  return toGatewayError(new AjpProtocolError(code, message))
}

/** A chunk read from the body stream as bytes; undefined for none. */
function toBuffer(read: unknown): Buffer | undefined {
  if (read === null || read === undefined) return undefined
  const data = typeof read === 'string' ? Buffer.from(read, 'latin1') : (read as Buffer)
  return data.length === 0 ? undefined : data
}

/** Listener that keeps a client request's `'error'` from being unhandled. */
function ignoreError(): void {}

/** @internal */
export interface DriverSettings {
  readonly pool: AjpPool
  readonly options: ResolvedAjpTransportOptions
  /** Called when the connector rejected the request as a configuration fault (wrong secret). */
  readonly onSecretRejected: (err: AjpSecretRejectedError) => void
  readonly memberId: string
  /** How long the client may stall its body, or its reading of the response. */
  readonly clientTimeouts: ClientTimeouts
}

/** @internal */
export class RequestDriver implements ConnectionListener {
  readonly #exchange: Exchange
  /** Where the body comes from: the client request, or the balancer's buffered copy of it. */
  readonly #req: Readable
  readonly #res: ServerResponse
  readonly #settings: DriverSettings
  readonly #packet: Buffer
  readonly #maxChunk: number
  readonly #headRequest: boolean

  #conn: AjpConnection | undefined
  #settled = false
  #resolve!: (result: ForwardResult) => void
  #reject!: (err: LbError) => void

  // response side
  #status = 0
  #headSent = false
  /**
   * The member's head, kept until its first body packet, flush or END_RESPONSE: until then nothing
   * of the answer has reached the client, so a failure is still answered with a status (502, 504)
   * instead of an empty reply.
   */
  #heldHead: SendHeadersMessage | undefined
  #deferredHead: SendHeadersMessage | undefined
  #deferredBody: Buffer[] | undefined
  #deferredBytes = 0
  #announcedLength: number | undefined
  #noBody = false
  #bytesIn = 0
  #corked = false
  #awaitingClientDrain = false
  #anyMessage = false
  #retried = false
  /**
   * The reply timer ran out while we waited for the client (its body, or its reading of the
   * response), not for the member: it is restarted once the client moves.
   */
  #timerLapsedOnClient = false
  /** The client left after the whole response; the exchange is read on to END_RESPONSE. */
  #clientGone = false
  /**
   * The balancer declined the answer (settled with `UpstreamStatusError`); its body is read on and
   * dropped to END_RESPONSE, so the connection can be reused, as after a client that left.
   */
  #declined = false

  // request side
  /** Bytes of body still to send when the length is known; -1 for a streamed body. */
  #remaining: number
  #bodyOver: boolean
  #reqEnded = false
  /** Tomcat asked for body that the client has not sent yet. */
  #awaitingClientBody = false
  #listening = false
  /** The body listeners on the client request, while they are on (requests with a body only). */
  #clientListeners: { readonly readable: () => void; readonly end: () => void } | undefined
  #leftover: Buffer | undefined
  /**
   * The size of the body packet Tomcat asked for and we still owe (the unsolicited first packet
   * counts as one); 0 when none is owed. Never more than one: a GET_BODY_CHUNK while one is owed is
   * a protocol error.
   */
  #owed = 0
  #emptyReplies = 0
  #bytesOut = 0
  #awaitingUpstreamDrain = false
  /** The waits on the client, against `clientBodyTimeout` / `clientSendTimeout`; made on the first one. */
  #watch: ClientWatch | undefined
  // Listeners made on first use: most exchanges never wait for a drain.
  #clientDrain: (() => void) | undefined
  #upstreamDrain: (() => void) | undefined

  constructor(exchange: Exchange, packet: Buffer, contentLength: number | undefined, settings: DriverSettings) {
    this.#exchange = exchange
    this.#req = exchange.body === undefined ? exchange.req : Readable.from([exchange.body], { objectMode: false })
    this.#res = exchange.res
    this.#settings = settings
    this.#packet = packet
    this.#maxChunk = maxBodyChunk(settings.options.packetSize)
    this.#headRequest = exchange.method === 'HEAD'
    this.#remaining = contentLength ?? -1
    this.#bodyOver = contentLength === 0
    if (contentLength !== undefined && contentLength > 0) this.#owed = this.#maxChunk
  }

  /** Runs the exchange; settles once, as the Transport contract says. */
  run(): Promise<ForwardResult> {
    const done = new Promise<ForwardResult>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.#res.on('close', this.#onClientClose)
    // An aborted upload: `res` closes too and #onClientClose settles; the error itself is ignored.
    if (this.#remaining !== 0) this.#req.on('error', ignoreError)
    const pool = this.#settings.pool
    // An idle connection starts the exchange at once; connecting, CPING or queueing go async.
    const idle = pool.tryAcquire()
    if (idle !== undefined) this.#start(idle)
    else pool.acquire().then(
      (conn) => this.#start(conn),
      (err: unknown) => this.#fail(toGatewayError(err)),
    )
    return done
  }

  #start(conn: AjpConnection): void {
    if (this.#settled) {
      this.#settings.pool.release(conn, true) // the client left while we waited; the socket is clean
      return
    }
    this.#conn = conn
    conn.attach(this)
    conn.setTimer(this.#settings.options.replyTimeout)
    conn.write(this.#packet)
    if (this.#remaining !== 0 && !this.#listening) {
      // Paused-mode reading: client bytes are pulled only when a packet is owed (backpressure).
      this.#listening = true
      const listeners = { readable: () => this.#pumpBody(), end: () => this.#onClientEnd() }
      this.#clientListeners = listeners
      this.#req.on('readable', listeners.readable)
      this.#req.on('end', listeners.end)
    }
    if (this.#owed > 0) this.#pumpBody()
  }

  // ---- container → client ------------------------------------------------------------------

  /** @internal ConnectionListener */
  onData(): void {
    this.#pumpMessages()
  }

  /** @internal ConnectionListener */
  onClose(err: Error | undefined): void {
    if (this.#declined) return this.#abandonDrain()
    if (this.#settled) return
    const conn = this.#conn
    // A reused socket the member had already closed: nothing of the request body was read and
    // not a byte came back, so a repeatable request (idempotent, no body) may go once more on a
    // fresh socket. Anything else may have run on the member already: never send it twice.
    if (
      conn && conn.exchanges > 0 && !this.#anyMessage && conn.parser.buffered === 0 && this.#bytesOut === 0 &&
      this.#leftover === undefined && !this.#retried && !this.#headSent && isRepeatable(this.#exchange.req)
    ) {
      this.#retried = true
      this.#conn = undefined
      this.#settings.pool.acquire(true).then(
        (fresh) => this.#start(fresh),
        (e: unknown) => this.#fail(toGatewayError(e)),
      )
      return
    }
    const code = (err as { code?: string } | undefined)?.code
    this.#fail(new UpstreamResetError(`member ${this.#settings.memberId} closed the AJP connection before END_RESPONSE${code ? ` (${code})` : ''}`, err))
  }

  /** @internal ConnectionListener */
  onTimeout(): void {
    if (this.#awaitingClientDrain || this.#awaitingClientBody) {
      // The member is not late: the client is. The timer is restarted once the client moves.
      this.#timerLapsedOnClient = true
      return
    }
    this.#fail(new UpstreamTimeoutError(`member ${this.#settings.memberId} sent nothing for ${this.#settings.options.replyTimeout} ms`))
  }

  #pumpMessages(): void {
    const conn = this.#conn
    if (!conn) return
    while ((!this.#settled || this.#declined) && !this.#awaitingClientDrain) {
      let msg
      try {
        msg = conn.parser.next()
      } catch (err) {
        this.#fail(toGatewayError(err))
        return
      }
      if (msg === undefined) break
      this.#anyMessage = true
      if (this.#declined) {
        // reading a declined answer on: body dropped, END_RESPONSE frees the connection, anything else closes it
        if (msg.type === 'body') continue
        if (msg.type === 'end') this.#endDrain(msg.reuse)
        else this.#abandonDrain()
        return
      }
      switch (msg.type) {
        case 'get-body':
          if (this.#owed > 0) {
            this.#fail(protocolError('AJP_ERR_UNEXPECTED_MESSAGE', 'GET_BODY_CHUNK while a body packet is still owed'))
            return
          }
          if (msg.length === 0) {
            this.#fail(protocolError('AJP_ERR_BAD_LENGTH', 'GET_BODY_CHUNK asking for 0 bytes'))
            return
          }
          this.#owed = Math.min(msg.length, this.#maxChunk)
          this.#pumpBody()
          break
        case 'headers':
          // 1xx before the final answer (103 Early Hints, 102 Processing): dropped, as on the HTTP
          // transports. 101 stays an error: AJP cannot carry an upgrade.
          if (msg.status < 200 && msg.status !== 101 && !this.#headSent && !this.#heldHead && !this.#deferredHead) break
          if (this.#headSent || this.#heldHead || this.#deferredHead) {
            this.#fail(protocolError('AJP_ERR_UNEXPECTED_MESSAGE', 'a second SEND_HEADERS'))
            return
          }
          this.#onHeaders(msg)
          break
        case 'body':
          if (this.#deferredHead) {
            this.#deferBody(msg.data)
            break
          }
          if (!this.#headSent && !this.#heldHead) {
            if (msg.data.length === 0) break // stray flush before the head: ignored, as mod_jk does
            this.#fail(protocolError('AJP_ERR_UNEXPECTED_MESSAGE', 'SEND_BODY_CHUNK before SEND_HEADERS'))
            return
          }
          this.#onBody(msg.data)
          break
        case 'end':
          this.#onEnd(msg.reuse)
          return
        case 'cpong':
          this.#fail(protocolError('AJP_ERR_UNEXPECTED_MESSAGE', 'CPONG during an exchange'))
          return
      }
    }
    this.#uncork()
  }

  #onHeaders(msg: SendHeadersMessage): void {
    if (msg.status < 200) {
      this.#fail(protocolError('AJP_ERR_BAD_STATUS', `final status ${msg.status}`))
      return
    }
    const headers = msg.headers
    // AJP frames the body itself; the client framing is ours.
    if (headers['transfer-encoding'] !== undefined) delete headers['transfer-encoding']
    this.#noBody = this.#headRequest || msg.status === 204 || msg.status === 205 || msg.status === 304
    const length = headers['content-length']
    if (length !== undefined) {
      if (typeof length !== 'string' || !isDecimal(length) || msg.status === 204) delete headers['content-length']
      else if (!this.#noBody) this.#announcedLength = Number(length)
    }
    // The connector answers a wrong secret (or a refused attribute) with a 403 error page and
    // END_RESPONSE reuse=0; an application's 403 ends with reuse=1. Hold a 403 (head and up to
    // DEFERRED_BODY_LIMIT bytes of body) until END_RESPONSE tells which one this is.
    if (msg.status === 403) this.#deferredHead = msg
    else this.#heldHead = msg
  }

  /** The first body packet (or flush, or END_RESPONSE) came: the held head goes to the client with it. */
  #releaseHeldHead(): void {
    const head = this.#heldHead as SendHeadersMessage
    this.#heldHead = undefined
    this.#sendHead(head)
  }

  #deferBody(data: Buffer): void {
    if (data.length === 0) return
    this.#deferredBytes += data.length
    ;(this.#deferredBody ??= []).push(data)
    if (this.#deferredBytes > DEFERRED_BODY_LIMIT) this.#releaseDeferred()
  }

  /** The held 403 is the application's: send it on. */
  #releaseDeferred(): void {
    const head = this.#deferredHead as SendHeadersMessage
    this.#deferredHead = undefined
    this.#sendHead(head)
    const body = this.#deferredBody ?? []
    this.#deferredBody = undefined
    for (const chunk of body) {
      if (this.#settled) return
      this.#onBody(chunk)
    }
  }

  #sendHead(msg: SendHeadersMessage): void {
    this.#status = msg.status
    this.#headSent = true
    this.#res.cork()
    this.#corked = true
    try {
      if (!this.#exchange.sendResponseHead(msg.status, msg.headers as ResponseHeaders)) {
        // Declined (a failOnStatus answer the balancer tries elsewhere): nothing reached the client.
        this.#headSent = false
        this.#corked = false
        this.#res.uncork()
        this.#decline(new UpstreamStatusError(msg.status))
      }
    } catch (err) {
      this.#fail(toGatewayError(err))
    }
  }

  #onBody(data: Buffer): void {
    if (data.length === 0) {
      // A flush (the application flushed its output): the head goes now, even before any body.
      if (this.#heldHead) {
        this.#releaseHeldHead()
        if (this.#settled) return
        if (!this.#res.destroyed) this.#res.flushHeaders()
      }
      this.#uncork()
      return
    }
    this.#bytesIn += data.length
    if (this.#announcedLength !== undefined && this.#bytesIn > this.#announcedLength) {
      this.#fail(protocolError('AJP_ERR_BODY_LENGTH_MISMATCH', `more body than the announced ${this.#announcedLength} bytes`))
      return
    }
    if (this.#heldHead) {
      this.#releaseHeldHead()
      if (this.#settled) return
    }
    if (this.#noBody || this.#res.destroyed) return
    if (!this.#corked) {
      this.#res.cork()
      this.#corked = true
    }
    if (!writeToClient(this.#res, data)) {
      this.#awaitingClientDrain = true
      this.#clientWatch().awaitReader()
      this.#uncork()
      this.#conn?.pauseReading()
      this.#res.once('drain', (this.#clientDrain ??= () => this.#onClientDrain()))
    }
  }

  #onClientDrain(): void {
    if (this.#settled) return
    this.#awaitingClientDrain = false
    this.#watch?.readerMoved()
    this.#conn?.resumeReading()
    this.#clientMoved()
    this.#pumpMessages()
  }

  #clientWatch(): ClientWatch {
    return (this.#watch ??= new ClientWatch(this.#res, this.#settings.clientTimeouts, (error) => this.#clientStalled(error)))
  }

  /**
   * The client stalled past its timeout (its body, or its reading of the response): the exchange
   * ends, its AJP connection is closed (never reused mid-exchange), and Tomcat's thread is freed.
   */
  #clientStalled(error: ClientTimeoutError): void {
    this.#fail(error)
  }

  /** The client read or sent again: a reply timer that ran out meanwhile starts afresh. */
  #clientMoved(): void {
    if (this.#timerLapsedOnClient) {
      this.#timerLapsedOnClient = false
      this.#conn?.restartTimer()
    }
  }

  #onEnd(reuse: boolean): void {
    const conn = this.#conn as AjpConnection
    if (this.#deferredHead) {
      if (!reuse) {
        const err = new AjpSecretRejectedError(this.#settings.memberId)
        this.#settings.onSecretRejected(err)
        this.#fail(toGatewayError(err))
        return
      }
      this.#releaseDeferred()
      if (this.#settled) return this.#declined ? this.#endDrain(reuse) : undefined
    }
    if (this.#heldHead) {
      this.#releaseHeldHead()
      if (this.#settled) return this.#declined ? this.#endDrain(reuse) : undefined
    }
    if (!this.#headSent) {
      this.#fail(protocolError('AJP_ERR_NO_HEADERS', 'END_RESPONSE without SEND_HEADERS'))
      return
    }
    if (this.#settled) return
    if (this.#announcedLength !== undefined && this.#bytesIn !== this.#announcedLength) {
      this.#fail(protocolError('AJP_ERR_BODY_LENGTH_MISMATCH', `${this.#bytesIn} body bytes instead of the announced ${this.#announcedLength}`))
      return
    }
    // Tomcat never ends while a packet it asked for is unanswered; if we still owe one, or bytes
    // follow END_RESPONSE, the two sides disagree: do not reuse.
    const clean = reuse && this.#owed === 0 && !this.#awaitingUpstreamDrain
    this.#settled = true
    this.#watch?.stop()
    this.#conn = undefined
    // release() arms the idle timer (or closes the socket): no need to disarm the reply timer first.
    this.#settings.pool.release(conn, clean)
    if (!this.#clientGone) {
      this.#stopReadingClient()
      // Uncork before end(): Node 24 writes the chunked terminator ahead of data still corked.
      this.#uncork()
      this.#res.end()
    }
    this.#resolve({ status: this.#status, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut })
  }

  /**
   * Whether the client has received the whole response: the head, and all of a body whose length
   * was announced (or no body at all), with nothing left waiting for the client to read.
   */
  #responseDelivered(): boolean {
    if (!this.#headSent || this.#awaitingClientDrain) return false
    return this.#noBody || (this.#announcedLength !== undefined && this.#bytesIn === this.#announcedLength)
  }

  #uncork(): void {
    if (this.#corked) {
      this.#corked = false
      this.#res.uncork()
    }
  }

  // ---- client → container ------------------------------------------------------------------

  #onClientEnd(): void {
    this.#reqEnded = true
    this.#pumpBody()
  }

  /** Answers what Tomcat asked for, as far as client data allows. */
  #pumpBody(): void {
    const conn = this.#conn
    if (!conn || this.#settled) return
    if (this.#awaitingClientBody) {
      this.#awaitingClientBody = false
      this.#watch?.bodyMoved()
      this.#clientMoved()
    }
    while (this.#owed > 0 && !this.#awaitingUpstreamDrain) {
      if (this.#bodyOver) {
        this.#owed = 0
        if (++this.#emptyReplies > MAX_EMPTY_REPLIES) {
          this.#fail(protocolError('AJP_ERR_BODY_OVERREAD', `the member asked for body ${this.#emptyReplies} times after it ended`))
          return
        }
        conn.write(EMPTY_BODY_PACKET)
        continue
      }
      const want = this.#remaining >= 0 ? Math.min(this.#owed, this.#remaining) : this.#owed
      const chunk = this.#read(want)
      if (chunk === undefined) {
        if (!this.#reqEnded) {
          // Waiting for the client, not for the member: the reply timer does not count (onTimeout);
          // clientBodyTimeout does.
          this.#awaitingClientBody = true
          this.#clientWatch().awaitBody()
          return
        }
        if (this.#remaining > 0) {
          this.#fail(new BadRequestError(`the request body ended ${this.#remaining} bytes before its Content-Length`))
          return
        }
        this.#bodyOver = true
        continue
      }
      this.#owed = 0
      this.#bytesOut += chunk.length
      if (this.#remaining >= 0) {
        this.#remaining -= chunk.length
        if (this.#remaining === 0) this.#bodyOver = true
      }
      if (!conn.writeBody(encodeBodyChunkHead(chunk.length, this.#settings.options.packetSize), chunk)) {
        this.#awaitingUpstreamDrain = true
        conn.onceDrain((this.#upstreamDrain ??= () => this.#onUpstreamDrain()))
      }
    }
  }

  #onUpstreamDrain(): void {
    this.#awaitingUpstreamDrain = false
    this.#pumpBody()
  }

  /**
   * Up to `want` bytes of client body, or undefined when none is buffered yet. A packet is filled
   * across the client's chunks whenever the client has that much buffered (as mod_jk fills its
   * buffer): only the last packet before the client pauses is short. Taking whatever one chunk
   * held instead ended every 64 KiB chunk with a 48-byte packet, and a round trip for it.
   */
  #read(want: number): Buffer | undefined {
    const req = this.#req
    let data = this.#leftover
    this.#leftover = undefined
    if (data === undefined) {
      // Exactly `want` bytes when that much is buffered (the stream joins its chunks), else all of it.
      const read: unknown = req.readableLength >= want ? req.read(want) : req.read()
      data = toBuffer(read)
      if (data === undefined) return undefined
    } else if (data.length < want && req.readableLength > 0) {
      const more = toBuffer(req.read(Math.min(want - data.length, req.readableLength)))
      if (more !== undefined) data = Buffer.concat([data, more], data.length + more.length)
    }
    if (data.length > want) {
      this.#leftover = data.subarray(want)
      return data.subarray(0, want)
    }
    return data
  }

  #stopReadingClient(): void {
    // Never listened (no body): Node dumps whatever the client sends once the response ends.
    if (!this.#unlistenClient()) return
    // The member did not read the whole body: discard the rest so the client connection stays
    // usable (as mod_jk does); Node would dump it too.
    if (!this.#req.readableEnded) this.#req.resume()
  }

  /** Removes the body listeners, if any were added; returns whether there were. */
  #unlistenClient(): boolean {
    const listeners = this.#clientListeners
    if (listeners === undefined) return false
    this.#clientListeners = undefined
    this.#req.off('readable', listeners.readable)
    this.#req.off('end', listeners.end)
    return true
  }

  // ---- endings ----------------------------------------------------------------------------

  readonly #onClientClose = (): void => {
    if (this.#settled || this.#res.writableFinished || this.#clientGone) return
    if (this.#conn !== undefined && this.#responseDelivered() && this.#bodyOver) {
      // The client has the whole response (its Content-Length was met) and left before Tomcat's
      // END_RESPONSE: read on to END_RESPONSE, as mod_jk does, so the connection can be reused.
      // The reply timer still runs; anything unexpected still closes the connection.
      this.#clientGone = true
      this.#stopReadingClient()
      return
    }
    // The client went away: the AJP exchange cannot finish cleanly; close it, never reuse it.
    this.#settled = true
    this.#watch?.stop()
    this.#conn?.destroy()
    this.#conn = undefined
    this.#stopReadingClient()
    this.#resolve({ status: this.#headSent ? this.#status : CLIENT_CLOSED_STATUS, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut })
  }

  /**
   * The balancer declined the answer: the promise rejects now, and when the request body is all
   * sent and nothing is owed, the rest of the answer is read on and dropped (see {@link #declined});
   * otherwise the connection is closed.
   */
  #decline(err: LbError): void {
    if (this.#settled) return
    if (!this.#bodyOver || this.#owed > 0 || this.#conn === undefined) return this.#fail(err)
    this.#settled = true
    this.#declined = true
    this.#watch?.stop()
    this.#unlistenClient()
    this.#reject(err)
  }

  /** END_RESPONSE of a declined answer: the connection goes back to the pool when it is clean. */
  #endDrain(reuse: boolean): void {
    const conn = this.#conn
    this.#declined = false
    this.#conn = undefined
    if (conn) this.#settings.pool.release(conn, reuse && this.#owed === 0)
  }

  /** A declined answer that did not end cleanly: its connection is closed. */
  #abandonDrain(): void {
    this.#declined = false
    this.#conn?.destroy()
    this.#conn = undefined
  }

  #fail(err: LbError): void {
    if (this.#declined) return this.#abandonDrain()
    if (this.#settled) return
    this.#settled = true
    this.#watch?.stop()
    const conn = this.#conn
    this.#conn = undefined
    conn?.destroy()
    this.#unlistenClient()
    if (this.#headSent) {
      // Too late for an error page: the client sees an aborted response.
      this.#corked = false
      this.#res.destroy()
    }
    this.#reject(err)
  }
}
