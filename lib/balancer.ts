/**
 * The balancer: for each request, find the member that should take it, forward the request with
 * that member's transport, and fail over when it is safe.
 *
 * @module
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { BalancerClosedError, HookError, LbError, NoMemberError, NotFoundError, NotImplementedError, toGatewayError } from './errors.js'
import { clientText, clientTexts } from './client-text.js'
import type { BodyConsumedError, LbErrorCode } from './errors.js'
import type { Logger } from './logger.js'
import { defaultLogger, silentLogger, toLogger } from './logger.js'
import { MemberSelector } from './routing/member-selector.js'
import { Member } from './members/member.js'
import type { BalancerOptions, ResolvedBalancerOptions } from './options.js'
import { memberTlsOptions, resolveBalancerOptions, resolveMemberOptions } from './options.js'
import type { TlsOptions } from './net/tls-options.js'
import type { MemberOptions, ResolvedMemberOptions } from './options.js'
import { ADMIN_STATES } from './members/member-state.js'
import type { AdminState } from './members/member-state.js'
import { InvalidOptionError } from './errors.js'
import { isExcluded } from './proxy/exclude.js'
import { isPathRefusal, pathRefusalError, requestTarget } from './proxy/request-target.js'
import type { PathRefusal, RequestTarget } from './proxy/request-target.js'
import { buildRequestHeaders } from './proxy/request-headers.js'
import { checkRequest } from './proxy/request-guard.js'
import { closeAfter, failResponse, writeError, writeRawError } from './respond.js'
import type { RequestHeaderPolicy } from './proxy/request-headers.js'
import { writeHead, writeResponseHead } from './proxy/response-head.js'
import { rewriteResponseHeaders } from './proxy/reverse-rewrite.js'
import { runRequestHook, runResponseHook } from './proxy/hooks.js'
import { rewriteTarget } from './proxy/path-rewrite.js'
import { ForwardAttempt, Forwarding, InFlightList } from './proxy/forward-attempt.js'
import type { SendHead } from './proxy/forward-attempt.js'
import { createScheduler } from './schedulers/create-scheduler.js'
import { balancerCookieHeader, opaqueRoute } from './session/balancer-cookie.js'
import { firstCookieValue } from './session/cookie-values.js'
import { sessionRouteNames, splitSessionId } from './session/session-route.js'
import type { StickyReason } from './session/sticky-resolver.js'
import type { Scheduler } from './schedulers/scheduler.js'
import { createTransport } from './transports/create-transport.js'
import { isRepeatable, judgeFailure, shouldBufferBody } from './failover-policy.js'
import { readBody } from './proxy/read-body.js'
import { bodyWasRead, consumedBody } from './proxy/consumed-body.js'
import type { ParsedBody } from './proxy/consumed-body.js'
import { BodyBudget } from './proxy/body-budget.js'
import { channels } from './diagnostics.js'
import { HealthChecker } from './health/health-checker.js'
import type { ClientConnection, ForwardResult, ResponseHeaders, Transport } from './transports/transport.js'
import { createAdminHandler } from './admin/admin-handler.js'
import type { AdminHandler } from './admin/admin-handler.js'
import type { AdminOptions } from './admin/options.js'
import { listenAdmin } from './admin/admin-server.js'
import type { AdminListenOptions, AdminListener } from './admin/admin-server.js'
import type { Duplex } from 'node:stream'
import { ClientTimeoutError } from './transports/client-timeout.js'
import { attachUpgrades, refuseConnect } from './upgrade/attach.js'
import type { AttachUpgradesOptions, UpgradeServer } from './upgrade/attach.js'
import { UpgradeTunnels } from './upgrade/tunnels.js'
import { allowedUpgrade } from './upgrade/upgrade-protocols.js'
import { forwardedClient, trustsAnyone } from './proxy/forwarded-client.js'
import type { BalancerEvents, MountContext, NextFunction, UpgradeEvent } from './types.js'

export type { BalancerEvents, ExchangeEvent, MountContext, NextFunction, UpgradeEvent } from './types.js'

interface Entry {
  readonly member: Member
  readonly transport: Transport
  /** The header policy of its requests: the balancer's, with the transport's `preserveHost`. */
  readonly headerPolicy: RequestHeaderPolicy
  /** TLS settings for its `https://` url or upgradeUrl (the balancer's `tls` merged with its own). */
  readonly tls?: Readonly<TlsOptions> | undefined
}

/** The facts of each client socket, read once: a keep-alive connection carries many requests. */
const clientsBySocket = new WeakMap<object, ClientConnection>()

function clientConnection(req: IncomingMessage): ClientConnection {
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
 * The `host[:port]` the client addressed: as a trusted proxy reports it, else its `Host`; the
 * proxy's own address when it sent no `Host`.
 */
function publicHostOf(req: IncomingMessage, client: ClientConnection): string {
  const host = client.forwardedHost ?? req.headers.host
  if (host) return host
  const address = client.localAddress.includes(':') ? `[${client.localAddress}]` : client.localAddress
  return `${address}:${client.localPort}`
}

/**
 * The balancer: members, session stickiness, a scheduler and a transport per member, behind one
 * framework-free request handler. Create it with {@link createBalancer} (or `new Balancer(options)`);
 * the Express and Koa adapters wrap one.
 *
 * @example
 * ```ts
 * const balancer = createBalancer({
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 *   admin: { path: '/balancer-manager' },
 * })
 * const server = http.createServer((req, res) => balancer.handle(req, res)).listen(8080, '127.0.0.1')
 * balancer.attachUpgrades(server)
 *
 * // at run time
 * balancer.setMemberState('TomcatA', 'draining')   // only its sessions, before maintenance
 * balancer.addMember({ url: 'http://127.0.0.1:8083', route: 'TomcatC' })
 * await balancer.removeMember('TomcatA')
 * process.on('SIGTERM', () => server.close(() => void balancer.close()))
 * ```
 */
export class Balancer extends EventEmitter<BalancerEvents> {
  readonly #options: ResolvedBalancerOptions
  /** Replaced, never mutated, on membership changes: a request's loop keeps a consistent list. */
  #members: readonly Member[] = []
  readonly #byMember = new Map<Member, Entry>()
  readonly #scheduler: Scheduler
  readonly #log: Logger
  #memberOrigins: string[] = []
  /** Requests being forwarded: a list linked through their Forwarding (no hashing per request). */
  readonly #inFlight = new InFlightList()
  /** Bytes of request bodies held for retries, across requests (`retryBodyTotal`). */
  readonly #retryBodies: BodyBudget
  #closed = false
  readonly #checker: HealthChecker | undefined
  readonly #selector: MemberSelector
  /** The admin surface of the `admin` option, served by `handle` before anything else. */
  readonly #admin: AdminHandler | undefined
  /** Admin listeners started by {@link listenAdmin}; closed with the balancer. */
  readonly #adminListeners = new Set<AdminListener>()
  /** Upgraded connections (WebSocket…), and where each member takes them (undefined: AJP only). */
  readonly #upgrades: UpgradeTunnels
  /** Whether the `trustProxy` option was given (even `false`): then it wins over the host framework's setting. */
  readonly #trustProxyGiven: boolean

  constructor(options: BalancerOptions) {
    super()
    this.#options = resolveBalancerOptions(options)
    this.#trustProxyGiven = options.trustProxy !== undefined
    const logger = this.#options.logger
    this.#log = logger === false ? silentLogger : logger === undefined ? defaultLogger : toLogger(logger)
    this.#retryBodies = new BodyBudget(this.#options.retryBodyTotal)
    this.#upgrades = new UpgradeTunnels(this.#options.upgrade, {
      connectTimeout: this.#options.connectTimeout,
      timeout: Math.min(this.#options.timeout, this.#options.upgrade.handshakeTimeout),
    })
    this.on('member:removed', (member) => this.#upgrades.closeMember(member, 'member removed'))
    this.#scheduler = createScheduler(this.#options.scheduler, this.#options.trustProxy)
    const sticky = this.#options.sticky
    this.#selector = new MemberSelector(this.#scheduler, {
      sticky: sticky !== false,
      stickyForce: sticky !== false && sticky.force,
      panicThreshold: this.#options.panicThreshold,
      // With active checks, only a passing probe brings a member back.
      forceRecovery: this.#options.forceRecovery && this.#options.health === false,
    })
    for (const settings of this.#options.members) this.#attach(settings)
    const health = this.#options.health
    if (health !== false) {
      this.#checker = new HealthChecker(() => this.#members, health, (member) => this.#probe(member), {
        onResult: (member, passed, error) => {
          if (!passed) this.#log.debug({ member: member.id, code: error?.code, message: error?.message }, 'health check failed')
        },
      })
      this.#checker.start()
    }
    this.#admin = this.#options.admin ? createAdminHandler(this, this.#options.admin) : undefined
  }

  #attach(settings: ResolvedMemberOptions): Member {
    // The balancer cookie names a member by route; one without a route gets an opaque one.
    const sticky = this.#options.sticky
    const route = settings.route ?? (sticky !== false && sticky.balancerCookie !== false ? opaqueRoute(settings.url) : undefined)
    const member = new Member({
      url: settings.url, route, weight: settings.weight, admin: settings.state, redirect: settings.redirect, domain: settings.domain,
      group: settings.group, ignoreErrors: settings.ignoreErrors, slowStartMs: this.#options.slowStartMs,
    })
    member.on('state', (change) => {
      const level = change.health === 'error' ? 'warn' : 'info'
      this.#log[level]({ member: member.id, admin: change.admin, health: change.health, was: `${change.previousAdmin}/${change.previousHealth}`, reason: change.reason }, 'member state changed')
      if (channels.memberState.hasSubscribers) channels.memberState.publish(change)
      this.emit('member:state', change)
    })
    const tls = memberTlsOptions(settings, this.#options, `member ${member.id} tls`)
    const transport = createTransport(member, settings, this.#options, tls)
    const headerPolicy = transport.preserveHost === this.#options.preserveHost ? this.#options : { ...this.#options, preserveHost: transport.preserveHost }
    this.#byMember.set(member, { member, transport, headerPolicy, tls })
    // Draining keeps upgraded connections; stopping closes them after upgrade.closeGrace.
    member.on('state', (change) => {
      if (change.admin === 'stopped' && change.previousAdmin !== 'stopped') this.#upgrades.closeMember(member, 'member stopped')
      else if (change.admin !== 'stopped') this.#upgrades.cancelClose(member)
    })
    this.#setMembers([...this.#members, member])
    return member
  }

  #setMembers(members: readonly Member[]): void {
    this.#members = Object.freeze(members)
    // Absolute URLs a member may write about itself (none for a member that writes the client's Host).
    const origins: string[] = []
    for (const m of members) {
      const origin = this.#byMember.get(m)?.transport.selfOrigin
      if (origin !== undefined) origins.push(origin)
    }
    this.#memberOrigins = origins
  }

  /** The options in force, after validation and defaults. */
  get options(): ResolvedBalancerOptions {
    return this.#options
  }

  /** The scheduler's name (`byrequests`, `ip_hash`, …). */
  get schedulerName(): string {
    return this.#scheduler.name
  }

  /** The member with this id (its route, or `host:port` when it has none). */
  member(id: string): Member | undefined {
    return this.#members.find((m) => m.id === id)
  }

  #require(id: string): Member {
    const member = this.member(id)
    if (!member) throw new InvalidOptionError(`no member has the id ${JSON.stringify(id)}`)
    return member
  }

  /**
   * Adds a member at run time (validated like `members[i]` at construction). It takes requests at
   * once unless `state` says otherwise.
   */
  addMember(options: MemberOptions): Member {
    const settings = resolveMemberOptions(options, 'member')
    const id = settings.route ?? settings.url.host
    if (this.member(id)) throw new InvalidOptionError(`member ${JSON.stringify(id)} exists already`)
    if (settings.redirect !== undefined && !this.#members.some((m) => m.route === settings.redirect)) {
      throw new InvalidOptionError(`member.redirect "${settings.redirect}" is not the route of any member`)
    }
    const member = this.#attach(settings)
    member.startRamp(Date.now())
    this.#log.info({ member: member.id, url: member.url.href }, 'member added')
    this.emit('member:added', member)
    return member
  }

  /**
   * Removes a member: it takes no new request at once; its upstream sockets are closed when the
   * requests it is serving have ended (or after `closeTimeout`).
   */
  async removeMember(id: string): Promise<void> {
    const member = this.#require(id)
    if (this.#members.length === 1) throw new InvalidOptionError('the last member cannot be removed')
    for (const other of this.#members) {
      if (other.redirect === member.route && other !== member) other.redirect = undefined
    }
    this.#setMembers(this.#members.filter((m) => m !== member))
    this.#scheduler.forget?.(member)
    this.#log.info({ member: member.id }, 'member removed')
    this.emit('member:removed', member)
    const entry = this.#byMember.get(member)
    const deadline = Date.now() + this.#options.closeTimeout
    while (member.counters.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    this.#byMember.delete(member)
    await entry?.transport.close()
  }

  /** Changes a member's admin state (`active`, `draining`, `stopped`, `standby`). */
  setMemberState(id: string, state: AdminState): void {
    if (!ADMIN_STATES.includes(state)) throw new InvalidOptionError(`state must be one of ${ADMIN_STATES.join(', ')}, got ${JSON.stringify(state)}`)
    this.#require(id).setAdmin(state, 'admin')
  }

  /** Changes a member's weight, route, redirect or domain; validated as at construction. */
  updateMember(id: string, changes: Pick<MemberOptions, 'weight' | 'route' | 'redirect' | 'domain'>): Member {
    const member = this.#require(id)
    const merged = resolveMemberOptions({
      url: member.url.href,
      route: 'route' in changes ? changes.route : member.route,
      weight: changes.weight ?? member.weight,
      redirect: 'redirect' in changes ? changes.redirect : member.redirect,
      domain: 'domain' in changes ? changes.domain : member.domain,
    }, `member ${id}`)
    if (merged.route !== undefined && this.#members.some((m) => m !== member && m.route === merged.route)) {
      throw new InvalidOptionError(`member ${id}: route "${merged.route}" is already used`)
    }
    if (merged.redirect !== undefined && (merged.redirect === merged.route || !this.#members.some((m) => m !== member && m.route === merged.redirect))) {
      throw new InvalidOptionError(`member ${id}: redirect "${merged.redirect}" must be the route of another member`)
    }
    member.weight = merged.weight
    member.route = merged.route
    member.redirect = merged.redirect
    member.domain = merged.domain
    this.#log.info({ member: id, weight: member.weight, route: member.route, redirect: member.redirect, domain: member.domain }, 'member updated')
    return member
  }

  /** The members, in configuration order. */
  get members(): readonly Member[] {
    return this.#members
  }

  /**
   * A framework-free admin handler (balancer-manager page, JSON API, jkstatus, metrics) for users
   * who mount it themselves; see `createAdminHandler`. Call its `close()` when done.
   */
  adminHandler(options?: AdminOptions): AdminHandler {
    return createAdminHandler(this, options)
  }

  /**
   * Serves the admin surface on its own listener (`127.0.0.1` unless `host` says otherwise): the
   * recommended way, see `listenAdmin` and docs/guide/admin.md. Closed with the balancer.
   *
   * @example
   * ```ts
   * const admin = await balancer.listenAdmin({ port: 9090 })   // admin.url: http://127.0.0.1:9090/balancer-manager/
   * ```
   */
  async listenAdmin(options: AdminListenOptions): Promise<AdminListener> {
    const listener = await listenAdmin(this, options)
    this.#adminListeners.add(listener)
    listener.server.once('close', () => this.#adminListeners.delete(listener))
    return listener
  }

  /** Upstream socket counts per member id, for leak checks and the admin page. */
  sockets(): Record<string, { open: number; idle: number }> {
    const out: Record<string, { open: number; idle: number }> = {}
    for (const { member, transport } of this.#byMember.values()) out[member.id] = transport.sockets()
    return out
  }

  /**
   * Handles one request: forwards it to a member, or passes it to `next` (excluded paths, and
   * errors when the response has not started). Never rejects.
   */
  handle(req: IncomingMessage, res: ServerResponse, next?: NextFunction, mount: MountContext = NO_MOUNT): Promise<void> {
    // Not `async`: the forwarding promise is returned as it is (one promise per request, not two);
    // a synchronous throw (from `next`) still becomes a rejection, as from an async function.
    try {
      const relative = mount.originalUrl !== undefined && mount.mountPath ? mount.originalUrl.slice(mount.mountPath.length) : req.url ?? '/'
      if (this.#admin?.owns(relative)) return this.#admin.serve(req, res, next, mount.mountPath ?? '', relative)
      const target = this.#target(mount.mountPath ?? '', relative)
      if (this.#isExcluded(target)) {
        if (next) next()
        else writeError(res, new NotFoundError())
        return DONE
      }
      if (this.#closed) {
        failResponse(res, next, new BalancerClosedError())
        return DONE
      }
      return this.#forward(req, res, next, mount, relative, target)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Answers a `CONNECT` request (Node's `'connect'` event) with 405 and `Allow` on the raw socket,
   * with a log line: the balancer forwards to its members, it is not a tunnel. Bound, and wired by
   * {@link attachUpgrades} when the server has no other `'connect'` listener.
   *
   * @example
   * ```ts
   * server.on('connect', balancer.handleConnect)
   * ```
   */
  readonly handleConnect = (req: IncomingMessage, socket: Duplex): void => {
    this.#log.debug({ path: req.url, method: 'CONNECT', status: 405, reason: 'CONNECT is not supported' }, 'request refused')
    refuseConnect(req, socket)
  }

  /**
   * Handles one HTTP upgrade request (Node's `'upgrade'` event: WebSocket, or another `Upgrade`
   * token listed in `upgrade.protocols`; any other is answered 501). The member is chosen as in {@link handle} (session route, then the scheduler) and the
   * connection is tunnelled to its HTTP connector (`upgradeUrl`, or its `http(s)://` url); an
   * AJP-only member answers 501. Failures are written on the raw socket. Never rejects. Bound, so
   * `server.on('upgrade', balancer.handleUpgrade)` works; see also {@link attachUpgrades}.
   */
  readonly handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer = Buffer.alloc(0), mount: MountContext = {}): Promise<void> => {
    socket.on('error', () => {}) // a client reset must not become an uncaught error
    const url = mount.originalUrl ?? req.url ?? '/'
    const below = mount.mountPath !== undefined && mount.mountPath !== '' && url.startsWith(mount.mountPath)
    const relative = below ? url.slice((mount.mountPath as string).length) : url
    if (this.#closed) return writeRawError(socket, new BalancerClosedError())
    // The same path as a request to this URL would get (request-target.ts).
    const target = this.#target(below ? mount.mountPath as string : '', relative)
    if (this.#isExcluded(target) || this.#admin?.owns(relative)) {
      return writeRawError(socket, new NotFoundError())
    }
    const refusal = checkRequest(req, url, this.#options)
    if (refusal) return writeRawError(socket, refusal)
    if (isPathRefusal(target)) {
      this.#log.debug({ path: relative, code: target.code, status: 400, reason: target.reason, upgrade: req.headers.upgrade }, 'request refused')
      return writeRawError(socket, pathRefusalError(target))
    }
    const options = this.#options
    let path = target.path
    const upstreamPrefix = options.upstreamPath ?? (below ? mount.mountPath as string : '')
    if (options.pathRewrite !== undefined) {
      const rewritten = rewriteTarget(options.pathRewrite, upstreamPrefix, target, req)
      if (rewritten instanceof HookError) {
        this.#hookFailed(rewritten, undefined, relative)
        return writeRawError(socket, rewritten)
      }
      if (isPathRefusal(rewritten)) {
        this.#log.debug({ path: relative, code: rewritten.code, status: 400, reason: rewritten.reason, upgrade: req.headers.upgrade, pathRewrite: true }, 'request refused')
        return writeRawError(socket, pathRefusalError(rewritten))
      }
      path = rewritten.path
    }
    // Only allowed offers go on, as our own lower-case text (upgrade.protocols; websocket by default).
    const protocol = allowedUpgrade(req.headers.upgrade, options.upgrade.protocols)
    if (protocol === undefined) {
      this.#log.debug({ path: relative, status: 501, upgrade: clientText(req.headers.upgrade ?? '') }, 'upgrade refused: protocol not in upgrade.protocols')
      return writeRawError(socket, new NotImplementedError('this upgrade protocol is not allowed here'))
    }
    const sticky = options.sticky
    const routes = sticky === false ? NO_ROUTES : sessionRouteNames({ url, cookieHeader: req.headers.cookie, req }, sticky)
    const tried: Member[] = []
    let full = false
    for (;;) {
      const choice = this.#selector.choose(this.#members, req, routes, tried, Date.now())
      const limit = options.upgrade.maxPerMember
      if (choice instanceof LbError) {
        const error = full && choice instanceof NoMemberError ? new NoMemberError(`every usable member has upgrade.maxPerMember (${limit}) upgraded connections`) : choice
        this.#log.warn({ path: relative, code: error.code, routes: clientTexts(routes), upgrade: protocol, full }, 'no member can take the upgrade')
        return writeRawError(socket, error)
      }
      const { member, reason } = choice
      if (this.#upgrades.isFull(member)) {
        // A session stays on its member; a new connection may go to one with room.
        if (reason === 'sticky') {
          this.#log.warn({ member: member.id, path: relative, limit }, 'upgrade refused: the session\'s member is at upgrade.maxPerMember')
          return writeRawError(socket, new NoMemberError(`the session's member has upgrade.maxPerMember (${limit}) upgraded connections`))
        }
        tried.push(member)
        full = true
        continue
      }
      const transport = (this.#byMember.get(member) as Entry).transport
      const target = transport.upgradeTarget
      if (target === undefined) {
        this.#log.warn(
          { member: member.id, url: member.url.href, path: relative, upgrade: protocol },
          'upgrade refused: AJP cannot carry upgrades; set this member\'s upgradeUrl to its HTTP connector (e.g. upgradeUrl: \'http://host:8080\')',
        )
        return writeRawError(socket, transport.upgradeRefusal?.(protocol) ?? new NotImplementedError('a protocol upgrade cannot be forwarded to this member'))
      }
      member.countPick(reason)
      const client = this.#believedClient(req, mount)
      const headers = buildRequestHeaders(req, client, target.host, publicHostOf(req, client), options)
      let memberPath = path
      if (options.onRequest !== undefined) {
        const chosen = runRequestHook(options.onRequest, req, member, 1, true, path, headers, upstreamPrefix)
        if (chosen instanceof HookError) {
          this.#hookFailed(chosen, member, relative)
          return writeRawError(socket, chosen)
        }
        memberPath = chosen
      }
      headers.connection = 'upgrade'
      headers.upgrade = protocol
      const started = performance.now()
      const outcome = await this.#upgrades.open({ member, target, req, socket, head, path: memberPath, headers, tls: this.#byMember.get(member)?.tls })
      const error = outcome.error
      if (error && error.code !== 'LB_ERR_CLIENT_ABORTED') {
        member.countFailure(error)
        const verdict = judgeFailure(error, req, false)
        if (verdict.memberCode !== undefined) this.#markFailed(member, { code: verdict.memberCode, message: error.message })
        this.#log.warn({ member: member.id, code: error.code, cause: causeCode(error), path: relative, upgrade: protocol }, 'member upgrade failed')
        this.emit('member:error', { member, error, path: relative, willRetry: false })
      } else if (!error && (!this.#checker || member.health !== 'error')) {
        member.markOk()
      }
      if (this.listenerCount('upgrade') > 0) {
        this.emit('upgrade', { member, status: outcome.status, reason, durationMs: performance.now() - started, protocol, error: error?.code })
      }
      return
    }
  }

  /**
   * Wires `server`'s `'upgrade'` event to {@link handleUpgrade}. With `mountPath`, only upgrades
   * below it are taken (as `app.use(mountPath, …)` does for requests). Returns a function that
   * unwires it.
   *
   * @example
   * ```ts
   * const server = http.createServer((req, res) => balancer.handle(req, res))
   * balancer.attachUpgrades(server)
   * ```
   */
  attachUpgrades(server: UpgradeServer, options?: AttachUpgradesOptions): () => void {
    return attachUpgrades(this, server, options)
  }

  /** Upgraded connections open now, per member id (handshakes included). */
  upgrades(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const member of this.#members) out[member.id] = this.#upgrades.count(member)
    return out
  }

  /**
   * Forwards one request (with retries), counted in flight until it ends. The work between the
   * awaits is in plain methods: an async function keeps every register of its frame alive across
   * each await, so this one stays small.
   */
  async #forward(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, mount: MountContext, relative: string, target: RequestTarget | PathRefusal): Promise<void> {
    const forwarding = this.#prepare(req, res, next, mount, relative, target)
    if (forwarding === undefined) return // refused, and answered
    this.#inFlight.add(forwarding)
    let reserved = 0
    try {
      // A small idempotent body read in full can be sent again after a broken connection.
      // Beyond retryBodyTotal across requests, a body is streamed as usual (not retryable).
      const bodyLength = shouldBufferBody(req, this.#options.retryBodyLimit)
      if (bodyWasRead(req)) {
        // A body parser ran first: the stream is over; what it parsed is sent, or the request fails now.
        const body = consumedBody(req, hostBody(req, mount))
        if (body instanceof LbError) {
          this.#log.warn({ path: relative, code: body.code, reason: (body as BodyConsumedError).reason }, 'request body consumed before the balancer')
          failResponse(res, next, body)
          return
        }
        forwarding.body = body
      } else if (bodyLength !== undefined && this.#retryBodies.tryReserve(bodyLength)) {
        reserved = bodyLength
        const body = await readBody(req, bodyLength, this.#options.clientBodyTimeout)
        if (body === undefined) return // the client went away or sent less than it announced
        if (body instanceof ClientTimeoutError) return this.#answerClientStall(res, next, body)
        forwarding.body = body
      }
      for (;;) {
        const attempt = this.#startAttempt(forwarding, next)
        if (attempt === undefined) return // no member could take it, and that was answered
        try {
          this.#attemptSucceeded(attempt, await (this.#byMember.get(attempt.member) as Entry).transport.forward(attempt))
          return
        } catch (err) {
          if (!this.#attemptFailed(attempt, err, next)) return
        } finally {
          attempt.member.endExchange()
        }
      }
    } finally {
      this.#inFlight.delete(forwarding)
      if (reserved > 0) this.#retryBodies.release(reserved)
    }
  }

  /** What every attempt of a request shares; undefined when the request was refused (and answered). */
  #prepare(req: IncomingMessage, res: ServerResponse, next: NextFunction | undefined, mount: MountContext, relative: string, target: RequestTarget | PathRefusal): Forwarding | undefined {
    const options = this.#options
    // TRACE, non-origin-form targets and ambiguous framing are answered here, never forwarded.
    const refusal = checkRequest(req, mount.originalUrl ?? req.url ?? '/', options)
    if (refusal) {
      this.#log.debug({ path: relative, method: req.method, code: refusal.code, status: refusal.statusCode, reason: refusal.message }, 'request refused')
      this.#refuse(res, next, refusal)
      return undefined
    }
    // A path that climbs above the mount once normalised as Tomcat maps it, or that Tomcat refuses.
    if (isPathRefusal(target)) {
      this.#log.debug({ path: relative, method: req.method, code: target.code, status: 400, reason: target.reason }, 'request refused')
      this.#refuse(res, next, pathRefusalError(target))
      return undefined
    }
    const mountPath = mount.mountPath ?? ''
    const upstreamPrefix = options.upstreamPath ?? mountPath
    let path = target.path
    if (options.pathRewrite !== undefined) {
      // Rewritten below the mount, then confined as the client's path was.
      const rewritten = rewriteTarget(options.pathRewrite, upstreamPrefix, target, req)
      if (rewritten instanceof HookError) {
        this.#hookFailed(rewritten, undefined, relative)
        failResponse(res, next, rewritten)
        return undefined
      }
      if (isPathRefusal(rewritten)) {
        this.#log.debug({ path: relative, method: req.method, code: rewritten.code, status: 400, reason: rewritten.reason, pathRewrite: true }, 'request refused')
        this.#refuse(res, next, pathRefusalError(rewritten))
        return undefined
      }
      path = rewritten.path
    }
    const client = this.#believedClient(req, mount)
    const sticky = options.sticky
    const routes = sticky === false ? NO_ROUTES : sessionRouteNames({ url: mount.originalUrl ?? req.url ?? '/', cookieHeader: req.headers.cookie, req }, sticky)
    return new Forwarding(req, res, relative, path, client, publicHostOf(req, client), routes, this.#balancerCookieRoute(req), this.#memberOrigins, upstreamPrefix, mountPath)
  }

  /**
   * The client connection as the balancer believes it: the socket's facts, or what a trusted proxy
   * in front reports (`trustProxy`, else the host framework's setting). The socket's when no proxy
   * is trusted: nothing more is read or allocated.
   */
  #believedClient(req: IncomingMessage, mount: MountContext): ClientConnection {
    const client = clientConnection(req)
    const trust = this.#trustProxyGiven ? this.#options.trustProxy : mount.trustProxy
    return trustsAnyone(trust) ? forwardedClient(req, client, trust) : client
  }

  /**
   * The member-bound path of a request below `mountPath` (`upstreamPath` in its place when set),
   * normalised and confined to the mount as Tomcat maps it; one function for requests and upgrades.
   */
  #target(mountPath: string, relative: string): RequestTarget | PathRefusal {
    return requestTarget(this.#options.upstreamPath ?? mountPath, relative)
  }

  /** Whether the `exclude` option names the path the target maps to (never a refused one). */
  #isExcluded(target: RequestTarget | PathRefusal): boolean {
    const exclude = this.#options.exclude
    return exclude.length > 0 && !isPathRefusal(target) && isExcluded(target.mapped, exclude)
  }

  /** Chooses the member of the next attempt and starts counting it; undefined when none can take it (answered). */
  #startAttempt(forwarding: Forwarding, next: NextFunction | undefined): ForwardAttempt | undefined {
    const { req, tried, routes, relative } = forwarding
    let choice = this.#selector.choose(this.#members, req, routes, tried, Date.now())
    if (choice instanceof NoMemberError && forwarding.lastError) choice = new NoMemberError(undefined, forwarding.lastError)
    if (choice instanceof LbError) {
      this.#log.warn({ path: relative, code: choice.code, routes: clientTexts(routes), tried: tried.map((m) => m.id) }, 'no member can take the request')
      failResponse(forwarding.res, next, choice)
      return undefined
    }
    const { member, reason } = choice
    if (reason !== 'sticky' && reason !== 'new') this.#log.debug({ path: relative, routes: clientTexts(routes), member: member.id, reason }, 'session rerouted')
    tried.push(member)
    const headers = buildRequestHeaders(req, forwarding.client, member.url.host, forwarding.publicHost, (this.#byMember.get(member) as Entry).headerPolicy)
    const onRequest = this.#options.onRequest
    let memberPath: string | undefined
    if (onRequest !== undefined) {
      const path = runRequestHook(onRequest, req, member, tried.length, false, forwarding.path, headers, forwarding.upstreamPrefix)
      if (path instanceof HookError) {
        this.#hookFailed(path, member, relative)
        failResponse(forwarding.res, next, path)
        return undefined
      }
      if (path !== forwarding.path) memberPath = path
    }
    member.countPick(reason)
    member.beginExchange()
    const attempt = new ForwardAttempt(forwarding, member, headers, reason, performance.now(), this.#sendHead)
    if (memberPath !== undefined) attempt.memberPath = memberPath
    if (channels.requestStart.hasSubscribers) channels.requestStart.publish({ req, member, reason, attempt: tried.length })
    return attempt
  }

  /** Counts a finished exchange. */
  #attemptSucceeded(attempt: ForwardAttempt, result: ForwardResult): void {
    const { member, reason } = attempt
    const duration = performance.now() - attempt.started
    member.countExchange({ bytesIn: result.bytesIn, bytesOut: result.bytesOut, durationMs: duration })
    this.#scheduler.record?.(member, { bytesIn: result.bytesIn, bytesOut: result.bytesOut, durationMs: duration, now: Date.now() })
    if (this.#options.failOnStatus.has(result.status)) {
      member.countFailure({ code: 'LB_ERR_FAIL_ON_STATUS', message: `the member answered ${result.status}` })
      this.#markFailed(member, { code: 'LB_ERR_FAIL_ON_STATUS', message: `the member answered ${result.status}` })
    } else if (!this.#checker || member.health !== 'error') {
      member.markOk()
    }
    if (channels.requestEnd.hasSubscribers) {
      channels.requestEnd.publish({ req: attempt.req, member, status: result.status, durationMs: duration, bytesIn: result.bytesIn, bytesOut: result.bytesOut })
    }
    if (this.listenerCount('exchange') > 0) {
      this.emit('exchange', { member, status: result.status, durationMs: duration, bytesIn: result.bytesIn, bytesOut: result.bytesOut, reason })
    }
  }

  /** Counts a failed exchange; returns whether to try another member (otherwise the failure was answered). */
  #attemptFailed(attempt: ForwardAttempt, err: unknown, next: NextFunction | undefined): boolean {
    const options = this.#options
    const { member, reason, forwarding } = attempt
    const { req, res, relative, tried } = forwarding
    if (attempt.hookError !== undefined) {
      // onResponse failed: the member answered; nothing of it reached the client.
      this.#hookFailed(attempt.hookError, member, relative)
      failResponse(res, next, attempt.hookError)
      return false
    }
    const error = toGatewayError(err)
    const verdict = judgeFailure(error, req, options.retryIdempotent, forwarding.body !== undefined)
    if (verdict.fault === 'client') {
      // Gone or stalled: not the member's fault. A stalled client that has no answer yet gets 408
      // and its connection closed (its unread body cannot be skipped).
      member.countClientAbort()
      this.#log.debug({ member: member.id, code: error.code, path: relative }, 'client aborted')
      if (error.code === 'LB_ERR_CLIENT_TIMEOUT') this.#answerClientStall(res, next, error)
      return false
    }
    if (verdict.fault === 'request') {
      this.#log.debug({ member: member.id, code: error.code, path: relative }, 'request refused')
      failResponse(res, next, error)
      return false
    }
    member.countFailure(error)
    // A failure costs its duration too: a member that fails fast must not look cheap to peakewma.
    this.#scheduler.record?.(member, { bytesIn: 0, bytesOut: 0, durationMs: performance.now() - attempt.started, now: Date.now() })
    if (verdict.memberCode !== undefined) this.#markFailed(member, { code: verdict.memberCode, message: error.message })
    const willRetry = verdict.repeatable && !res.headersSent && tried.length <= options.maxAttempts
    if (channels.requestError.hasSubscribers) channels.requestError.publish({ req, member, error, willRetry })
    forwarding.lastError = error
    if (this.listenerCount('exchange') > 0) {
      this.emit('exchange', { member, status: res.headersSent ? res.statusCode : 0, durationMs: performance.now() - attempt.started, bytesIn: 0, bytesOut: 0, reason, error: error.code })
    }
    this.#log.warn({ member: member.id, code: error.code, cause: causeCode(error), path: relative, willRetry }, 'member exchange failed')
    this.emit('member:error', { member, error, path: relative, willRetry })
    if (willRetry) return true
    if (res.headersSent) {
      if (!res.destroyed) res.destroy()
      return false
    }
    // Every member failed: say so with one code, whichever member failed last.
    const exhausted = error.code === 'LB_ERR_UPSTREAM_CONNECT' && !this.#selector.hasCandidate(this.#members, tried, Date.now())
    failResponse(res, next, exhausted ? new NoMemberError(undefined, error) : error)
    return false
  }

  /**
   * Answers a client that stalled (`LB_ERR_CLIENT_TIMEOUT`): 408 when nothing was sent yet, and
   * its connection closed after it (its unread body cannot be skipped), whatever error handler
   * writes the answer (Koa's clears the headers; Node still honours `shouldKeepAlive`).
   */
  #answerClientStall(res: ServerResponse, next: NextFunction | undefined, error: LbError): void {
    closeAfter(res)
    failResponse(res, next, error)
  }

  /** Writes the response head of an attempt (its `sendResponseHead`); one function for every attempt. */
  readonly #sendHead: SendHead = (attempt, status, headers, statusMessage) => {
    const options = this.#options
    const { req, tried, cookieRoute, client } = attempt.forwarding
    // A failOnStatus answer to a repeatable request is declined when another member can try.
    if (options.failOnStatus.size > 0 && options.failOnStatus.has(status) && isRepeatable(req) && tried.length <= options.maxAttempts && this.#selector.hasCandidate(this.#members, tried, Date.now())) return false
    const member = attempt.member
    if (cookieRoute !== undefined && cookieRoute !== member.route) this.#pinWithCookie(headers, member, client.secure)
    const onResponse = options.onResponse
    if (onResponse === undefined) {
      writeResponseHead(attempt.forwarding.res, status, headers, statusMessage, attempt)
      return true
    }
    // The hook sees the head as the client will: Location and cookie paths rewritten.
    rewriteResponseHeaders(headers, attempt)
    const error = runResponseHook(onResponse, req, member, status, headers)
    if (error !== undefined) {
      attempt.hookError = error
      return false // declined: the transport discards the member's body and fails the attempt
    }
    writeHead(attempt.forwarding.res, status, headers, statusMessage)
    return true
  }

  /** Logs a failed hook (its fixed message, and what it threw, as `err`). */
  #hookFailed(error: HookError, member: Member | undefined, path: string): void {
    this.#log.warn({ hook: error.hook, member: member?.id, code: error.code, reason: error.message, path, err: error.cause }, 'hook failed')
  }

  /** The route in the request's balancer cookie (`''` when it has none); undefined when that cookie is off. */
  #balancerCookieRoute(req: IncomingMessage): string | undefined {
    const sticky = this.#options.sticky
    if (sticky === false || sticky.balancerCookie === false) return undefined
    const header = req.headers.cookie
    const value = header === undefined ? undefined : firstCookieValue(header, sticky.balancerCookie.name, sticky.cookieCaseSensitive)
    return (value === undefined ? undefined : splitSessionId(value, sticky.separator)?.route) ?? ''
  }

  /** Adds the balancer cookie that pins the client to `member` (new client, or after a failover). */
  #pinWithCookie(headers: ResponseHeaders, member: Member, secure: boolean): void {
    const sticky = this.#options.sticky
    if (sticky === false || sticky.balancerCookie === false || member.route === undefined) return
    const cookie = balancerCookieHeader(sticky.balancerCookie, member.route, sticky.separator, secure)
    const prior = headers['set-cookie']
    headers['set-cookie'] = prior === undefined ? [cookie] : Array.isArray(prior) ? [...prior, cookie] : [prior, cookie]
  }

  /**
   * Passive health: a failure counts toward `maxFails`; while active checks run, a member in error
   * waits for a passing probe instead of its `retry` time.
   */
  #markFailed(member: Member, error: { code: string; message: string }): void {
    member.markError(Date.now(), this.#checker ? Infinity : this.#options.retryMs, error, this.#options.maxFails)
  }

  /**
   * Answers a request refused before forwarding (request guard, path confinement) as every other
   * error; one whose headers say `Connection: close` (a 400 or 431: its framing is in doubt, or its
   * body is left unread) closes the connection whatever error handler writes the answer.
   */
  #refuse(res: ServerResponse, next: NextFunction | undefined, error: LbError): void {
    if (error.headers?.connection === 'close') closeAfter(res)
    failResponse(res, next, error)
  }

  /** One active health probe, as the member's transport makes it (CPING for AJP, an HTTP request otherwise). */
  #probe(member: Member): Promise<void> {
    const health = this.#options.health
    const transport = this.#byMember.get(member)?.transport
    return health === false || transport === undefined ? Promise.resolve() : transport.probe(health)
  }

  /**
   * Stops taking requests, waits up to `closeTimeout` for those in flight, then closes every
   * upstream socket.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#admin?.close()
    const adminsClosed = Promise.all([...this.#adminListeners].map((l) => l.close()))
    this.#checker?.stop()
    // Upgraded connections get upgrade.closeGrace, then a close frame (1001), alongside the requests.
    const upgradesClosed = this.#upgrades.close()
    const deadline = Date.now() + this.#options.closeTimeout
    while (!this.#inFlight.empty && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    this.#inFlight.forEach((forwarding) => forwarding.res.destroy())
    await upgradesClosed
    await adminsClosed
    await Promise.all([...this.#byMember.values()].map((e) => e.transport.close()))
  }
}

/** `handle` without a mount context (a bare node:http host). */
const NO_MOUNT: MountContext = Object.freeze({})
const DONE: Promise<void> = Promise.resolve()

/** No session route (shared, never mutated). */
const NO_ROUTES: readonly string[] = Object.freeze([])

/** What the host's body parser left: the adapter's (Koa), else Express's and Connect's `req.body` / `req.rawBody`. */
function hostBody(req: IncomingMessage, mount: MountContext): ParsedBody {
  const own = req as { body?: unknown; rawBody?: unknown }
  return { body: mount.body ?? own.body, rawBody: mount.rawBody ?? own.rawBody }
}

function causeCode(error: LbError): string | undefined {
  const cause = error.cause as { code?: unknown } | undefined
  return typeof cause?.code === 'string' ? cause.code : undefined
}

/**
 * Creates a balancer. Options are validated here; a bad one throws `InvalidOptionError`
 * (`LB_ERR_INVALID_OPTION`) naming it.
 *
 * @example
 * ```ts
 * import http from 'node:http'
 * import { createBalancer } from 'sticky-balancer'
 *
 * const balancer = createBalancer({
 *   members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 * })
 * http.createServer((req, res) => balancer.handle(req, res)).listen(8080, '127.0.0.1')
 * ```
 */
export function createBalancer(options: BalancerOptions): Balancer {
  return new Balancer(options)
}
