/**
 * The balancer: for each request, find the member that should take it, forward the request with
 * that member's transport, and fail over when it is safe.
 *
 * A facade over parts with one job each, composed here and read top-down:
 * - lib/members/member-registry.ts: the members, their transports, and membership changes;
 * - lib/routing/member-selector.ts: which member takes an attempt (pure policy);
 * - lib/proxy/forwarder.ts: the forward loop of a request (attempts, retries, accounting);
 * - lib/upgrade/upgrade-handler.ts: upgrade requests, from the same parts;
 * - lib/observe.ts: log, diagnostics channels and events, one function per event;
 * - lib/respond.ts: the one place error answers are rendered.
 *
 * @module
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { AccessTrail } from './access-log/access-trail.js'
import type { AccessSink } from './access-log/access-trail.js'
import { createAdminHandler } from './admin/admin-handler.js'
import type { AdminHandler } from './admin/admin-handler.js'
import type { AdminOptions } from './admin/options.js'
import { listenAdmin } from './admin/admin-server.js'
import type { AdminListenOptions, AdminListener } from './admin/admin-server.js'
import { BalancerClosedError, InvalidOptionError, NotFoundError } from './errors.js'
import type { LbErrorCode } from './errors.js'
import { HealthChecker } from './health/health-checker.js'
import { defaultLogger, silentLogger, toLogger } from './logger.js'
import type { Member } from './members/member.js'
import { MemberRegistry, settleWithin } from './members/member-registry.js'
import type { AdminState } from './members/member-state.js'
import { PassiveHealth } from './members/passive-health.js'
import { Observer } from './observe.js'
import type { BalancerOptions, MemberOptions, ResolvedBalancerOptions } from './options.js'
import { resolveBalancerOptions } from './options.js'
import { isExcluded } from './proxy/exclude.js'
import { Forwarder } from './proxy/forwarder.js'
import { isPathRefusal, requestTarget } from './proxy/request-target.js'
import type { PathRefusal, RequestTarget } from './proxy/request-target.js'
import { failResponse, writeError, writeRawError } from './respond.js'
import { MemberSelector } from './routing/member-selector.js'
import { createScheduler } from './schedulers/create-scheduler.js'
import type { Scheduler } from './schedulers/scheduler.js'
import type { BalancerControl } from './control.js'
import type { BalancerEvents, MountContext, NextFunction } from './types.js'
import { attachUpgrades } from './upgrade/attach.js'
import type { AttachUpgradesOptions, UpgradeServer } from './upgrade/attach.js'
import { UpgradeTunnels } from './upgrade/tunnels.js'
import { UpgradeHandler } from './upgrade/upgrade-handler.js'

export type { BalancerEvents, ExchangeEvent, MountContext, NextFunction, UpgradeEvent } from './types.js'

/** `handle` without a mount context (a bare node:http host). */
const NO_MOUNT: MountContext = Object.freeze({})
const DONE: Promise<void> = Promise.resolve()

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
 * process.on('SIGTERM', () => { server.close(); void balancer.close() })   // not in server.close's callback: it waits for every WebSocket
 * ```
 */
export class Balancer extends EventEmitter<BalancerEvents> implements BalancerControl {
  readonly #options: ResolvedBalancerOptions
  readonly #scheduler: Scheduler
  readonly #registry: MemberRegistry
  readonly #forwarder: Forwarder
  readonly #upgrader: UpgradeHandler
  /** Upgraded connections (WebSocket…), per member. */
  readonly #tunnels: UpgradeTunnels
  readonly #checker: HealthChecker | undefined
  /** The admin surface of the `admin` option, served by `handle` before anything else. */
  readonly #admin: AdminHandler | undefined
  /** Admin listeners started by {@link listenAdmin}; closed with the balancer. */
  readonly #adminListeners = new Set<AdminListener>()
  #closed = false
  #closing: Promise<void> | undefined // the one closing, once `close()` was called
  readonly #emitAccess: AccessSink = (record) => void this.emit('access', record) // every request's trail

  constructor(options: BalancerOptions) {
    super()
    const resolved = resolveBalancerOptions(options)
    this.#options = resolved
    const logger = resolved.logger
    const observe = new Observer(logger === false ? silentLogger : logger === undefined ? defaultLogger : toLogger(logger), this)
    const tunnels = new UpgradeTunnels(resolved.upgrade, {
      connectTimeout: resolved.connectTimeout,
      timeout: Math.min(resolved.timeout, resolved.upgrade.handshakeTimeout),
    })
    this.#tunnels = tunnels
    const scheduler = createScheduler(resolved.scheduler, resolved.trustProxy)
    this.#scheduler = scheduler
    this.#registry = new MemberRegistry(resolved, scheduler, {
      state: (change) => {
        observe.memberState(change)
        // Draining keeps upgraded connections; stopping closes them after upgrade.closeGrace.
        if (change.admin === 'stopped' && change.previousAdmin !== 'stopped') tunnels.closeMember(change.member, 'member stopped')
        else if (change.admin !== 'stopped') tunnels.cancelClose(change.member)
      },
      added: (member) => observe.memberAdded(member),
      removed: (member) => {
        observe.memberRemoved(member)
        tunnels.closeMember(member, 'member removed')
      },
      updated: (member) => observe.memberUpdated(member),
    })
    const activeChecks = resolved.health !== false
    const sticky = resolved.sticky
    const selector = new MemberSelector(scheduler, {
      sticky: sticky !== false,
      stickyForce: sticky !== false && sticky.force,
      panicThreshold: resolved.panicThreshold,
      // With active checks, only a passing probe brings a member back.
      forceRecovery: resolved.forceRecovery && !activeChecks,
    })
    const health = new PassiveHealth({ retryMs: resolved.retryMs, maxFails: resolved.maxFails, activeChecks })
    const trustProxyGiven = options.trustProxy !== undefined
    this.#forwarder = new Forwarder({ options: resolved, registry: this.#registry, selector, scheduler, health, observe, trustProxyGiven })
    this.#upgrader = new UpgradeHandler({ options: resolved, registry: this.#registry, selector, health, observe, tunnels, trustProxyGiven })
    if (resolved.health !== false) {
      const check = resolved.health
      this.#checker = new HealthChecker(() => this.#registry.members, check, (member) => this.#registry.entry(member).transport.probe(check), {
        onResult: (member, passed, error) => {
          if (!passed) observe.log.debug({ member: member.id, code: error?.code, message: error?.message }, 'health check failed')
        },
      })
      this.#checker.start()
    }
    this.#admin = resolved.admin ? createAdminHandler(this, resolved.admin) : undefined
  }

  /** The options in force, after validation and defaults. */
  get options(): ResolvedBalancerOptions {
    return this.#options
  }

  /** The scheduler's name (`byrequests`, `ip_hash`, …). */
  get schedulerName(): string {
    return this.#scheduler.name
  }

  /** The members, in configuration order. */
  get members(): readonly Member[] {
    return this.#registry.members
  }

  /** The member with this id (its route, or `host:port` when it has none). */
  member(id: string): Member | undefined {
    return this.#registry.member(id)
  }

  /**
   * Adds a member at run time (validated like `members[i]` at construction). It takes requests at
   * once unless `state` says otherwise.
   */
  addMember(options: MemberOptions): Member {
    return this.#registry.add(options)
  }

  /**
   * Removes a member: it takes no new request at once; its upstream sockets are closed when the
   * requests it is serving have ended (or after `closeTimeout`).
   */
  removeMember(id: string): Promise<void> {
    return this.#registry.remove(id)
  }

  /** Changes a member's admin state (`active`, `draining`, `stopped`, `standby`). */
  setMemberState(id: string, state: AdminState): void {
    this.#registry.setState(id, state)
  }

  /** Changes a member's weight, route, redirect or domain; validated as at construction. */
  updateMember(id: string, changes: Pick<MemberOptions, 'weight' | 'route' | 'redirect' | 'domain'>): Member {
    return this.#registry.update(id, changes)
  }

  /** Ends a member's `error` or `recovering` state now (an operator's "recover"); it takes requests again. */
  recoverMember(id: string): void {
    const member = this.#registry.member(id)
    if (member === undefined) throw new InvalidOptionError(`no member has the id ${JSON.stringify(id)}`)
    if (member.health !== 'ok') member.markOk(Date.now(), 'admin recover')
  }

  /** Zeroes the counters operators reset (see `Member.resetCounters`), of one member or of all. */
  resetCounters(id?: string): void {
    if (id === undefined) {
      for (const member of this.#registry.members) member.resetCounters()
      return
    }
    const member = this.#registry.member(id)
    if (member === undefined) throw new InvalidOptionError(`no member has the id ${JSON.stringify(id)}`)
    member.resetCounters()
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
    return this.#registry.sockets()
  }

  /** Upgraded connections open now, per member id (handshakes included). */
  upgrades(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const member of this.#registry.members) out[member.id] = this.#tunnels.count(member)
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
      if (this.#admin?.owns(relative)) {
        this.#trail(req, res, mount)
        return this.#admin.serve(req, res, next, mount.mountPath ?? '', relative)
      }
      const target = this.#target(mount.mountPath ?? '', relative)
      if (this.#isExcluded(target)) {
        if (next) next()
        else {
          this.#trail(req, res, mount, 'LB_ERR_NOT_FOUND')
          writeError(res, new NotFoundError())
        }
        return DONE
      }
      if (this.#closed) {
        this.#trail(req, res, mount, 'LB_ERR_CLOSED')
        failResponse(res, next, new BalancerClosedError())
        return DONE
      }
      return this.#forwarder.forward(req, res, next, mount, relative, target, this.#trail(req, res, mount))
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
    this.#upgrader.connect(req, socket)
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
    const mountPath = below ? mount.mountPath as string : ''
    const relative = url.slice(mountPath.length)
    if (this.#closed) return writeRawError(socket, new BalancerClosedError())
    // The same path as a request to this URL would get (request-target.ts).
    const target = this.#target(mountPath, relative)
    if (this.#isExcluded(target) || this.#admin?.owns(relative)) return writeRawError(socket, new NotFoundError())
    return this.#upgrader.upgrade(req, socket, head, mount, url, relative, mountPath, target)
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

  /**
   * The access record of a request in the making, when the `access` event has a listener (else
   * nothing is built). The URL is the client's: Express's `req.originalUrl`, else the mount's
   * `originalUrl`, else `req.url`. `error`: the balancer's own refusal.
   */
  #trail(req: IncomingMessage, res: ServerResponse, mount: MountContext, error?: LbErrorCode): AccessTrail | undefined {
    if (this.listenerCount('access') === 0) return undefined
    const url = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl
    const trail = new AccessTrail(req, res, typeof url === 'string' ? url : mount.originalUrl ?? req.url ?? '/', this.#emitAccess)
    if (error !== undefined) trail.error = error
    return trail
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

  /**
   * Stops taking requests, waits up to `closeTimeout` for those in flight, then closes every
   * upstream socket. Upgraded connections get `upgrade.closeGrace`, then a close frame (1001); with
   * `keepUpgrades` they stay open until they end by themselves (a balancer retired by a reload, as
   * httpd's graceful restart keeps its tunnels) or a later `close()` without it.
   */
  close(options: { readonly keepUpgrades?: boolean } = {}): Promise<void> {
    if (this.#closing === undefined) this.#closing = this.#close(options.keepUpgrades === true)
    if (options.keepUpgrades !== true) this.#tunnels.stopKeeping()
    return this.#closing
  }

  async #close(keepUpgrades: boolean): Promise<void> {
    this.#closed = true
    this.#admin?.close()
    const adminsClosed = Promise.all([...this.#adminListeners].map((l) => l.close()))
    this.#checker?.stop()
    const upgradesClosed = keepUpgrades ? this.#tunnels.closeWhenEnded() : this.#tunnels.close()
    const inFlight = this.#forwarder.inFlight
    await settleWithin(inFlight.whenEmpty(), this.#options.closeTimeout)
    inFlight.forEach((forwarding) => forwarding.res.destroy())
    await upgradesClosed
    await adminsClosed
    await this.#registry.close()
  }
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
