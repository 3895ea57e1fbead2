/**
 * Tiny in-process HTTP upstreams on port 0 for tests of edge cases Tomcat cannot produce.
 * Never a replacement for the Tomcat tests.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import { onTestFinished } from 'vitest'

export interface FakeUpstream {
  readonly name: string
  readonly url: string
  readonly server: http.Server
  /** Requests seen, in order. */
  readonly seen: { method: string; url: string; headers: http.IncomingHttpHeaders }[]
  close(): Promise<void>
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, name: string) => void

/** Answers JSON describing the request, including the body's length and SHA-256. */
export const echoHandler: UpstreamHandler = (req, res, name) => {
  const hash = createHash('sha256')
  let length = 0
  req.on('data', (chunk: Buffer) => {
    hash.update(chunk)
    length += chunk.length
  })
  req.on('end', () => {
    const body = JSON.stringify({ node: name, method: req.method, url: req.url, headers: req.headers, length, sha256: hash.digest('hex') })
    res.writeHead(200, { 'content-type': 'application/json', 'x-node': name })
    res.end(body)
  })
}

export async function startUpstream(name: string, handler: UpstreamHandler = echoHandler): Promise<FakeUpstream> {
  const seen: FakeUpstream['seen'] = []
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers })
    handler(req, res, name)
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const upstream: FakeUpstream = {
    name,
    url: `http://127.0.0.1:${port}`,
    server,
    seen,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
  onTestFinished(() => upstream.close())
  return upstream
}

/** A URL on which nothing listens (a port that was just free). */
export async function deadUrl(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** Starts a plain node:http server on port 0 around a request handler; closed after the test. */
export async function startFront(handler: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  onTestFinished(() => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${port}`, server }
}
