/**
 * The registry of built-in schedulers.
 *
 * @module
 */
import type { TrustProxy } from '../net/trust-proxy.js'
import { createByRequests } from './by-requests.js'
import { createIpHash } from './ip-hash.js'
import type { Scheduler, SchedulerName } from './scheduler.js'

/** The names {@link createScheduler} knows, for option validation. */
export const SCHEDULER_NAMES: readonly SchedulerName[] = ['byrequests', 'ip_hash']

export function createScheduler(choice: SchedulerName | Scheduler, trustProxy: TrustProxy): Scheduler {
  if (typeof choice !== 'string') return choice
  switch (choice) {
    case 'byrequests':
      return createByRequests()
    case 'ip_hash':
      return createIpHash({ trustProxy })
  }
}
