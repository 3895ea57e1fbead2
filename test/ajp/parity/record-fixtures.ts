/**
 * Re-records the mod_proxy_ajp fixtures in `test/ajp/fixtures/`:
 *
 *   client ──HTTP──▶ httpd (mod_proxy_ajp) ──AJP──▶ recording relay ──▶ TomcatA :8009
 *
 * Two fixed requests (a GET with a UTF-8 query and a small form POST) are sent byte for byte over a
 * raw socket; what httpd sends to Tomcat and what Tomcat answers are saved per request, with
 * `recording.json` (versions, date, the exact requests) and a regenerated README.md.
 *
 * Usage (starts TomcatA if needed; needs Apache httpd with mod_proxy_ajp):
 *
 *   npx tsx test/ajp/parity/record-fixtures.ts
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createConnection } from 'node:net'
import { join } from 'node:path'
import { AJP_SECRET, CATALINA_HOME, REPO_ROOT, ensureTomcatNodes } from '../../support/tomcat.js'
import { bodyOf, decodeServerStream } from '../support/forward-request-decoder.js'
import { httpdVersion, startHttpd } from './httpd.js'
import { startRecordingRelay } from './recording-relay.js'

export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'ajp', 'fixtures')

/** The requests, exactly as written to httpd's socket. */
export const RECORDED_REQUESTS = {
  get: [
    'GET /testapp/echo.jsp?a=1&b=%C3%A9 HTTP/1.1',
    'Host: www.example.test',
    'User-Agent: parity-recorder/1.0',
    'Accept: application/json',
    'Accept-Language: fr-CH, fr;q=0.9, en;q=0.5',
    'Accept-Encoding: identity',
    'Cookie: theme=dark; JSESSIONID=0123456789ABCDEF0123456789ABCDEF.TomcatA',
    'Referer: http://www.example.test/start',
    'X-Request-Id: 42',
    'Connection: close',
    '',
    '',
  ].join('\r\n'),
  post: [
    'POST /testapp/echo.jsp HTTP/1.1',
    'Host: www.example.test:8080',
    'User-Agent: parity-recorder/1.0',
    'Content-Type: application/x-www-form-urlencoded',
    'Content-Length: 12',
    'Connection: close',
    '',
    'a=1&b=%C3%A9',
  ].join('\r\n'),
} as const

/** Sends raw bytes, returns everything until the server closes (Connection: close), 10 s at most. */
function rawExchange(port: number, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('no complete response within 10 s'))
    }, 10_000)
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.on('end', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(Buffer.concat(chunks))
    })
    socket.write(request, 'latin1')
  })
}

function tomcatVersion(): string {
  try {
    const out = execFileSync('bash', [join(CATALINA_HOME, 'bin', 'version.sh')], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] })
    return /Server version:\s*(.+)/.exec(out)?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

export async function recordFixtures(): Promise<void> {
  const [node] = await ensureTomcatNodes(['TomcatA'])
  const relay = await startRecordingRelay('127.0.0.1', node!.ajpPort)
  const httpd = await startHttpd({
    name: 'record',
    modules: ['proxy_ajp'],
    directives: [`ProxyPass /testapp ajp://127.0.0.1:${relay.port}/testapp secret=${AJP_SECRET}`],
    maxLifetimeMs: 120_000,
  })
  const statusLines: Record<string, string> = {}
  try {
    for (const [name, request] of Object.entries(RECORDED_REQUESTS)) {
      const response = await rawExchange(httpd.port, request)
      statusLines[name] = response.toString('latin1').split('\r\n')[0] ?? ''
      await relay.quiet(200)
      const { toTarget, fromTarget } = relay.take()
      // Refuse to save something that is not one clean exchange.
      const packets = decodeServerStream(toTarget)
      const forwards = packets.filter((p) => p.kind === 'forward')
      if (forwards.length !== 1) throw new Error(`${name}: expected one FORWARD_REQUEST, got ${forwards.length}`)
      if (fromTarget.length === 0 || fromTarget.subarray(-6).toString('hex') !== '414200020501') {
        throw new Error(`${name}: the reply does not end with END_RESPONSE reuse=1`)
      }
      writeFileSync(join(FIXTURES_DIR, `mod_proxy_ajp-${name}.bin`), toTarget)
      writeFileSync(join(FIXTURES_DIR, `mod_proxy_ajp-${name}-reply.bin`), fromTarget)
      console.log(`${name}: ${toTarget.length} bytes to Tomcat (body ${bodyOf(packets).length}), ${fromTarget.length} back; client saw "${statusLines[name]}"`)
    }
  } finally {
    await httpd.stop()
    await relay.close()
  }
  const recording = {
    recordedAt: new Date().toISOString(),
    httpd: httpdVersion(),
    tomcat: tomcatVersion(),
    node: 'TomcatA',
    proxyPass: `ProxyPass /testapp ajp://127.0.0.1:<relay>/testapp secret=${AJP_SECRET}`,
    requests: RECORDED_REQUESTS,
    clientStatusLines: statusLines,
  }
  writeFileSync(join(FIXTURES_DIR, 'recording.json'), `${JSON.stringify(recording, null, 2)}\n`)
  writeFileSync(join(FIXTURES_DIR, 'README.md'), readme(recording))
}

function readme(r: { recordedAt: string; httpd: string; tomcat: string; proxyPass: string; clientStatusLines: Record<string, string> }): string {
  const show = (text: string): string => text.replace(/\r\n/g, '\n').replace(/\n$/, '')
  return `# AJP13 captures of mod_proxy_ajp

Byte-exact recordings of what Apache httpd's **mod_proxy_ajp** sends to Tomcat's AJP connector, and
what Tomcat answers. \`lib/transports/ajp/captured-request.test.ts\` decodes them and compares them
with our encoder and response decoder, without any network.

Generated by \`test/ajp/parity/record-fixtures.ts\` (this README included); do not edit by hand.

| | |
|---|---|
| recorded | ${r.recordedAt} |
| httpd | ${r.httpd}, mpm_event, modules mod_proxy + mod_proxy_ajp, nothing else |
| Tomcat | ${r.tomcat}, node TomcatA of \`tomcat-testapp/\` (AJP connector 127.0.0.1:8009, \`secretRequired="true"\`) |
| httpd config | \`${r.proxyPass}\` (otherwise defaults; see \`test/ajp/parity/httpd.ts\`) |

The secret in the captures is the development secret \`sticky-balancer-dev-secret\` of
\`tomcat-testapp/\` (not a real credential). Nothing is masked. Two values change with every
recording: httpd's listen port (a free port), which mod_proxy_ajp sends as \`server_port\` (the
\`Host\` headers are fixed names and carry no such port), and the client's source port, sent as the
\`AJP_REMOTE_PORT\` request attribute.

## Files

| file | direction | content |
|---|---|---|
| \`mod_proxy_ajp-get.bin\` | httpd → Tomcat | the FORWARD_REQUEST of the GET (and the empty body packet if Tomcat asked for body) |
| \`mod_proxy_ajp-get-reply.bin\` | Tomcat → httpd | everything Tomcat sent back (GET_BODY_CHUNK, SEND_HEADERS, SEND_BODY_CHUNK…, END_RESPONSE) |
| \`mod_proxy_ajp-post.bin\` | httpd → Tomcat | the FORWARD_REQUEST of the POST and its body packets |
| \`mod_proxy_ajp-post-reply.bin\` | Tomcat → httpd | Tomcat's answer to the POST |
| \`recording.json\` | | the facts of this table, machine-readable |

## How they were recorded

\`\`\`
client ──HTTP──▶ httpd 127.0.0.1:<free port> ──AJP──▶ recording relay 127.0.0.1:<port 0> ──▶ TomcatA 127.0.0.1:8009
\`\`\`

A Node TCP relay (\`test/ajp/parity/recording-relay.ts\`) sits in front of TomcatA's AJP port and
records both directions; httpd is a private instance with a generated minimal config. Each request
is written byte for byte to a raw socket; once the relay has been quiet for 200 ms its recording is
cut there (httpd may keep its AJP connection for the next request; the cut is between exchanges).

### GET (client saw \`${r.clientStatusLines.get ?? ''}\`)

\`\`\`http
${show(RECORDED_REQUESTS.get)}
\`\`\`

### POST (client saw \`${r.clientStatusLines.post ?? ''}\`)

\`\`\`http
${show(RECORDED_REQUESTS.post)}
\`\`\`

## Re-recording

\`\`\`sh
npx tsx test/ajp/parity/record-fixtures.ts
\`\`\`

It starts TomcatA if needed (\`tomcat-testapp/bin/nodes.sh\`), runs httpd for a few seconds and
overwrites the files above. The captured-request test reads the requests and versions from
\`recording.json\`, so it keeps working after a re-recording unless httpd's behaviour changed, which
is what it is for.
`
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  recordFixtures().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
