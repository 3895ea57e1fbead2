/**
 * The registry of built-in schedulers: names to factories with default options.
 *
 * Names are ours; config importers map the peers' spellings (mod_jk `method=R|T|B`, mod_proxy
 * `lbmethod=`, nginx and HAProxy directives) to them. See docs/guide/schedulers.md.
 *
 * @module
 */
import type { TrustProxy } from '../net/trust-proxy.js'
import { createByBusyness } from './by-busyness.js'
import { createByRequests } from './by-requests.js'
import { createByTraffic } from './by-traffic.js'
import { createIpHash } from './ip-hash.js'
import { createLeastConn } from './least-conn.js'
import { createPeakEwma } from './peak-ewma.js'
import { createRandom } from './random.js'
import type { Scheduler, SchedulerName } from './scheduler.js'
import { createWrr } from './wrr.js'

/** The names {@link createScheduler} knows (defined next to {@link SchedulerName}). */
export { SCHEDULER_NAMES } from './scheduler.js'

/**
 * A scheduler for a built-in name, with default options, or `choice` itself when it is already a
 * scheduler object. `trustProxy` is used by `ip_hash` only.
 *
 * @example
 * ```ts
 * createScheduler('leastconn', resolveTrustProxy(false)).name // 'leastconn'
 * ```
 */
export function createScheduler(choice: SchedulerName | Scheduler, trustProxy: TrustProxy): Scheduler {
  if (typeof choice !== 'string') return choice
  switch (choice) {
    case 'byrequests':
      return createByRequests()
    case 'bytraffic':
      return createByTraffic()
    case 'bybusyness':
      return createByBusyness()
    case 'wrr':
      return createWrr()
    case 'leastconn':
      return createLeastConn()
    case 'random':
      return createRandom()
    case 'peakewma':
      return createPeakEwma()
    case 'ip_hash':
      return createIpHash({ trustProxy })
  }
}
