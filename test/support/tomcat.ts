/**
 * Helpers for tests against the real Tomcat nodes of `tomcat-testapp/` (see its README.md).
 *
 * Nodes are started and stopped by `tomcat-testapp/bin/nodes.sh`; `start` is idempotent and
 * serialised per node, so every test file may call `ensureTomcatNodes()`.
 */
import { execFile } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inCi } from './ci.js'

/** A node as nodes.sh knows it: the name is also the Engine's jvmRoute. */
export interface TomcatNodeSpec {
  name: string
  httpPort: number
  ajpPort: number
  /** An HTTPS connector (needs TOMCAT_HTTPS_CERT/KEY in the environment; see tomcat-testapp/README.md). */
  httpsPort?: number
  /** An HTTPS connector that requires a client certificate (also needs TOMCAT_HTTPS_CLIENT_CA); needs httpsPort. */
  mtlsPort?: number
}

export interface TomcatNode extends TomcatNodeSpec {
  /** jvmRoute: Tomcat's session ids end with `.<route>`. Same as `name`. */
  route: string
  /** `http://127.0.0.1:<httpPort>`, no trailing slash; the test webapp is at `/testapp`. */
  httpUrl: string
  /** `ajp://127.0.0.1:<ajpPort>` */
  ajpUrl: string
}

/** `GET /testapp/index.jsp?format=json` */
export interface TestappIndexJson {
  node: string
  sessionId: string
  /** session creation time, epoch milliseconds */
  created: number
  /** requests seen by this session, including this one */
  hits: number
  isNew: boolean
  requestedSessionId: string | null
  /** the session's idle timeout in seconds (1800, or `?ttl=N` for a session this request created) */
  maxInactive: number
}

/** Any method on `/testapp/echo.jsp`, `/testapp/echo/*`, `/testapp/sub/*` */
export interface TestappEchoJson {
  node: string
  method: string
  protocol: string
  requestURI: string
  requestURL: string
  queryString: string | null
  contextPath: string
  servletPath: string
  pathInfo: string | null
  /** lower-cased header name -> values in arrival order */
  headers: Record<string, string[]>
  cookies: Record<string, string[]>
  remoteAddr: string
  remoteHost: string
  remotePort: number
  remoteUser: string | null
  authType: string | null
  localAddr: string | null
  localPort: number
  scheme: string
  secure: boolean
  serverName: string
  serverPort: number
  tls: { cipherSuite: string | null; keySize: number | null; sessionId: string | null; certSubjects: string[] } | null
  attributes: Record<string, string>
  contentType: string | null
  /** -1 when there was no Content-Length (e.g. chunked) */
  contentLength: number
  bodyLength: number
  bodySha256: string
  /** the body as UTF-8 when it is at most 4096 bytes, else null */
  bodyText: string | null
  trailers: Record<string, string>
  requestedSessionId: string | null
  sessionId: string | null
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const NODES_SCRIPT = join(REPO_ROOT, 'tomcat-testapp', 'bin', 'nodes.sh')
export const CATALINA_HOME = process.env.CATALINA_HOME || '/usr/share/tomcat10'
export const AJP_SECRET = process.env.TOMCAT_AJP_SECRET || 'sticky-balancer-dev-secret'
export const TESTAPP_PATH = '/testapp'
export const DEFAULT_TOMCAT_NODES = 'TomcatA:8081:8009 TomcatB:8082:8010'

/** A node's folder (its CATALINA_BASE): `$TOMCAT_RUN_DIR/<name>`, `.run/tomcat/<name>` by default, as nodes.sh places it. */
export function tomcatNodeDir(name: string): string {
  return join(process.env.TOMCAT_RUN_DIR ?? join(REPO_ROOT, '.run', 'tomcat'), name)
}

/** The JVM's pid of a running node, from the `tomcat.pid` that nodes.sh writes. */
export function tomcatNodePid(name: string): number {
  return Number(readFileSync(join(tomcatNodeDir(name), 'tomcat.pid'), 'utf8').trim())
}

/** A file under the node's `logs/` (`access.log`, `ledger.log`, …); '' while it does not exist. */
export function readNodeLog(name: string, file: string): string {
  try {
    return readFileSync(join(tomcatNodeDir(name), 'logs', file), 'utf8')
  } catch {
    return ''
  }
}

/** Parses `"TomcatA:8081:8009 TomcatB:8082:8010"` (the TOMCAT_NODES format). */
export function parseNodeSpecs(text: string): TomcatNodeSpec[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((spec) => {
      const m = /^([A-Za-z0-9_-]+):(\d{1,5}):(\d{1,5})$/.exec(spec)
      if (!m) throw new Error(`bad Tomcat node spec "${spec}" (want NAME:HTTP_PORT:AJP_PORT)`)
      return { name: m[1]!, httpPort: Number(m[2]), ajpPort: Number(m[3]) }
    })
}

export function describeNode(spec: TomcatNodeSpec): TomcatNode {
  return {
    ...spec,
    name: spec.name,
    route: spec.name,
    httpPort: spec.httpPort,
    ajpPort: spec.ajpPort,
    httpUrl: `http://127.0.0.1:${spec.httpPort}`,
    ajpUrl: `ajp://127.0.0.1:${spec.ajpPort}`,
  }
}

/** The default nodes (TOMCAT_NODES or TomcatA:8081:8009 TomcatB:8082:8010). */
export const TOMCAT_NODES: readonly TomcatNode[] = parseNodeSpecs(
  process.env.TOMCAT_NODES || DEFAULT_TOMCAT_NODES,
).map(describeNode)

/** True when Tomcat (CATALINA_HOME) and `java` are installed; nodes.sh may still install them. */
export function tomcatAvailable(): boolean {
  return existsSync(join(CATALINA_HOME, 'bin', 'catalina.sh')) && onPath('java')
}

/** A default node's name (e.g. "TomcatA") or an explicit spec (e.g. a dedicated failover pair). */
export type TomcatNodeRef = string | TomcatNodeSpec

/**
 * Starts the nodes (default: all of TOMCAT_NODES) unless they already run, and waits until each
 * answers HTTP and AJP. Throws with the script's output when Tomcat cannot be started.
 */
export async function ensureTomcatNodes(nodes?: readonly TomcatNodeRef[]): Promise<TomcatNode[]> {
  const resolved = (nodes ?? TOMCAT_NODES).map(resolveNode)
  try {
    await runNodesScript(['start', ...resolved.map(specArg)])
  } catch (err) {
    const where = inCi ? 'in CI' : 'locally'
    throw new Error(
      `Tomcat test nodes ${resolved.map((n) => n.name).join(', ')} could not be started ${where}. ` +
        `See tomcat-testapp/README.md.\n${(err as Error).message}`,
      { cause: err },
    )
  }
  return resolved
}

export async function startTomcatNode(node: TomcatNodeRef): Promise<TomcatNode> {
  const [started] = await ensureTomcatNodes([node])
  return started!
}

/** Stops the node (SIGTERM, SIGKILL after 10 s) and waits until its ports are closed. */
export async function stopTomcatNode(node: TomcatNodeRef): Promise<void> {
  await runNodesScript(['stop', specArg(resolveNode(node))])
}

/**
 * The bytes served by `big.jsp?bytes=N` and `1m.bin`: byte i is `i % 251`.
 * `offset` selects a window, e.g. for a Range or a resumed download.
 */
export function patternBytes(length: number, offset = 0): Buffer {
  const buf = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) buf[i] = (offset + i) % 251
  return buf
}

/** Runs `nodes.sh <args>`; resolves with its stdout, rejects with its exit code and output. */
export function runNodesScript(args: string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [NODES_SCRIPT, ...args],
      { env: process.env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout)
          return
        }
        const code = error.killed ? `killed after ${timeoutMs} ms` : `exit code ${String(error.code)}`
        reject(new Error(`tomcat-testapp/bin/nodes.sh ${args.join(' ')} failed (${code}):\n${stdout}${stderr}`))
      },
    )
  })
}

function resolveNode(ref: TomcatNodeRef): TomcatNode {
  if (typeof ref !== 'string') return describeNode(ref)
  const node = TOMCAT_NODES.find((n) => n.name === ref)
  if (!node) {
    throw new Error(`unknown Tomcat node "${ref}"; known: ${TOMCAT_NODES.map((n) => n.name).join(', ')}`)
  }
  return node
}

function specArg(node: TomcatNodeSpec): string {
  const tls = node.httpsPort === undefined ? '' : `:${node.httpsPort}${node.mtlsPort === undefined ? '' : `:${node.mtlsPort}`}`
  return `${node.name}:${node.httpPort}:${node.ajpPort}${tls}`
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
