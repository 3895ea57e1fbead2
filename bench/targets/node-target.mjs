// One Node proxy for the benchmark, in its own process so its CPU time and memory can be read
// from /proc. Started by bench/run.mjs, bench/memory.mjs and bench/profile.mjs:
//
//   node bench/targets/node-target.mjs <kind> <port> <http|ajp> [members]
//
// kind:    ours-bare     createBalancer() in a bare node:http server
// proto:   http (http-proxy-3 transport), http-node (the node:http transport), http-undici (the
//          undici transport), ajp
//          ours-express  sticky-balancer/express mounted on /testapp in Express 5
//          ours-express-bypass  the same app, served through the middleware's bypass(app, '/testapp')
//          ours-koa      sticky-balancer/koa in Koa 3
//          ours-koa-bypass  the same app, served through the middleware's bypass(app.callback(), '/testapp')
//          node-rr       hand-rolled round robin over http-proxy-3 with a keep-alive agent (HTTP only)
//          undici-rr     hand-rolled round robin over two undici Pools, raw dispatch handler (HTTP only)
//          hpm           http-proxy-middleware with a `router` in Express 5 (HTTP only)
// members: "route=host:port,route=host:port" (default: BenchA=127.0.0.1:8281/8209, BenchB=…8282/8210)
//
// Prints "ready <port>" on stdout once listening. SIGTERM/SIGINT close it (and, under
// --cpu-prof, let Node write the profile).
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const [kind, portText, proto = 'http', membersText] = process.argv.slice(2)
const port = Number(portText)
if (!kind || !Number.isInteger(port)) {
  console.error('usage: node-target.mjs <ours-bare|ours-express|ours-express-bypass|ours-koa|ours-koa-bypass|node-rr|undici-rr|hpm> <port> [http|http-node|http-undici|ajp] [route=host:port,...]')
  process.exit(2)
}
const secret = process.env.TOMCAT_AJP_SECRET ?? 'sticky-balancer-dev-secret'
const scheme = proto === 'ajp' ? 'ajp' : 'http'
const defaults = proto === 'ajp' ? 'BenchA=127.0.0.1:8209,BenchB=127.0.0.1:8210' : 'BenchA=127.0.0.1:8281,BenchB=127.0.0.1:8282'
const nodes = (membersText ?? defaults).split(',').map((entry) => {
  const [route, hostPort] = entry.split('=')
  return { route, url: `${scheme}://${hostPort}` }
})

function balancerOptions() {
  return {
    members: nodes,
    sticky: { cookie: 'JSESSIONID' },
    // ours-*-http: the http-proxy-3 transport, named (the default is 'undici' since it was measured fastest).
    ...(proto === 'http' ? { http: { transport: 'http-proxy-3' } } : {}),
    // ours-*-http-node: the node:http transport (http.transport: 'node').
    ...(proto === 'http-node' ? { http: { transport: 'node' } } : {}),
    // ours-*-http-undici: the undici transport (http.transport: 'undici', the default).
    ...(proto === 'http-undici' ? { http: { transport: 'undici' } } : {}),
    // BENCH_AJP_PACKET_SIZE must equal the connector's packetSize (TOMCAT_PACKET_SIZE).
    ...(proto === 'ajp' ? { ajp: { secret, ...(process.env.BENCH_AJP_PACKET_SIZE ? { packetSize: Number(process.env.BENCH_AJP_PACKET_SIZE) } : {}) } } : {}),
  }
}

let server
let closeProxy = async () => {}

switch (kind) {
  case 'ours-bare': {
    const { createBalancer } = await import('sticky-balancer')
    const balancer = createBalancer(balancerOptions())
    server = http.createServer((req, res) => balancer.handle(req, res))
    closeProxy = () => balancer.close()
    break
  }
  case 'ours-express':
  case 'ours-express-bypass': {
    const { default: express } = await import('express')
    const { stickyBalancer } = await import('sticky-balancer/express')
    const app = express()
    const middleware = stickyBalancer(balancerOptions())
    app.use('/testapp', middleware)
    // The bypass is what the Express guide recommends for a busy proxy: /testapp skips Express's per-request work.
    server = http.createServer(kind === 'ours-express-bypass' ? middleware.bypass(app, '/testapp') : app)
    closeProxy = () => middleware.balancer.close()
    break
  }
  case 'ours-koa':
  case 'ours-koa-bypass': {
    const { default: Koa } = await import('koa')
    const { stickyBalancer } = await import('sticky-balancer/koa')
    const app = new Koa()
    const middleware = stickyBalancer(balancerOptions())
    app.use(middleware)
    // The Koa counterpart: /testapp skips Koa's context and middleware chain.
    server = http.createServer(kind === 'ours-koa-bypass' ? middleware.bypass(app.callback(), '/testapp') : app.callback())
    closeProxy = () => middleware.balancer.close()
    break
  }
  case 'node-rr': {
    // What a user writes by hand today: round robin, one keep-alive agent, http-proxy-3.
    const { createProxyServer } = await import('http-proxy-3')
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
    const targets = nodes.map((n) => n.url)
    const proxy = createProxyServer({ agent, xfwd: true })
    let next = 0
    server = http.createServer((req, res) => {
      const target = targets[next]
      next = (next + 1) % targets.length
      proxy.web(req, res, { target }, () => {
        if (!res.headersSent) res.writeHead(502)
        res.end()
      })
    })
    closeProxy = async () => agent.destroy()
    break
  }
  case 'undici-rr': {
    // The same round robin on undici's connection pool and its low-level dispatch API: the floor
    // of what a Node proxy on undici costs (hop-by-hop response fields dropped, nothing else).
    const { Pool } = await import('undici')
    const pools = nodes.map((n) => new Pool(n.url, { connections: 256, pipelining: 1 }))
    const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding'])
    class Relay {
      constructor(res) { this.res = res }
      onConnect() {}
      onHeaders(status, raw, resume, statusText) {
        const headers = []
        for (let i = 0; i < raw.length; i += 2) {
          const name = raw[i].toString('latin1')
          if (!HOP.has(name.toLowerCase())) headers.push(name, raw[i + 1].toString('latin1'))
        }
        this.res.writeHead(status, statusText, headers)
        this.resume = resume
        return true
      }
      onData(chunk) {
        if (this.res.write(chunk)) return true
        this.res.once('drain', this.resume)
        return false
      }
      onComplete() { this.res.end() }
      onError() {
        if (!this.res.headersSent) this.res.writeHead(502)
        this.res.end()
      }
    }
    let next = 0
    server = http.createServer((req, res) => {
      const pool = pools[next]
      next = (next + 1) % pools.length
      const headers = []
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!HOP.has(req.rawHeaders[i].toLowerCase())) headers.push(req.rawHeaders[i], req.rawHeaders[i + 1])
      }
      const body = req.method === 'GET' || req.method === 'HEAD' ? null : req
      pool.dispatch({ path: req.url, method: req.method, headers, body }, new Relay(res))
    })
    closeProxy = () => Promise.all(pools.map((p) => p.destroy()))
    break
  }
  case 'hpm': {
    // http-proxy-middleware is not a dependency of the project; bench/run.mjs installs it under
    // .run/bench/deps when it is missing (see bench/README.md).
    const { default: express } = await import('express')
    const { createProxyMiddleware } = await importHpm()
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
    const targets = nodes.map((n) => n.url)
    let next = 0
    const app = express()
    app.use(createProxyMiddleware({
      pathFilter: '/testapp',
      target: targets[0],
      router: () => {
        const target = targets[next]
        next = (next + 1) % targets.length
        return target
      },
      agent,
      xfwd: true,
    }))
    server = http.createServer(app)
    closeProxy = async () => agent.destroy()
    break
  }
  default:
    console.error(`unknown kind ${kind}`)
    process.exit(2)
}

async function importHpm() {
  try {
    return await import('http-proxy-middleware')
  } catch {
    const here = path.dirname(fileURLToPath(import.meta.url))
    const require = createRequire(path.resolve(here, '../../.run/bench/deps/package.json'))
    return import(require.resolve('http-proxy-middleware'))
  }
}

// wrk keeps its connections; do not let Node's defaults cut long runs.
server.keepAliveTimeout = 65_000
server.headersTimeout = 66_000
server.requestTimeout = 0
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${port}\n`)
})

let closing = false
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    if (closing) return
    closing = true
    server.closeAllConnections?.()
    server.close()
    await Promise.race([closeProxy(), new Promise((resolve) => setTimeout(resolve, 2000))])
    process.exit(0)
  })
}
