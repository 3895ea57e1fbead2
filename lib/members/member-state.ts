/**
 * The states a member can be in, which transitions between them are allowed, and which states
 * may take which requests.
 *
 * Two independent axes, as in mod_jk (activation × state) and mod_proxy (status flags):
 * - **admin** state, set by an operator: `active`, `draining` (only requests of sessions that live
 *   there: mod_jk `Disabled`, mod_proxy `N`, nginx `drain`), `stopped` (nothing: mod_jk `Stopped`,
 *   mod_proxy `S`, nginx `down`), `standby` (only when no regular member is usable: mod_proxy `H`,
 *   nginx `backup`). Any admin state may follow any other.
 * - **health** state, set by what the balancer observes:
 *
 *   ```
 *   ok ──failure──► error ──retry time over──► recovering ──success──► ok
 *                     ▲  └──active check passes───────────────────────► ok
 *                     └──────────── failure ◄──────── recovering
 *   ```
 *   `error` = put out of use by a failure (mod_proxy `E`, mod_jk `ERR`); `recovering` = its retry
 *   time is over and the next request probes it (mod_jk `REC`). With active health checks a member
 *   in error is probed by the checker instead, and goes straight back to `ok`.
 *
 * @module
 */

/**
 * A member's state as an operator sets it: `active`, `draining` (only its own sessions),
 * `stopped` (nothing) or `standby` (only when no regular member is usable).
 *
 * @example
 * ```ts
 * const state: AdminState = 'draining'   // mod_jk activation=Disabled, mod_proxy status N
 * balancer.setMemberState('TomcatA', state)
 * ```
 */
export type AdminState = 'active' | 'draining' | 'stopped' | 'standby'

/**
 * A member's state as the balancer observes it: `ok`, `error` (out of use after a failure) or
 * `recovering` (its retry time is over; the next request probes it).
 *
 * @example
 * ```ts
 * const health: HealthState | undefined = balancer.member('TomcatA')?.health
 * if (health === 'error') console.warn('TomcatA is out of use until its retry time is over')
 * ```
 */
export type HealthState = 'ok' | 'error' | 'recovering'

export const ADMIN_STATES: readonly AdminState[] = ['active', 'draining', 'stopped', 'standby']

/**
 * The health transitions that may happen; anything else is a bug.
 *
 * @example
 * ```ts
 * HEALTH_TRANSITIONS.ok          // ['error']
 * HEALTH_TRANSITIONS.recovering  // ['ok', 'error']
 * ```
 */
export const HEALTH_TRANSITIONS: Readonly<Record<HealthState, readonly HealthState[]>> = Object.freeze({
  ok: ['error'],
  error: ['recovering', 'ok'],
  recovering: ['ok', 'error'],
})

/**
 * Whether health may move from `from` to `to` (staying in the same state always may).
 *
 * @example
 * ```ts
 * canTransition('error', 'ok')          // true: an active check passed
 * canTransition('ok', 'recovering')     // false: only a member in error recovers
 * ```
 */
export function canTransition(from: HealthState, to: HealthState): boolean {
  return from === to || HEALTH_TRANSITIONS[from].includes(to)
}

/** Whether a member in this admin state may take a request that has no session on it. */
export function takesNewRequests(admin: AdminState): boolean {
  return admin === 'active' || admin === 'standby'
}

/** Whether a member in this admin state may take a request whose session lives on it. */
export function takesStickyRequests(admin: AdminState): boolean {
  return admin !== 'stopped'
}
