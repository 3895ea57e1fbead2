/**
 * The members of one balancer and what each one is reached with: its transport, the header policy
 * of its requests and its TLS settings. Adds, removes, updates and changes the state of members,
 * validated as at construction; the list is replaced, never mutated, so a request's loop keeps a
 * consistent view.
 *
 * @module
 */
import { InvalidOptionError } from '../errors.js'
import type { TlsOptions } from '../net/tls-options.js'
import type { MemberOptions, ResolvedBalancerOptions, ResolvedMemberOptions } from '../options.js'
import { memberTlsOptions, resolveMemberOptions } from '../options.js'
import type { RequestHeaderPolicy } from '../proxy/request-headers.js'
import type { Scheduler } from '../schedulers/scheduler.js'
import { createTransport } from '../transports/create-transport.js'
import type { Transport } from '../transports/transport.js'
import { Member } from './member.js'
import { memberIdentity } from './member-identity.js'
import type { MemberEvents } from './member.js'
import { ADMIN_STATES } from './member-state.js'
import type { AdminState } from './member-state.js'

/** A member and what it is reached with. */
export interface MemberEntry {
  readonly member: Member
  readonly transport: Transport
  /** The header policy of its requests: the balancer's, with the transport's `preserveHost`. */
  readonly headerPolicy: RequestHeaderPolicy
  /** TLS settings for its `https://` url or upgradeUrl (the balancer's `tls` merged with its own). */
  readonly tls?: Readonly<TlsOptions> | undefined
}

/** The changes {@link MemberRegistry.update} accepts. */
export type MemberChanges = Pick<MemberOptions, 'weight' | 'route' | 'redirect' | 'domain'>

/** What the registry reports to its owner. */
export interface RegistryEvents {
  /** A member's admin or health state changed. */
  state(change: MemberEvents['state'][0]): void
  /** A member was added at run time. */
  added(member: Member): void
  /** A member was removed: it takes no new request. */
  removed(member: Member): void
  /** A member's weight, route, redirect or domain changed. */
  updated(member: Member): void
}

/**
 * Resolves when `promise` does, or after `ms` (whichever comes first); the timer does not keep
 * the process alive.
 */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms)
    timer.unref()
  })
  return Promise.race([promise.then(() => undefined), timeout]).finally(() => clearTimeout(timer))
}

/** @internal */
export class MemberRegistry {
  readonly #options: ResolvedBalancerOptions
  readonly #scheduler: Scheduler
  readonly #events: RegistryEvents
  #members: readonly Member[] = []
  readonly #entries = new Map<Member, MemberEntry>()
  #selfOrigins: readonly string[] = []

  constructor(options: ResolvedBalancerOptions, scheduler: Scheduler, events: RegistryEvents) {
    this.#options = options
    this.#scheduler = scheduler
    this.#events = events
    for (const settings of options.members) this.#attach(settings)
  }

  /** The members, in configuration order (a frozen list, replaced on every change). */
  get members(): readonly Member[] {
    return this.#members
  }

  /** Absolute origins members may write about themselves (for reverse rewriting). */
  get selfOrigins(): readonly string[] {
    return this.#selfOrigins
  }

  /** The member with this id (its route, or `host:port` when it has none). */
  member(id: string): Member | undefined {
    return this.#members.find((m) => m.id === id)
  }

  /** The entry of a member of this registry (a removed member keeps its entry until it is drained). */
  entry(member: Member): MemberEntry {
    return this.#entries.get(member) as MemberEntry
  }

  #require(id: string): Member {
    const member = this.member(id)
    if (!member) throw new InvalidOptionError(`no member has the id ${JSON.stringify(id)}`)
    return member
  }

  #attach(settings: ResolvedMemberOptions): Member {
    const options = this.#options
    // The balancer cookie names a member by route; one without a route gets an opaque one.
    const { route } = memberIdentity(settings.url, settings.route, options.sticky)
    const member = new Member({
      url: settings.url, route, weight: settings.weight, admin: settings.state, redirect: settings.redirect, domain: settings.domain,
      group: settings.group, ignoreErrors: settings.ignoreErrors, slowStartMs: options.slowStartMs,
    })
    member.on('state', (change) => this.#events.state(change))
    const tls = memberTlsOptions(settings, options, `member ${member.id} tls`)
    const transport = createTransport(member, settings, options, tls)
    const headerPolicy = transport.preserveHost === options.preserveHost ? options : { ...options, preserveHost: transport.preserveHost }
    this.#entries.set(member, { member, transport, headerPolicy, tls })
    this.#setMembers([...this.#members, member])
    return member
  }

  #setMembers(members: readonly Member[]): void {
    this.#members = Object.freeze(members)
    const origins: string[] = []
    for (const m of members) {
      const origin = this.#entries.get(m)?.transport.selfOrigin
      if (origin !== undefined) origins.push(origin)
    }
    this.#selfOrigins = Object.freeze(origins)
  }

  /** Adds a member (validated like `members[i]` at construction); it takes requests at once unless `state` says otherwise. */
  add(options: MemberOptions): Member {
    const settings = resolveMemberOptions(options, 'member', this.#options)
    const { id } = memberIdentity(settings.url, settings.route, this.#options.sticky)
    if (this.member(id)) throw new InvalidOptionError(`member ${JSON.stringify(id)} exists already`)
    if (settings.redirect !== undefined && !this.#members.some((m) => m.route === settings.redirect)) {
      throw new InvalidOptionError(`member.redirect "${settings.redirect}" is not the route of any member`)
    }
    const member = this.#attach(settings)
    member.startRamp(Date.now())
    this.#events.added(member)
    return member
  }

  /**
   * Removes a member: it takes no new request at once; its transport is closed when what it is
   * serving has ended (or after `closeTimeout`).
   */
  async remove(id: string): Promise<void> {
    const member = this.#require(id)
    if (this.#members.length === 1) throw new InvalidOptionError('the last member cannot be removed')
    for (const other of this.#members) {
      if (other.redirect === member.route && other !== member) other.redirect = undefined
    }
    this.#setMembers(this.#members.filter((m) => m !== member))
    this.#scheduler.forget?.(member)
    this.#events.removed(member)
    const entry = this.#entries.get(member)
    await settleWithin(member.whenIdle(), this.#options.closeTimeout)
    this.#entries.delete(member)
    await entry?.transport.close()
  }

  /** Changes a member's admin state (`active`, `draining`, `stopped`, `standby`). */
  setState(id: string, state: AdminState): void {
    if (!ADMIN_STATES.includes(state)) throw new InvalidOptionError(`state must be one of ${ADMIN_STATES.join(', ')}, got ${JSON.stringify(state)}`)
    this.#require(id).setAdmin(state, 'admin')
  }

  /** Changes a member's weight, route, redirect or domain; validated as at construction. */
  update(id: string, changes: MemberChanges): Member {
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
    this.#events.updated(member)
    return member
  }

  /** Upstream socket counts per member id. */
  sockets(): Record<string, { open: number; idle: number }> {
    const out: Record<string, { open: number; idle: number }> = {}
    for (const { member, transport } of this.#entries.values()) out[member.id] = transport.sockets()
    return out
  }

  /** Closes every member's transport. */
  async close(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.transport.close()))
  }
}
