/**
 * A TCP relay on 127.0.0.1:0 that records the bytes it passes in both directions, per connection:
 * put it between a proxy (httpd with mod_proxy_ajp) and Tomcat's AJP port to capture what the proxy
 * really sends.
 *
 * @module
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface RecordedConnection {
  /** Bytes from the client of the relay (the proxy): server → container for AJP. */
  readonly toTarget: Buffer[]
  /** Bytes from the target (Tomcat): container → server for AJP. */
  readonly fromTarget: Buffer[]
  closed: boolean
}

export interface RecordingRelay {
  readonly port: number
  readonly connections: readonly RecordedConnection[]
  /** Time of the last byte relayed in either direction (`Date.now()`). */
  readonly lastActivity: number
  /** Resolves once nothing was relayed for `quietMs` (at most `timeoutMs`). */
  quiet(quietMs?: number, timeoutMs?: number): Promise<void>
  /** Returns everything recorded so far, concatenated per direction, and forgets it. */
  take(): { toTarget: Buffer; fromTarget: Buffer; connections: number }
  close(): Promise<void>
}

export async function startRecordingRelay(targetHost: string, targetPort: number): Promise<RecordingRelay> {
  let connections: RecordedConnection[] = []
  let lastActivity = Date.now()
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const record: RecordedConnection = { toTarget: [], fromTarget: [], closed: false }
    connections.push(record)
    const target = createConnection({ host: targetHost, port: targetPort })
    sockets.add(client)
    sockets.add(target)
    client.on('data', (chunk: Buffer) => {
      lastActivity = Date.now()
      record.toTarget.push(Buffer.from(chunk))
      target.write(chunk)
    })
    target.on('data', (chunk: Buffer) => {
      lastActivity = Date.now()
      record.fromTarget.push(Buffer.from(chunk))
      client.write(chunk)
    })
    const finish = (): void => {
      record.closed = true
      client.destroy()
      target.destroy()
      sockets.delete(client)
      sockets.delete(target)
    }
    client.on('close', finish)
    target.on('close', finish)
    client.on('error', finish)
    target.on('error', finish)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    port,
    get connections() {
      return connections
    },
    get lastActivity() {
      return lastActivity
    },
    async quiet(quietMs = 150, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() - lastActivity < quietMs && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    },
    take() {
      const taken = connections
      const toTarget = Buffer.concat(taken.flatMap((c) => c.toTarget))
      const fromTarget = Buffer.concat(taken.flatMap((c) => c.fromTarget))
      // Open connections keep recording into their (now emptied) records; closed ones are dropped.
      for (const c of taken) {
        c.toTarget.length = 0
        c.fromTarget.length = 0
      }
      connections = taken.filter((c) => !c.closed)
      return { toTarget, fromTarget, connections: taken.length }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}
