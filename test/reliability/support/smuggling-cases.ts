/**
 * Request smuggling shapes aimed at the member-bound connection: a body that is itself (the start
 * of) a request, on methods whose body a library may forget to frame, and `Connection` headers
 * that name the headers framing, routing or the client's identity depend on. Shared by the
 * in-process byte-level test and the test against real Tomcat; the target path is given.
 *
 * @module
 */

/** The start of a request the next user's request would complete (its headers then land in it). */
export const PREFIX_BODY = 'GET /smuggled HTTP/1.1\r\nX-Ignore: '

/** A complete request as a body. */
export const COMPLETE_BODY = 'GET /smuggled HTTP/1.1\r\nHost: front\r\n\r\n'

/** `body` in chunks cut at `cuts`, with an optional chunk extension on each and trailer lines. */
export function chunked(body: string, { cuts = [], extension = '', trailers = '' }: { cuts?: number[]; extension?: string; trailers?: string } = {}): string {
  let out = ''
  let from = 0
  for (const to of [...cuts, body.length]) {
    if (to > from) out += `${(to - from).toString(16)}${extension}\r\n${body.slice(from, to)}\r\n`
    from = to
  }
  return `${out}0\r\n${trailers}\r\n`
}

export interface SmuggleCase {
  readonly name: string
  readonly method: string
  /** Header lines after `Host`, each ending in CRLF. */
  readonly headers: string
  /** What follows the head on the wire. */
  readonly wireBody: string
  /** 200 (forwarded) or 400 (refused by the balancer). */
  readonly status: 200 | 400
  /** The body the member must read (de-chunked), when forwarded. */
  readonly body?: string
  /** How the member must see it framed, when forwarded. */
  readonly framing?: 'length' | 'chunked' | 'none'
  /** Headers (lower case) that must reach the member / must not. */
  readonly kept?: readonly string[]
  readonly dropped?: readonly string[]
}

/** Every shape; the target is filled in by the caller. */
export function smuggleCases(smuggled = { prefix: PREFIX_BODY, complete: COMPLETE_BODY }): SmuggleCase[] {
  const { prefix, complete } = smuggled
  const cases: SmuggleCase[] = []
  // A chunked body on every method: framed chunked, never raw after the head.
  for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT', 'PATCH']) {
    cases.push({ name: `${method} with a chunked body holding the start of a request`, method, headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(prefix), status: 200, body: prefix, framing: 'chunked' })
  }
  // A Content-Length body on the methods a library frames by default as bodiless.
  for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS']) {
    cases.push({ name: `${method} with a Content-Length body holding the start of a request`, method, headers: `Content-Length: ${prefix.length}\r\n`, wireBody: prefix, status: 200, body: prefix, framing: 'length' })
  }
  cases.push(
    { name: 'GET whose chunked body is a complete request, in three chunks', method: 'GET', headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(complete, { cuts: [3, 20] }), status: 200, body: complete, framing: 'chunked' },
    { name: 'DELETE whose chunked body is a complete request followed by a partial one', method: 'DELETE', headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(complete + prefix), status: 200, body: complete + prefix, framing: 'chunked' },
    { name: 'GET whose Content-Length body looks like a last chunk and a request (CL.TE)', method: 'GET', headers: `Content-Length: ${`0\r\n\r\n${prefix}`.length}\r\n`, wireBody: `0\r\n\r\n${prefix}`, status: 200, body: `0\r\n\r\n${prefix}`, framing: 'length' },
    { name: 'POST whose chunked body is chunked framing itself (TE.TE)', method: 'POST', headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(`5\r\nhello\r\n0\r\n\r\n${prefix}`), status: 200, body: `5\r\nhello\r\n0\r\n\r\n${prefix}`, framing: 'chunked' },
    { name: 'PUT with a Content-Length body holding a complete request', method: 'PUT', headers: `Content-Length: ${complete.length}\r\n`, wireBody: complete, status: 200, body: complete, framing: 'length' },
    { name: 'GET with a zero-length chunked body', method: 'GET', headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(''), status: 200, body: '', framing: 'chunked' },
    { name: 'OPTIONS with a chunked body and trailers (trailers are not forwarded)', method: 'OPTIONS', headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(prefix, { trailers: 'X-Trailer: evil\r\nX-Forwarded-For: 10.0.0.1\r\n' }), status: 200, body: prefix, framing: 'chunked', dropped: ['x-trailer'] },
    { name: 'GET with chunk extensions', method: 'GET', headers: 'Transfer-Encoding: chunked\r\n', wireBody: chunked(prefix, { cuts: [5], extension: ';ext="a b"' }), status: 200, body: prefix, framing: 'chunked' },
    { name: 'GET with Transfer-Encoding: identity, chunked', method: 'GET', headers: 'Transfer-Encoding: identity, chunked\r\n', wireBody: chunked(prefix), status: 200, body: prefix, framing: 'chunked' },
    { name: 'GET with Expect: 100-continue and a chunked body', method: 'GET', headers: 'Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n', wireBody: chunked(prefix), status: 200, body: prefix, framing: 'chunked', dropped: ['expect'] },
    { name: 'DELETE with Expect: 100-continue and a Content-Length body', method: 'DELETE', headers: `Expect: 100-continue\r\nContent-Length: ${prefix.length}\r\n`, wireBody: prefix, status: 200, body: prefix, framing: 'length', dropped: ['expect'] },
    { name: 'GET with TE: trailers and a chunked body', method: 'GET', headers: 'TE: trailers\r\nConnection: TE\r\nTransfer-Encoding: chunked\r\n', wireBody: chunked(prefix), status: 200, body: prefix, framing: 'chunked', dropped: ['te'] },
    { name: 'GET with Connection: close and a chunked body', method: 'GET', headers: 'Connection: close\r\nTransfer-Encoding: chunked\r\n', wireBody: chunked(prefix), status: 200, body: prefix, framing: 'chunked' },
    { name: 'POST with Content-Length: 0', method: 'POST', headers: 'Content-Length: 0\r\n', wireBody: '', status: 200, body: '', framing: 'length' },
    { name: 'GET without a body', method: 'GET', headers: '', wireBody: '', status: 200, body: '', framing: 'none' },
    { name: 'DELETE without a body (no Content-Length: 0 is made up)', method: 'DELETE', headers: '', wireBody: '', status: 200, body: '', framing: 'none' },
  )
  // Connection naming what must reach the member: refused.
  const refused: Array<[string, string, string]> = [
    ['POST', 'Connection: content-length\r\n', 'Content-Length'],
    ['GET', 'Connection: Content-Length\r\n', 'Content-Length'],
    ['DELETE', 'Connection: CONTENT-LENGTH\r\n', 'Content-Length'],
    ['GET', 'Connection: close, content-length\r\n', 'Content-Length'],
    ['GET', 'Connection: keep-alive\r\nConnection: content-length\r\n', 'Content-Length'],
    ['OPTIONS', 'Connection:   Content-Length  ,  keep-alive\r\n', 'Content-Length'],
    ['POST', 'Connection: transfer-encoding\r\n', 'Transfer-Encoding'],
    ['GET', 'Connection: Host\r\n', 'Host'],
    ['GET', 'X-Forwarded-For: 203.0.113.9\r\nConnection: X-Forwarded-For\r\n', 'X-Forwarded-For'],
    ['GET', 'Connection: x-forwarded-proto\r\n', 'X-Forwarded-Proto'],
    ['GET', 'Forwarded: for=203.0.113.9\r\nConnection: Forwarded\r\n', 'Forwarded'],
    ['GET', 'X-Real-IP: 203.0.113.9\r\nConnection: x-real-ip\r\n', 'X-Real-IP'],
    ['GET', 'Connection: Via\r\n', 'Via'],
  ]
  for (const [method, connection, named] of refused) {
    const chunkedBody = method === 'POST' && named === 'Transfer-Encoding'
    cases.push({
      name: `${method} with ${connection.trim().replace(/\r\n/g, ' + ')} naming ${named} (400)`,
      method,
      headers: chunkedBody ? `${connection}Transfer-Encoding: chunked\r\n` : `${connection}Content-Length: ${prefix.length}\r\n`,
      wireBody: chunkedBody ? chunked(prefix) : prefix,
      status: 400,
    })
  }
  // Connection naming other headers: credentials kept, the rest dropped; the body still framed.
  cases.push(
    { name: 'Connection naming Cookie and Authorization: both still forwarded', method: 'GET', headers: `Cookie: mine=1\r\nAuthorization: Basic bWU6cHc=\r\nConnection: Cookie, Authorization\r\nContent-Length: ${prefix.length}\r\n`, wireBody: prefix, status: 200, body: prefix, framing: 'length', kept: ['cookie', 'authorization'] },
    { name: 'Connection naming X-Custom: dropped, the chunked body still framed', method: 'GET', headers: 'X-Custom: 1\r\nConnection: X-Custom\r\nTransfer-Encoding: chunked\r\n', wireBody: chunked(prefix), status: 200, body: prefix, framing: 'chunked', dropped: ['x-custom'] },
  )
  return cases
}
