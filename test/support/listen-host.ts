/**
 * The end of every test host: listen on 127.0.0.1, and a close() that ends the connections, the
 * balancer and the server in that order.
 */
import type http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Balancer } from '../../lib/balancer.js'

export interface ListeningHost {
  readonly port: number
  /** What the client puts before the path below the mount: the mount, or `''` for a bare host. */
  readonly prefix: string
  readonly balancer: Balancer
  close(): Promise<void>
}

export async function listenHost(server: http.Server, balancer: Balancer, prefix: string): Promise<ListeningHost> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    prefix,
    balancer,
    close: async () => {
      server.closeAllConnections()
      await balancer.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
