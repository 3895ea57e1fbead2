/**
 * Parity with Apache httpd: the same client requests go to
 *
 *   - httpd + mod_proxy_ajp   → TomcatA AJP  (`ProxyPass /testapp ajp://127.0.0.1:8009/testapp secret=…`)
 *   - our balancer, ajp:// member → TomcatA AJP
 *   - httpd + mod_proxy_http  → TomcatA HTTP (`ProxyPass` + `ProxyPassReverse`, reference only)
 *
 * and what `echo.jsp` reports is compared, plus the status line the client reads off the wire.
 * Requests are written byte for byte to a raw socket (`Connection: close`), so every front gets
 * exactly the same bytes but for its own `Host` port.
 *
 * Equal for httpd+mod_proxy_ajp and us: method, requestURI (still %-encoded), pathInfo, queryString
 * (UTF-8 %-escapes untouched), remoteAddr, serverName, scheme, secure, request bodies (length and
 * SHA-256), the client's end-to-end headers, the cookies of a single Cookie header, redirects.
 *
 * Where they differ, and why ours is right (or, once, why it is not yet):
 *
 * - Status line. httpd relays the reason Tomcat puts in SEND_HEADERS, which is the bare number
 *   (Tomcat bug 45026 workaround): `HTTP/1.1 200 200`, `HTTP/1.1 302 302`. We send the standard
 *   phrase, `HTTP/1.1 200 OK`: the AJP reason carries no information, and clients and logs expect
 *   a phrase. (Over mod_proxy_http httpd relays Tomcat's empty reason: `HTTP/1.1 200 `.)
 * - serverPort / localPort. Each front reports its own port: Tomcat takes getServerPort() from the
 *   Host header, which the client addressed to that front (both are "the public port"). With a
 *   Host that has a port, getLocalPort() is that port for both too.
 * - localPort when Host has no port: both send the port of the socket the request came in on as
 *   AJP server_port (as mod_jk does), so getLocalPort() is each front's own port.
 * - Headers Tomcat sees. We add X-Forwarded-For/-Host/-Proto/-Port (option `xForwarded`, as
 *   mod_proxy_http does; mod_proxy_ajp adds none) so an application sees the same headers over an
 *   HTTP or an AJP member. We send `Content-Length: 0` on bodiless requests (as mod_jk: over AJP a
 *   missing length means "unknown", and httpd pays a GET_BODY_CHUNK round trip for it, Tomcat's
 *   getContentLength() is -1 there, 0 here). We do not forward `Connection` (hop-by-hop, RFC 9110
 *   §7.6.1); httpd forwards it over AJP.
 * - Several Cookie header lines. httpd merges them with ", " (its generic header merge), which
 *   Tomcat's RFC 6265 cookie parser reads as one cookie with a strange value: every cookie after the
 *   first line is lost, the JSESSIONID included. Node merges Cookie lines with "; " (RFC 6265 §5.4,
 *   RFC 9113 §8.2.3), so Tomcat sees every cookie and the session.
 * - HEAD and response framing. mod_proxy_ajp drops Tomcat's Content-Length and lets httpd choose
 *   (chunked on GET, nothing on HEAD); we keep Tomcat's Content-Length (checked against the bytes
 *   relayed), so clients get progress and HTTP/1.0 keep-alive, and HEAD reports the GET length.
 *
 * httpd must be installed (Debian `apache2`). Without it the suite is skipped locally with a
 * warning and FAILS when CI=true; an httpd that is installed but does not start always fails.
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { createConnection, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBalancer, type Balancer } from '../../../lib/index.js'
import { AJP_SECRET, TOMCAT_NODES, ensureTomcatNodes, type TestappEchoJson } from '../../support/tomcat.js'
import { findHttpd, httpdVersion, startHttpd, type HttpdInstance } from './httpd.js'
import { inCi } from '../../support/ci.js'

const A = TOMCAT_NODES[0] as (typeof TOMCAT_NODES)[number]
const HTTPD = findHttpd()
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

interface RawResponse {
  /** The status line exactly as sent, without CRLF. */
  statusLine: string
  status: number
  /** Lower-case names, values in order. */
  headers: Record<string, string[]>
  body: Buffer
}

interface RawRequest {
  method?: string
  path: string
  /** Header lines besides Host and Connection: close, in order. */
  headers?: Array<[string, string]>
  body?: Buffer | string
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = []
  let pos = 0
  for (;;) {
    const eol = data.indexOf('\r\n', pos)
    if (eol < 0) throw new Error('truncated chunked body')
    const size = parseInt(data.toString('latin1', pos, eol).split(';')[0] as string, 16)
    if (!Number.isFinite(size)) throw new Error('bad chunk size')
    if (size === 0) return Buffer.concat(parts)
    parts.push(data.subarray(eol + 2, eol + 2 + size))
    pos = eol + 2 + size + 2
  }
}

/** One request over a fresh raw socket with `Connection: close`; the whole answer, 20 s at most. */
function rawRequest(port: number, request: RawRequest, host = `127.0.0.1:${port}`): Promise<RawResponse> {
  const method = request.method ?? 'GET'
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'latin1') : request.body
  const lines = [`${method} ${request.path} HTTP/1.1`, `Host: ${host}`]
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`)
  if (body) lines.push(`Content-Length: ${body.length}`)
  lines.push('Connection: close', '', '')
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer from 127.0.0.1:${port} within 20 s`))
    }, 20_000)
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.on('end', () => {
      clearTimeout(timer)
      socket.destroy()
      const data = Buffer.concat(chunks)
      const split = data.indexOf('\r\n\r\n')
      if (split < 0) return reject(new Error(`no response head from 127.0.0.1:${port}: ${data.toString('latin1', 0, 200)}`))
      const [statusLine, ...headerLines] = data.toString('latin1', 0, split).split('\r\n') as [string, ...string[]]
      const headers: Record<string, string[]> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        const name = line.slice(0, colon).trim().toLowerCase()
        ;(headers[name] ??= []).push(line.slice(colon + 1).trim())
      }
      const status = Number(statusLine.split(' ')[1])
      let rest: Buffer = data.subarray(split + 4)
      if (method === 'HEAD' || status === 204 || status === 304) rest = Buffer.alloc(0)
      else if (headers['transfer-encoding']?.[0]?.toLowerCase() === 'chunked') rest = dechunk(rest)
      else if (headers['content-length']) rest = rest.subarray(0, Number(headers['content-length'][0]))
      resolve({ statusLine, status, headers, body: rest })
    })
    socket.write(lines.join('\r\n'), 'latin1')
    if (body) socket.write(body)
  })
}

interface Front {
  readonly name: 'httpd-ajp' | 'ours' | 'httpd-http'
  readonly port: number
}

/** Sends `request` to every front; answers by front name. */
async function toAll(fronts: readonly Front[], request: RawRequest): Promise<Record<Front['name'], RawResponse>> {
  const out = {} as Record<Front['name'], RawResponse>
  for (const front of fronts) out[front.name] = await rawRequest(front.port, request)
  return out
}

function echoOf(response: RawResponse): TestappEchoJson {
  expect(response.status, response.statusLine).toBe(200)
  return JSON.parse(response.body.toString('utf8')) as TestappEchoJson
}

/** The facts mod_proxy_ajp and we must report identically. */
const SAME = ['method', 'protocol', 'requestURI', 'pathInfo', 'queryString', 'remoteAddr', 'serverName', 'scheme', 'secure', 'contentType', 'bodyLength', 'bodySha256', 'cookies'] as const
function pickSame(echo: TestappEchoJson): Partial<TestappEchoJson> {
  return Object.fromEntries(SAME.map((k) => [k, echo[k]])) as Partial<TestappEchoJson>
}

/** Headers Tomcat sees through us and not through mod_proxy_ajp, and the reverse (for a GET/POST with Connection: close). */
const OURS_ONLY = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto']
const HTTPD_ONLY = ['connection']

if (!HTTPD) {
  const why = 'Apache httpd is not installed (Debian: apt-get install -y apache2; or set HTTPD_BIN); the httpd parity tests cannot run'
  if (inCi) {
    describe('httpd parity', () => {
      it('needs Apache httpd in CI', () => {
        throw new Error(why)
      })
    })
  } else {
    console.warn(`[httpd-parity] skipped: ${why}`)
    it.skip(`httpd parity: ${why}`)
  }
} else {
  describe(`parity with ${httpdVersion(HTTPD)} in front of Tomcat ${A.name}`, () => {
    let httpdAjp: HttpdInstance | undefined
    let httpdHttp: HttpdInstance | undefined
    let balancer: Balancer | undefined
    let server: http.Server | undefined
    let fronts: Front[] = []
    let ajpFronts: Front[] = []
    const portOf = (name: Front['name']): number => (fronts.find((f) => f.name === name) as Front).port

    beforeAll(async () => {
      await ensureTomcatNodes([A.name])
      httpdAjp = await startHttpd({
        name: 'ajp',
        modules: ['proxy_ajp'],
        directives: [`ProxyPass /testapp ajp://127.0.0.1:${A.ajpPort}/testapp secret=${AJP_SECRET}`],
        maxLifetimeMs: 300_000,
      })
      httpdHttp = await startHttpd({
        name: 'http',
        modules: ['proxy_http'],
        directives: [
          `ProxyPass /testapp http://127.0.0.1:${A.httpPort}/testapp`,
          `ProxyPassReverse /testapp http://127.0.0.1:${A.httpPort}/testapp`,
        ],
        maxLifetimeMs: 300_000,
      })
      balancer = createBalancer({ members: [{ url: A.ajpUrl, route: A.route }], ajp: { secret: AJP_SECRET }, logger: false, closeTimeout: 500 })
      const b = balancer
      server = http.createServer((req, res) => void b.handle(req, res))
      await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
      fronts = [
        { name: 'httpd-ajp', port: httpdAjp.port },
        { name: 'ours', port: (server.address() as AddressInfo).port },
        { name: 'httpd-http', port: httpdHttp.port },
      ]
      ajpFronts = fronts.filter((f) => f.name !== 'httpd-http')
    })

    afterAll(async () => {
      server?.closeAllConnections()
      await Promise.allSettled([
        httpdAjp?.stop(),
        httpdHttp?.stop(),
        balancer?.close(),
        new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
      ])
    })

    it('GET with a UTF-8 path and query: same request facts; each front reports its own port', async () => {
      const request: RawRequest = {
        path: '/testapp/echo/%C3%A9t%C3%A9/%E6%97%A5?a=1&b=%C3%A9&c=%E2%9C%93&empty=&flag',
        headers: [['Accept', 'application/json'], ['Accept-Language', 'fr-CH, fr;q=0.9'], ['User-Agent', 'parity/1.0'], ['X-Request-Id', '42']],
      }
      const r = await toAll(fronts, request)
      const theirs = echoOf(r['httpd-ajp'])
      const ours = echoOf(r.ours)
      expect(pickSame(ours)).toEqual(pickSame(theirs))
      expect(ours).toMatchObject({
        method: 'GET',
        requestURI: '/testapp/echo/%C3%A9t%C3%A9/%E6%97%A5',
        pathInfo: '/été/日',
        queryString: 'a=1&b=%C3%A9&c=%E2%9C%93&empty=&flag',
        remoteAddr: '127.0.0.1',
        serverName: '127.0.0.1',
        scheme: 'http',
        secure: false,
      })
      // "the public port": each front's own, from the Host header the client addressed to it
      for (const [echo, name] of [[theirs, 'httpd-ajp'], [ours, 'ours']] as const) {
        expect(echo.serverPort, name).toBe(portOf(name))
        expect(echo.localPort, name).toBe(portOf(name))
        expect(echo.requestURL, name).toBe(`http://127.0.0.1:${portOf(name)}/testapp/echo/%C3%A9t%C3%A9/%E6%97%A5`)
        expect(echo.localAddr, name).toBe('127.0.0.1')
        expect(echo.remotePort, name).toBeGreaterThan(0)
        expect(echo.remotePort, name).not.toBe(portOf(name))
      }
      // Headers: the client's end-to-end headers arrive alike; we add X-Forwarded-* and an explicit
      // Content-Length: 0, httpd forwards Connection.
      const names = (e: TestappEchoJson): string[] => Object.keys(e.headers)
      const common = names(theirs).filter((n) => names(ours).includes(n))
      for (const name of common) expect(ours.headers[name], name).toEqual(name === 'host' ? [`127.0.0.1:${portOf('ours')}`] : theirs.headers[name])
      expect(names(ours).filter((n) => !common.includes(n)).sort()).toEqual([...OURS_ONLY, 'content-length'].sort())
      expect(names(theirs).filter((n) => !common.includes(n))).toEqual(HTTPD_ONLY)
      expect(ours.headers['content-length']).toEqual(['0'])
      expect(ours.contentLength).toBe(0)
      expect(theirs.contentLength).toBe(-1)
      expect(ours.headers['x-forwarded-host']).toEqual([`127.0.0.1:${portOf('ours')}`])
      expect(ours.headers['x-forwarded-port']).toEqual([String(portOf('ours'))])

      // mod_proxy_http reference: Tomcat sees the backend's own Host (ProxyPreserveHost Off)
      const reference = echoOf(r['httpd-http'])
      expect(pickSame(reference)).toMatchObject({ method: 'GET', requestURI: theirs.requestURI, queryString: theirs.queryString, remoteAddr: '127.0.0.1' })
      expect(reference.serverPort).toBe(A.httpPort)
      expect(reference.headers['x-forwarded-host']).toEqual([`127.0.0.1:${portOf('httpd-http')}`])
    })

    it('status line: httpd relays Tomcat\'s AJP reason "200"; we send the standard phrase', async () => {
      const r = await toAll(fronts, { path: '/testapp/echo.jsp' })
      expect(r['httpd-ajp'].statusLine).toBe('HTTP/1.1 200 200')
      expect(r.ours.statusLine).toBe('HTTP/1.1 200 OK')
      expect(r['httpd-http'].statusLine).toBe('HTTP/1.1 200 ') // Tomcat's HTTP connector sends no reason
      // response framing: mod_proxy_ajp drops Tomcat's Content-Length (chunked); we keep it
      expect(r['httpd-ajp'].headers['content-length']).toBeUndefined()
      expect(r['httpd-ajp'].headers['transfer-encoding']).toEqual(['chunked'])
      expect(r.ours.headers['content-length']).toEqual([String(r.ours.body.length)])
      expect(r.ours.headers['transfer-encoding']).toBeUndefined()
    })

    it('POST form: same body, type and length', async () => {
      const r = await toAll(ajpFronts, {
        method: 'POST',
        path: '/testapp/echo.jsp?x=%C3%A9',
        headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=UTF-8']],
        body: 'a=1&b=%C3%A9&c=%E2%9C%93',
      })
      const theirs = echoOf(r['httpd-ajp'])
      const ours = echoOf(r.ours)
      expect(pickSame(ours)).toEqual(pickSame(theirs))
      expect(ours).toMatchObject({ method: 'POST', queryString: 'x=%C3%A9', contentLength: 24, bodyLength: 24, bodyText: 'a=1&b=%C3%A9&c=%E2%9C%93' })
      expect(theirs.contentLength).toBe(24)
      expect(r['httpd-ajp'].statusLine).toBe('HTTP/1.1 200 200')
      expect(r.ours.statusLine).toBe('HTTP/1.1 200 OK')
    })

    it('a 2 MiB upload arrives intact through both', async () => {
      const payload = randomBytes(2 * 1024 * 1024)
      const r = await toAll(ajpFronts, { method: 'POST', path: '/testapp/echo.jsp', headers: [['Content-Type', 'application/octet-stream']], body: payload })
      const theirs = echoOf(r['httpd-ajp'])
      const ours = echoOf(r.ours)
      expect(ours.bodySha256).toBe(sha256(payload))
      expect(theirs.bodySha256).toBe(sha256(payload))
      expect(pickSame(ours)).toEqual(pickSame(theirs))
      expect(ours.contentLength).toBe(payload.length)
      expect(theirs.contentLength).toBe(payload.length)
    })

    it('HEAD: no body from either; we keep the length Tomcat computed, httpd drops it', async () => {
      const r = await toAll(ajpFronts, { method: 'HEAD', path: '/testapp/echo.jsp' })
      expect(r['httpd-ajp'].statusLine).toBe('HTTP/1.1 200 200')
      expect(r.ours.statusLine).toBe('HTTP/1.1 200 OK')
      for (const name of ['httpd-ajp', 'ours'] as const) {
        expect(r[name].body.length, name).toBe(0)
        expect(r[name].headers['content-type'], name).toEqual(['application/json;charset=UTF-8'])
        expect(r[name].headers['x-node'], name).toEqual([A.name])
      }
      expect(r['httpd-ajp'].headers['content-length']).toBeUndefined()
      expect(Number(r.ours.headers['content-length']?.[0])).toBeGreaterThan(0)
    })

    it("redirect: Tomcat's absolute Location names each front's own origin", async () => {
      const r = await toAll(fronts, { path: '/testapp/redirect.jsp?to=index.jsp' })
      expect(r['httpd-ajp'].statusLine).toBe('HTTP/1.1 302 302')
      expect(r.ours.statusLine).toBe('HTTP/1.1 302 Found')
      expect(r['httpd-http'].statusLine).toBe('HTTP/1.1 302 ')
      for (const front of fronts) {
        expect(r[front.name].headers.location, front.name).toEqual([`http://127.0.0.1:${front.port}/testapp/index.jsp`])
      }
    })

    it('several cookies in one Cookie header: the same cookies and requested session', async () => {
      const session = `0123456789ABCDEF0123456789ABCDEF.${A.route}`
      const r = await toAll(ajpFronts, { path: '/testapp/echo.jsp', headers: [['Cookie', `theme=dark; lang=fr-CH; JSESSIONID=${session}; empty=`]] })
      const theirs = echoOf(r['httpd-ajp'])
      const ours = echoOf(r.ours)
      expect(ours.cookies).toEqual(theirs.cookies)
      expect(ours.cookies).toEqual({ theme: ['dark'], lang: ['fr-CH'], JSESSIONID: [session], empty: [''] })
      expect(ours.requestedSessionId).toBe(session)
      expect(theirs.requestedSessionId).toBe(session)
    })

    it('several Cookie header lines: httpd merges them with ", " and Tomcat loses cookies; we keep all', async () => {
      const session = `0123456789ABCDEF0123456789ABCDEF.${A.route}`
      const r = await toAll(ajpFronts, { path: '/testapp/echo.jsp', headers: [['Cookie', 'theme=dark; lang=fr'], ['Cookie', `JSESSIONID=${session}`]] })
      const theirs = echoOf(r['httpd-ajp'])
      const ours = echoOf(r.ours)
      expect(theirs.headers.cookie).toEqual([`theme=dark; lang=fr, JSESSIONID=${session}`])
      expect(ours.headers.cookie).toEqual([`theme=dark; lang=fr; JSESSIONID=${session}`])
      expect(ours.cookies).toEqual({ theme: ['dark'], lang: ['fr'], JSESSIONID: [session] })
      expect(ours.requestedSessionId).toBe(session)
      // what Tomcat makes of httpd's merge: the session cookie is gone
      expect(theirs.cookies.JSESSIONID).toBeUndefined()
      expect(theirs.requestedSessionId).toBeNull()
    })

    it('Host without a port: same serverName/serverPort (80); localPort is each front\'s socket port', async () => {
      const results: Partial<Record<Front['name'], TestappEchoJson>> = {}
      for (const front of ajpFronts) results[front.name] = echoOf(await rawRequest(front.port, { path: '/testapp/echo.jsp' }, 'www.example.test'))
      const theirs = results['httpd-ajp'] as TestappEchoJson
      const ours = results.ours as TestappEchoJson
      for (const echo of [theirs, ours]) {
        expect(echo.serverName).toBe('www.example.test')
        expect(echo.serverPort).toBe(80)
        expect(echo.requestURL).toBe('http://www.example.test/testapp/echo.jsp')
      }
      expect(theirs.localPort).toBe(portOf('httpd-ajp'))
      // AJP server_port is the socket's port, as mod_proxy_ajp and mod_jk send it.
      expect(ours.localPort).toBe(portOf('ours'))
    })
  })
}
