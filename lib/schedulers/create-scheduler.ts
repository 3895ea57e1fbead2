/**
 * The registry of built-in schedulers.
 *
 * @module
 */
import { createByRequests } from './by-requests.js'
import type { Scheduler, SchedulerName } from './scheduler.js'

export function createScheduler(choice: SchedulerName | Scheduler): Scheduler {
  if (typeof choice !== 'string') return choice
  switch (choice) {
    case 'byrequests':
      return createByRequests()
  }
}
