/**
 * Writing a member's response head to the client: hop-by-hop headers out, reverse rewriting in,
 * a standard reason phrase when the member sent none (or a bare number, as Tomcat does over AJP).
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { ResponseHeaders } from '../transports/transport.js'
import { connectionTokens, isHopByHop } from './hop-by-hop.js'
import type { ReverseMapping } from './reverse-rewrite.js'
import { rewriteResponseHeaders } from './reverse-rewrite.js'

/** Removes hop-by-hop response headers in place. */
export function stripHopByHopResponseHeaders(headers: ResponseHeaders): void {
  const tokens = connectionTokens(headers.connection)
  for (const name in headers) {
    if (isHopByHop(name, tokens)) delete headers[name]
  }
}

/**
 * The end-to-end headers of a response as `writeHead`'s flat list (`[name, value, name, value…]`,
 * one entry per name, repeated headers as an array value): hop-by-hop headers left out. One pass,
 * and the header object is only read: deleting properties would turn it into a slow dictionary,
 * and Node walks an object with `for…in` and `Object.hasOwn` where it walks a list by index.
 */
export function endToEndHeaders(headers: ResponseHeaders): (string | string[])[] {
  const tokens = connectionTokens(headers.connection)
  const names = Object.keys(headers) // own names only, as Node's writeHead takes them
  const out: (string | string[])[] = []
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    if (isHopByHop(name, tokens)) continue
    out.push(name, headers[name] as string | string[])
  }
  return out
}

/** The reason phrase to send: the member's when it is a real phrase, otherwise the standard one. */
export function reasonPhrase(status: number, statusMessage: string | undefined): string {
  if (statusMessage && statusMessage !== String(status) && !/[\r\n\0]/.test(statusMessage)) return statusMessage
  return STATUS_CODES[status] ?? 'Unknown'
}

/** Writes a response head whose headers are already rewritten: hop-by-hop headers out, a standard reason phrase when needed. */
export function writeHead(res: ServerResponse, status: number, headers: ResponseHeaders, statusMessage: string | undefined): void {
  res.writeHead(status, reasonPhrase(status, statusMessage), endToEndHeaders(headers))
}

/** Rewrites a member's response head for the client (`Location`, cookie paths) and writes it. */
export function writeResponseHead(
  res: ServerResponse,
  status: number,
  headers: ResponseHeaders,
  statusMessage: string | undefined,
  mapping: ReverseMapping,
): void {
  rewriteResponseHeaders(headers, mapping)
  writeHead(res, status, headers, statusMessage)
}
