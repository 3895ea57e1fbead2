// The benchmark targets: how each one is started, found and stopped.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, openSync, readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const REPO = path.dirname(BENCH_DIR)
export const RUN = path.join(REPO, '.run', 'bench')
export const PEERS = path.join(BENCH_DIR, 'peers')

/** The two Tomcat nodes of the benchmark (own names and ports: other suites use TomcatA/TomcatB). */
export const NODES = [
  { name: 'BenchA', http: 8281, ajp: 8209 },
  { name: 'BenchB', http: 8282, ajp: 8210 },
]
export const SECRET = process.env.TOMCAT_AJP_SECRET ?? 'sticky-balancer-dev-secret'

/**
 * group: reference | peer (native proxies) | node (what Node users write today) | ours |
 * ceiling (the most a node:http process forwards here: bench/targets/ceiling-target.ts).
 * sticky: whether a JSESSIONID=….BenchA request reaches BenchA (checked in the sticky workload).
 */
export const TARGETS = [
  { name: 'direct', group: 'reference', label: 'Tomcat direct (BenchA)', kind: 'direct', port: NODES[0].http },
  { name: 'nginx-rr', group: 'peer', label: 'nginx round robin, keepalive 128', kind: 'nginx', conf: 'nginx-rr.conf', port: 8501 },
  { name: 'nginx-iphash', group: 'peer', label: 'nginx ip_hash, keepalive 128', kind: 'nginx', conf: 'nginx-iphash.conf', port: 8502 },
  { name: 'httpd-http', group: 'peer', label: 'httpd event, mod_proxy_http balancer', kind: 'httpd', conf: 'httpd-proxy-http.conf', port: 8503 },
  { name: 'httpd-ajp', group: 'peer', label: 'httpd event, mod_proxy_ajp balancer', kind: 'httpd', conf: 'httpd-proxy-ajp.conf', port: 8504 },
  { name: 'mod_jk', group: 'peer', label: 'httpd event, mod_jk lb worker', kind: 'httpd', conf: 'httpd-jk.conf', port: 8505 },
  { name: 'haproxy', group: 'peer', label: 'HAProxy roundrobin, http-reuse always', kind: 'haproxy', conf: 'haproxy.cfg', port: 8506 },
  { name: 'node-rr', group: 'node', label: 'round robin on http-proxy-3 + keep-alive agent', kind: 'node', args: ['node-rr', 'http'], port: 8507 },
  { name: 'undici-rr', group: 'node', label: 'round robin on undici Pool dispatch', kind: 'node', args: ['undici-rr', 'http'], port: 8520 },
  { name: 'hpm', group: 'node', label: 'http-proxy-middleware router in Express 5', kind: 'node', args: ['hpm', 'http'], port: 8508 },
  { name: 'ours-bare-http', group: 'ours', label: 'sticky-balancer, node:http, HTTP members, http.transport \'http-proxy-3\'', kind: 'node', args: ['ours-bare', 'http'], port: 8511 },
  { name: 'ours-bare-http-node', group: 'ours', label: 'sticky-balancer, node:http, HTTP members, http.transport \'node\'', kind: 'node', args: ['ours-bare', 'http-node'], port: 8519 },
  { name: 'ours-bare-http-undici', group: 'ours', label: 'sticky-balancer, node:http, HTTP members, http.transport \'undici\'', kind: 'node', args: ['ours-bare', 'http-undici'], port: 8521 },
  { name: 'ours-bare-ajp', group: 'ours', label: 'sticky-balancer, node:http, AJP members', kind: 'node', args: ['ours-bare', 'ajp'], port: 8512 },
  { name: 'ours-express-http', group: 'ours', label: 'sticky-balancer, Express 5, HTTP members', kind: 'node', args: ['ours-express', 'http'], port: 8513 },
  { name: 'ours-express-ajp', group: 'ours', label: 'sticky-balancer, Express 5, AJP members', kind: 'node', args: ['ours-express', 'ajp'], port: 8514 },
  { name: 'ours-express-bypass-ajp', group: 'ours', label: 'sticky-balancer, Express 5 with bypass(app, \'/testapp\'), AJP members', kind: 'node', args: ['ours-express-bypass', 'ajp'], port: 8530 },
  { name: 'ours-koa-http', group: 'ours', label: 'sticky-balancer, Koa 3, HTTP members', kind: 'node', args: ['ours-koa', 'http'], port: 8515 },
  { name: 'ours-koa-ajp', group: 'ours', label: 'sticky-balancer, Koa 3, AJP members', kind: 'node', args: ['ours-koa', 'ajp'], port: 8516 },
  { name: 'ours-koa-bypass-ajp', group: 'ours', label: 'sticky-balancer, Koa 3 with bypass(app.callback(), \'/testapp\'), AJP members', kind: 'node', args: ['ours-koa-bypass', 'ajp'], port: 8531 },
  { name: 'ours-cluster-http', group: 'ours', label: 'sticky-balancer, node:cluster × 2, HTTP members', kind: 'cluster', proto: 'http', port: 8517 },
  { name: 'ours-cluster-ajp', group: 'ours', label: 'sticky-balancer, node:cluster × 2, AJP members', kind: 'cluster', proto: 'ajp', port: 8518 },
  { name: 'ceiling-ajp', group: 'ceiling', label: 'ceiling: node:http + pooled AJP sockets + our AJP codec, nothing else', kind: 'ceiling', variant: 'ajp', port: 8532 },
  { name: 'ceiling-http', group: 'ceiling', label: 'ceiling: node:http + pooled raw HTTP/1.1 sockets, response framing parsed by hand, nothing else', kind: 'ceiling', variant: 'http', port: 8533 },
  { name: 'ceiling-ajp-express', group: 'ceiling', label: 'ceiling: the ceiling-ajp forwarder mounted in Express 5', kind: 'ceiling', variant: 'ajp-express', port: 8534 },
]

const PLACEHOLDERS = () => ({
  '@RUN@': RUN,
  '@PEERS@': path.join(RUN, 'peers'),
  '@A_NAME@': NODES[0].name,
  '@B_NAME@': NODES[1].name,
  '@A_HTTP@': String(NODES[0].http),
  '@B_HTTP@': String(NODES[1].http),
  '@A_AJP@': String(NODES[0].ajp),
  '@B_AJP@': String(NODES[1].ajp),
  '@SECRET@': SECRET,
})

/** Writes bench/peers/<file> to .run/bench/peers/<file> with the placeholders filled in. */
function render(file, port) {
  const values = { ...PLACEHOLDERS(), '@PORT@': String(port) }
  let text = readFileSync(path.join(PEERS, file), 'utf8')
  for (const [key, value] of Object.entries(values)) text = text.split(key).join(value)
  const out = path.join(RUN, 'peers', file)
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, text, { mode: 0o600 })
  return out
}

function logFile(name) {
  mkdirSync(path.join(RUN, 'logs'), { recursive: true })
  return openSync(path.join(RUN, 'logs', `${name}.log`), 'a')
}

/** GET path on 127.0.0.1:port; resolves with { status, headers, body }. */
export function get(port, urlPath, headers = {}, timeout = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers, agent: false, timeout }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

async function waitReady(target, child, seconds = 30) {
  const deadline = Date.now() + seconds * 1000
  let last
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${target.name} exited with ${child.exitCode} (see ${path.join(RUN, 'logs', target.name + '.log')})`)
    try {
      const r = await get(target.port, '/testapp/static.txt', {}, 2000)
      if (r.status === 200) return
      last = `status ${r.status}`
    } catch (err) {
      last = err.message
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${target.name} not ready on port ${target.port} after ${seconds} s (${last})`)
}

/** Fails early when something else listens on the target's port. */
async function ensurePortFree(target) {
  try {
    await get(target.port, '/', {}, 1000)
  } catch (err) {
    if (err.code === 'ECONNREFUSED') return
  }
  throw new Error(`port ${target.port} (${target.name}) is already in use; stop what listens there or pick another port`)
}

/**
 * Starts a target (not `direct`) and resolves with { pid, stop() } once it answers. `pid` is the
 * root of the process tree whose CPU and memory are measured.
 */
export async function startTarget(target, { nodeArgs = [], extraArgs = [], env = {} } = {}) {
  await ensurePortFree(target)
  const log = logFile(target.name)
  let child
  switch (target.kind) {
    case 'nginx': {
      const conf = render(target.conf, target.port)
      const tmp = path.join(RUN, `${path.basename(target.conf, '.conf')}-tmp`)
      mkdirSync(tmp, { recursive: true })
      child = spawn('nginx', ['-c', conf, '-p', RUN, '-e', path.join(RUN, `${target.name}.error.log`)], { stdio: ['ignore', log, log] })
      break
    }
    case 'httpd': {
      render('httpd-common.conf', target.port)
      if (target.conf === 'httpd-jk.conf') render('workers.properties', target.port)
      const conf = render(target.conf, target.port)
      mkdirSync(path.join(RUN, `${path.basename(target.conf, '.conf')}.rt`), { recursive: true })
      child = spawn('apache2', ['-f', conf, '-DFOREGROUND'], { stdio: ['ignore', log, log] })
      break
    }
    case 'haproxy': {
      const conf = render(target.conf, target.port)
      child = spawn('haproxy', ['-f', conf, '-db'], { stdio: ['ignore', log, log] })
      break
    }
    case 'node': {
      child = spawn(process.execPath, [...nodeArgs, path.join(BENCH_DIR, 'targets', 'node-target.mjs'), target.args[0], String(target.port), target.args[1], ...extraArgs], {
        cwd: REPO, stdio: ['ignore', log, log], env: { ...process.env, ...env, TOMCAT_AJP_SECRET: SECRET },
      })
      break
    }
    case 'ceiling': {
      child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(BENCH_DIR, 'targets', 'ceiling-target.ts'), target.variant, String(target.port)], {
        cwd: REPO, stdio: ['ignore', log, log], env: { ...process.env, ...env, TOMCAT_AJP_SECRET: SECRET },
      })
      break
    }
    case 'cluster': {
      const members = NODES.map((n) => `${n.name}=${target.proto}://127.0.0.1:${target.proto === 'ajp' ? n.ajp : n.http}`).join(',')
      child = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'examples', 'cluster', 'server.mjs')], {
        cwd: REPO, stdio: ['ignore', log, log],
        env: { ...process.env, PORT: String(target.port), WORKERS: '2', MEMBERS: members, TOMCAT_AJP_SECRET: SECRET },
      })
      break
    }
    default:
      throw new Error(`cannot start ${target.kind}`)
  }
  try {
    await waitReady(target, child)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    // nginx: SIGQUIT is the graceful stop; httpd: SIGWINCH graceful-stop, SIGTERM is fine here.
    child.kill(target.kind === 'nginx' ? 'SIGQUIT' : 'SIGTERM')
  })
  return { pid: child.pid, child, stop }
}

/** Versions of the programs on the machine, for the report. */
export function versions() {
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' })
    return `${r.stdout ?? ''}${r.stderr ?? ''}`
  }
  const first = (text, re) => re.exec(text)?.[1] ?? 'not found'
  const tomcat = run('java', ['-cp', '/usr/share/tomcat10/lib/catalina.jar', 'org.apache.catalina.util.ServerInfo'])
  const java = run('java', ['-version'])
  return {
    node: process.version,
    tomcat: first(tomcat, /Server number:\s*(\S+)/),
    java: first(java, /version "([^"]+)"/),
    nginx: first(run('nginx', ['-v']), /nginx\/(\S+)/),
    httpd: first(run('apache2', ['-v']), /Apache\/(\S+)/),
    modJk: existsSync('/usr/lib/apache2/modules/mod_jk.so') ? first(run('dpkg-query', ['-W', '-f=${Version}', 'libapache2-mod-jk']), /^(\S+)/) : 'not found',
    haproxy: first(run('haproxy', ['-v']), /HAProxy version (\S+)/),
    wrk: first(run('wrk', ['-v']), /wrk (\S+)/),
  }
}

export const TOMCAT_RUN_DIR = path.join(REPO, '.run', 'bench-tomcat')

/** Environment of tomcat-testapp/bin/nodes.sh for the bench nodes. */
export const tomcatEnv = {
  ...process.env,
  TOMCAT_NODES: NODES.map((n) => `${n.name}:${n.http}:${n.ajp}`).join(' '),
  TOMCAT_RUN_DIR,
  TOMCAT_AJP_SECRET: SECRET,
  TOMCAT_MAX_KEEPALIVE_REQUESTS: '-1',
  // The "new" workload creates ~10^5 sessions per minute, each kept 30 min: a larger heap than the tests'.
  TOMCAT_JAVA_OPTS: '-Xms512m -Xmx2g -Xss512k -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true',
}

/** Runs tomcat-testapp/bin/nodes.sh with the bench nodes; throws with its output when it fails. */
export function nodesSh(...args) {
  const r = spawnSync(path.join(REPO, 'tomcat-testapp', 'bin', 'nodes.sh'), args, { env: tomcatEnv, encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`nodes.sh ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`)
  return r.stdout
}

/** Tomcat pid of a bench node (for its CPU time). */
export function tomcatPid(node) {
  try {
    return Number(readFileSync(path.join(TOMCAT_RUN_DIR, node.name, 'tomcat.pid'), 'utf8').trim())
  } catch {
    return undefined
  }
}

export function ensureDirs() {
  mkdirSync(RUN, { recursive: true })
  chmodSync(RUN, 0o755)
}
