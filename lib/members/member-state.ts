/**
 * The states a member can be in, and which of them may take which requests.
 *
 * Two independent axes, as in mod_jk (activation × state) and mod_proxy (status flags):
 * - **admin** state, set by an operator: `active`, `draining` (only requests of sessions that live
 *   there: mod_jk `Disabled`, mod_proxy `N`, nginx `drain`), `stopped` (nothing: mod_jk `Stopped`,
 *   mod_proxy `S`, nginx `down`), `standby` (only when no regular member is usable: mod_proxy `H`,
 *   nginx `backup`).
 * - **health** state, set by what the balancer observes: `ok`, `error` (a failure put it out for
 *   `retry` seconds: mod_proxy `E`, mod_jk `ERR`), `recovering` (the retry time is over; the next
 *   request probes it: mod_jk `REC`).
 *
 * @module
 */

export type AdminState = 'active' | 'draining' | 'stopped' | 'standby'
export type HealthState = 'ok' | 'error' | 'recovering'

export const ADMIN_STATES: readonly AdminState[] = ['active', 'draining', 'stopped', 'standby']

/** Whether a member in this admin state may take a request that has no session on it. */
export function takesNewRequests(admin: AdminState): boolean {
  return admin === 'active' || admin === 'standby'
}

/** Whether a member in this admin state may take a request whose session lives on it. */
export function takesStickyRequests(admin: AdminState): boolean {
  return admin !== 'stopped'
}
