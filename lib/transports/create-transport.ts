/**
 * Chooses a member's transport from its URL scheme; the only place that knows both.
 *
 * @module
 */
import type { Member } from '../members/member.js'
import type { ResolvedBalancerOptions, ResolvedMemberOptions } from '../options.js'
import { memberTlsOptions } from '../options.js'
import type { TlsOptions } from '../net/tls-options.js'
import { openAjpTransport } from './ajp/ajp-transport.js'
import { createHttpTransport } from './http/http-transport.js'
import { createNodeHttpTransport } from './http/node-http-transport.js'
import { createUndiciTransport } from './http/undici-transport.js'
import type { Transport } from './transport.js'

/** `tls`: the member's merged TLS settings when the caller has them already (see {@link memberTlsOptions}). */
export function createTransport(member: Member, settings: ResolvedMemberOptions, options: ResolvedBalancerOptions, tls = memberTlsOptions(settings, options, `member ${member.id} tls`)): Transport {
  switch (member.protocol) {
    case 'http':
    case 'https': {
      const http = {
        connectTimeout: options.connectTimeout,
        timeout: options.timeout,
        maxSockets: options.http.maxSockets,
        maxQueue: options.http.maxQueue,
        maxFreeSockets: options.http.maxFreeSockets,
        idleTimeout: options.http.idleTimeout,
        clientBodyTimeout: options.clientBodyTimeout,
        clientSendTimeout: options.clientSendTimeout,
        tls: member.protocol === 'https' ? tls as Readonly<TlsOptions> | undefined : undefined,
        preserveHost: options.preserveHost,
        upgradeUrl: settings.upgradeUrl,
      }
      switch (options.http.transport) {
        case 'http-proxy-3':
          return createHttpTransport(member, http)
        case 'undici':
          return createUndiciTransport(member, http)
        default:
          return createNodeHttpTransport(member, http)
      }
    }
    case 'ajp':
      // Resolved once, with the member's options (its own `ajp` over the balancer's).
      return openAjpTransport(member, settings.ajpTransport ?? options.ajp, {
        clientBodyTimeout: options.clientBodyTimeout,
        clientSendTimeout: options.clientSendTimeout,
      }, settings.upgradeUrl)
  }
}
