/**
 * Upgrade requests (Node's `'upgrade'` event: WebSocket, or another token of `upgrade.protocols`),
 * built from the parts requests use: the same preflight (request guard, path confinement,
 * `pathRewrite`), the same member selector, client facts, request headers, hooks, accounting and
 * passive health, and errors rendered by lib/respond.ts on the raw socket. Only the last step
 * differs: the connection is tunnelled to the member's upgrade target.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { clientText, clientTexts } from '../client-text.js'
import { HookError, LbError, NoMemberError, NotImplementedError } from '../errors.js'
import { judgeFailure } from '../failover-policy.js'
import type { Member } from '../members/member.js'
import type { MemberRegistry } from '../members/member-registry.js'
import type { PassiveHealth } from '../members/passive-health.js'
import { believedClient, publicHostOf } from '../net/client-connection.js'
import type { Observer } from '../observe.js'
import type { ResolvedBalancerOptions } from '../options.js'
import { runRequestHook } from '../proxy/hooks.js'
import { preflight } from '../proxy/preflight.js'
import { buildRequestHeaders } from '../proxy/request-headers.js'
import type { PathRefusal, RequestTarget } from '../proxy/request-target.js'
import { writeRawError } from '../respond.js'
import type { MemberSelector } from '../routing/member-selector.js'
import { sessionRouteNames } from '../session/session-route.js'
import type { MountContext } from '../types.js'
import { refuseConnect } from './attach.js'
import type { UpgradeTunnels } from './tunnels.js'
import { allowedUpgrade } from './upgrade-protocols.js'

const NO_ROUTES: readonly string[] = Object.freeze([])

/** The parts an {@link UpgradeHandler} works with (the forwarder's, and the tunnels). */
export interface UpgradeParts {
  readonly options: ResolvedBalancerOptions
  readonly registry: MemberRegistry
  readonly selector: MemberSelector
  readonly health: PassiveHealth
  readonly observe: Observer
  readonly tunnels: UpgradeTunnels
  /** Whether the `trustProxy` option was given (even `false`): then it wins over the host framework's setting. */
  readonly trustProxyGiven: boolean
}

/** @internal */
export class UpgradeHandler {
  readonly #parts: UpgradeParts

  constructor(parts: UpgradeParts) {
    this.#parts = parts
  }

  /** Answers a `CONNECT` request with 405 and `Allow` on the raw socket: a reverse proxy is not a tunnel. */
  connect(req: IncomingMessage, socket: Duplex): void {
    this.#parts.observe.log.debug({ path: clientText(req.url ?? ''), method: 'CONNECT', status: 405, reason: 'CONNECT is not supported' }, 'request refused')
    refuseConnect(req, socket)
  }

  /**
   * Tunnels one upgrade request below `mountPath` to a member, or answers on the socket why not.
   * `url` is the request target as the client sent it; `relative` its part below the mount.
   */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, mount: MountContext, url: string, relative: string, mountPath: string, target: RequestTarget | PathRefusal): Promise<void> {
    const { options, registry, selector, health, observe, tunnels } = this.#parts
    const log = observe.log
    const upstreamPrefix = options.upstreamPath ?? mountPath
    const path = preflight(req, url, target, upstreamPrefix, options)
    if (typeof path !== 'string') {
      if (path instanceof HookError) observe.hookFailed(path, undefined, relative)
      else log.debug({ path: relative, code: path.code, status: path.statusCode, reason: path.message, upgrade: clientText(req.headers.upgrade ?? '') }, 'request refused')
      return writeRawError(socket, path)
    }
    // Only allowed offers go on, as our own lower-case text (upgrade.protocols; websocket by default).
    const protocol = allowedUpgrade(req.headers.upgrade, options.upgrade.protocols)
    if (protocol === undefined) {
      log.debug({ path: relative, status: 501, upgrade: clientText(req.headers.upgrade ?? '') }, 'upgrade refused: protocol not in upgrade.protocols')
      return writeRawError(socket, new NotImplementedError('this upgrade protocol is not allowed here'))
    }
    const sticky = options.sticky
    const routes = sticky === false ? NO_ROUTES : sessionRouteNames({ url, cookieHeader: req.headers.cookie, req }, sticky)
    const tried: Member[] = []
    const limit = options.upgrade.maxPerMember
    let full = false
    for (;;) {
      const choice = selector.choose(registry.members, req, routes, tried, Date.now())
      if (choice instanceof LbError) {
        const error = full && choice instanceof NoMemberError ? new NoMemberError(`every usable member has upgrade.maxPerMember (${limit}) upgraded connections`) : choice
        log.warn({ path: relative, code: error.code, routes: clientTexts(routes), upgrade: protocol, full }, 'no member can take the upgrade')
        return writeRawError(socket, error)
      }
      const { member, reason } = choice
      if (tunnels.isFull(member)) {
        // A session stays on its member; a new connection may go to one with room.
        if (reason === 'sticky') {
          log.warn({ member: member.id, path: relative, limit }, 'upgrade refused: the session\'s member is at upgrade.maxPerMember')
          return writeRawError(socket, new NoMemberError(`the session's member has upgrade.maxPerMember (${limit}) upgraded connections`))
        }
        tried.push(member)
        full = true
        continue
      }
      const entry = registry.entry(member)
      const upgradeTarget = entry.transport.upgradeTarget
      if (upgradeTarget === undefined) {
        log.warn(
          { member: member.id, url: member.url.href, path: relative, upgrade: protocol },
          'upgrade refused: this member\'s protocol cannot carry upgrades; set its upgradeUrl to its HTTP connector (e.g. upgradeUrl: \'http://host:8080\')',
        )
        return writeRawError(socket, entry.transport.upgradeRefusal?.(protocol) ?? new NotImplementedError('a protocol upgrade cannot be forwarded to this member'))
      }
      member.countPick(reason)
      const client = believedClient(req, this.#parts.trustProxyGiven ? options.trustProxy : mount.trustProxy)
      const headers = buildRequestHeaders(req, client, upgradeTarget.host, publicHostOf(req, client), options)
      let memberPath = path
      if (options.onRequest !== undefined) {
        const chosen = runRequestHook(options.onRequest, req, member, 1, true, path, headers, upstreamPrefix)
        if (chosen instanceof HookError) {
          observe.hookFailed(chosen, member, relative)
          return writeRawError(socket, chosen)
        }
        memberPath = chosen
      }
      headers.connection = 'upgrade'
      headers.upgrade = protocol
      const started = performance.now()
      const outcome = await tunnels.open({ member, target: upgradeTarget, req, socket, head, path: memberPath, headers, tls: entry.tls })
      const error = outcome.error
      if (error && error.code !== 'LB_ERR_CLIENT_ABORTED') {
        member.countFailure(error)
        const verdict = judgeFailure(error, req, false)
        if (verdict.memberCode !== undefined) health.failed(member, { code: verdict.memberCode, message: error.message })
        observe.upgradeError(member, error, relative, protocol)
      } else if (!error) {
        health.succeeded(member)
      }
      observe.upgrade({ member, status: outcome.status, reason, durationMs: performance.now() - started, protocol, error: error?.code })
      return
    }
  }
}
