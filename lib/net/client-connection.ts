/**
 * The client connection as the balancer believes it, shared by requests and upgrades: the facts
 * of the socket (read once per socket: a keep-alive connection carries many requests), or what a
 * trusted proxy in front reports, and the `host[:port]` the client addressed.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { forwardedClient, trustsAnyone } from '../proxy/forwarded-client.js'
import type { ClientTrust } from '../proxy/forwarded-client.js'
import type { ClientConnection } from '../transports/transport.js'

const clientsBySocket = new WeakMap<object, ClientConnection>()

/** The facts of the request's socket. */
export function clientConnection(req: IncomingMessage): ClientConnection {
  const socket = req.socket
  let client = clientsBySocket.get(socket)
  if (client === undefined) {
    client = Object.freeze({
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      secure: (socket as TLSSocket).encrypted === true,
    })
    // Not before the socket knows its addresses (a request handed over by another server may not).
    if (client.address !== '') clientsBySocket.set(socket, client)
  }
  return client
}

/**
 * The client connection as the balancer believes it: the socket's facts, or what a trusted proxy
 * in front reports. The socket's when no proxy is trusted: nothing more is read or allocated.
 */
export function believedClient(req: IncomingMessage, trust: ClientTrust | undefined): ClientConnection {
  const client = clientConnection(req)
  return trustsAnyone(trust) ? forwardedClient(req, client, trust) : client
}

/**
 * The `host[:port]` the client addressed: as a trusted proxy reports it, else its `Host`; the
 * proxy's own address when it sent no `Host`.
 */
export function publicHostOf(req: IncomingMessage, client: ClientConnection): string {
  const host = client.forwardedHost ?? req.headers.host
  if (host) return host
  const address = client.localAddress.includes(':') ? `[${client.localAddress}]` : client.localAddress
  return `${address}:${client.localPort}`
}
