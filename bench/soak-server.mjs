// The process under test of bench/soak.mjs: two balancers, one with HTTP members and one with AJP
// members (the same two Tomcat nodes), each in its own server on 127.0.0.1:0. Started by soak.mjs
// with an IPC channel and --expose-gc; it answers:
//
//   { type: 'sample' }  → { type: 'sample', ... }  memory after a full GC, handles by kind, open file
//                          descriptors, client connections, upstream sockets and requests in flight
//   { type: 'close' }   → closes both balancers (the servers keep listening), then answers a sample
//
// Arguments (JSON in argv[2]): { nodes: [{ route, http, ajp }], host: 'bare'|'express'|'koa', secret, dist }
// `dist` (optional): a build directory to import instead of the sources in lib/ (see --dist).
import { readdirSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const config = JSON.parse(process.argv[2])
// stdout and stderr are created lazily, each with a handle of its own: create them before the
// baseline, so that the first line a dependency prints does not look like a leak
void process.stdout
void process.stderr
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')

async function load() {
  if (config.dist) {
    const dir = path.resolve(config.dist)
    return {
      core: await import(pathToFileURL(path.join(dir, 'index.js')).href),
      express: config.host === 'express' ? await import(pathToFileURL(path.join(dir, 'express.js')).href) : undefined,
      koa: config.host === 'koa' ? await import(pathToFileURL(path.join(dir, 'koa.js')).href) : undefined,
    }
  }
  // the sources, through tsx (soak.mjs starts this process with --import tsx)
  return {
    core: await import(pathToFileURL(path.join(repo, 'lib', 'index.ts')).href),
    express: config.host === 'express' ? await import(pathToFileURL(path.join(repo, 'adapters', 'express', 'index.ts')).href) : undefined,
    koa: config.host === 'koa' ? await import(pathToFileURL(path.join(repo, 'adapters', 'koa', 'index.ts')).href) : undefined,
  }
}

const modules = await load()

async function front(protocol) {
  const options = {
    members: config.nodes.map((n) => ({ url: protocol === 'http' ? `http://127.0.0.1:${n.http}` : `ajp://127.0.0.1:${n.ajp}`, route: n.route })),
    ajp: { secret: config.secret },
    logger: false,
  }
  let balancer
  let listener
  if (config.host === 'express') {
    const { default: express } = await import('express')
    const app = express()
    const middleware = modules.express.stickyBalancer(options)
    balancer = middleware.balancer
    app.use(middleware)
    listener = app
  } else if (config.host === 'koa') {
    const { default: Koa } = await import('koa')
    const app = new Koa()
    const middleware = modules.koa.stickyBalancer(options)
    balancer = middleware.balancer
    app.use(middleware)
    listener = app.callback()
  } else {
    balancer = modules.core.createBalancer(options)
    listener = (req, res) => void balancer.handle(req, res)
  }
  const server = http.createServer(listener)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { protocol, balancer, server, port: server.address().port }
}

const fronts = [await front('http'), await front('ajp')]

function connections(server) {
  return new Promise((resolve) => server.getConnections((_err, n) => resolve(n ?? 0)))
}

async function sample() {
  globalThis.gc?.()
  globalThis.gc?.()
  const mem = process.memoryUsage()
  const handles = {}
  for (const kind of process.getActiveResourcesInfo()) handles[kind] = (handles[kind] ?? 0) + 1
  let fds = -1
  try {
    fds = readdirSync('/proc/self/fd').length
  } catch {}
  const balancers = {}
  for (const f of fronts) {
    const members = {}
    for (const m of f.balancer.members) {
      const s = f.balancer.sockets()[m.id] ?? { open: 0, idle: 0 }
      members[m.id] = { open: s.open, idle: s.idle, inFlight: m.counters.inFlight, requests: m.counters.requests, errors: m.counters.errors, health: m.health }
    }
    balancers[f.protocol] = { clients: await connections(f.server), members }
  }
  return {
    type: 'sample',
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    handles,
    handleCount: Object.values(handles).reduce((a, b) => a + b, 0),
    fds,
    balancers,
  }
}

process.on('message', async (msg) => {
  if (msg.type === 'sample') process.send(await sample())
  else if (msg.type === 'close') {
    await Promise.all(fronts.map((f) => f.balancer.close()))
    await new Promise((r) => setTimeout(r, 200))
    process.send({ ...(await sample()), type: 'closed' })
  }
})

process.send({ type: 'ready', ports: Object.fromEntries(fronts.map((f) => [f.protocol, f.port])), node: process.version })
