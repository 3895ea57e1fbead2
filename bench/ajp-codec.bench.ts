/**
 * Cost of the per-request AJP work that is pure computation: building the FORWARD_REQUEST of a
 * request, decoding Tomcat's answer, and turning the answer's headers into `writeHead`'s list.
 *
 *   node --expose-gc --max-semi-space-size=64 --import tsx bench/ajp-codec.bench.ts
 *
 * Prints ns per operation (median of 7 rounds) and bytes allocated per operation. Absolute numbers
 * depend on the machine; compare rows taken in the same run (or two builds on the same machine).
 */
import type { IncomingMessage } from 'node:http'
import { endResponse, sendBody, sendHeaders } from '../test/ajp/support/fake-ajp-server.js'
import { buildRequestHeaders } from '../lib/proxy/request-headers.js'
import { endToEndHeaders } from '../lib/proxy/response-head.js'
import { describeForwardRequest } from '../lib/transports/ajp/ajp-transport.js'
import { encodeForwardRequest } from '../lib/transports/ajp/forward-request.js'
import { AjpResponseParser } from '../lib/transports/ajp/response-decoder.js'
import type { ClientConnection, Exchange } from '../lib/transports/transport.js'
import { bytesPerCall, nsPerCall, sinkCount } from './lib/micro.js'

function bench(name: string, iterations: number, fn: (i: number) => unknown): { name: string; ns: number; bytes: number } {
  return { name, ns: nsPerCall(fn, iterations), bytes: bytesPerCall(fn, Math.min(iterations, 20_000)) }
}

const client: ClientConnection = { address: '127.0.0.1', port: 51234, localAddress: '127.0.0.1', localPort: 8080, secure: false }
const policy = { preserveHost: true, xForwarded: true, via: undefined }

function request(url: string, headers: Record<string, string>): IncomingMessage {
  return { method: 'GET', url, httpVersion: '1.1', headers, socket: {} } as unknown as IncomingMessage
}
// What wrk sends, and what a browser sends for a page of a session.
const wrk = request('/testapp/static.txt', { host: '127.0.0.1:8080' })
const browser = request('/shop/cart?item=42', {
  host: 'shop.example',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.5',
  'accept-encoding': 'gzip, deflate, br',
  referer: 'https://shop.example/shop/',
  cookie: 'JSESSIONID=8F3A06C2D1E4B5A6978812345ABCDEF0.TomcatA; theme=dark; lang=en',
  'upgrade-insecure-requests': '1',
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
})

function exchangeOf(req: IncomingMessage): Pick<Exchange, 'path' | 'client' | 'publicHost' | 'method' | 'req' | 'headers'> {
  const publicHost = req.headers.host as string
  return { req, path: req.url as string, client, publicHost, method: 'GET', headers: buildRequestHeaders(req, client, 'tomcat:8009', publicHost, policy) }
}
const wrkExchange = exchangeOf(wrk)
const browserExchange = exchangeOf(browser)
const secret = 'sticky-balancer-dev-secret'

// Tomcat's answers for static.txt and for the session JSP, as one socket read each.
const staticAnswer = Buffer.concat([
  sendHeaders(200, [['Accept-Ranges', 'bytes'], ['ETag', 'W/"103-1795702797761"'], ['Last-Modified', 'Thu, 26 Nov 2026 14:19:57 GMT'], [0xa001, 'text/plain'], [0xa003, '103']]),
  sendBody('x'.repeat(103)),
  endResponse(true),
])
const jspAnswer = Buffer.concat([
  sendHeaders(200, [[0xa007, 'JSESSIONID=FBE3BB80C7A21B153725FF652192D3D4.BenchA; Path=/testapp; HttpOnly'], ['X-Node', 'BenchA'], ['X-Session-Id', 'FBE3BB80C7A21B153725FF652192D3D4.BenchA'], ['Cache-Control', 'no-store'], [0xa001, 'text/html;charset=UTF-8'], [0xa003, '479']]),
  sendBody('x'.repeat(479)),
  endResponse(true),
])
const parser = new AjpResponseParser()
function decodeAll(answer: Buffer): number {
  parser.push(answer)
  let n = 0
  for (let m = parser.next(); m !== undefined; m = parser.next()) n++
  return n
}
parser.push(staticAnswer)
const staticHead = parser.next()
parser.reset()
if (staticHead?.type !== 'headers') throw new Error('expected SEND_HEADERS')

const rows: { name: string; ns: number; bytes: number }[] = []
rows.push(bench('request headers: wrk GET', 1_000_000, () => buildRequestHeaders(wrk, client, 'tomcat:8009', '127.0.0.1:8080', policy)))
rows.push(bench('request headers: browser GET (10 headers)', 500_000, () => buildRequestHeaders(browser, client, 'tomcat:8009', 'shop.example', policy)))
rows.push(bench('FORWARD_REQUEST: wrk GET', 1_000_000, () => encodeForwardRequest(describeForwardRequest(wrkExchange, 0, 'BenchA', secret))))
rows.push(bench('FORWARD_REQUEST: browser GET', 500_000, () => encodeForwardRequest(describeForwardRequest(browserExchange, 0, 'TomcatA', secret))))
rows.push(bench('decode: static.txt answer (5 headers, body, end)', 1_000_000, () => decodeAll(staticAnswer)))
rows.push(bench('decode: session JSP answer (6 headers, body, end)', 1_000_000, () => decodeAll(jspAnswer)))
rows.push(bench('writeHead list: static.txt headers', 1_000_000, () => endToEndHeaders(staticHead.headers)))

const width = Math.max(...rows.map((r) => r.name.length))
console.log(`${'operation'.padEnd(width)}   ns/op   bytes/op`)
for (const r of rows) console.log(`${r.name.padEnd(width)}  ${r.ns.toFixed(0).padStart(6)}  ${Number.isNaN(r.bytes) ? '       —' : r.bytes.toFixed(0).padStart(9)}`)
if (sinkCount() === 0) throw new Error('nothing was measured')
