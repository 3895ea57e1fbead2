/**
 * The balancers the command serves, one per mount, with the configuration each was loaded from
 * (what a reload and the state file compare against).
 *
 * @module
 */
import { createBalancer } from '../../lib/balancer.js'
import type { Balancer } from '../../lib/balancer.js'
import type { ImportedBalancer } from '../../lib/config/types.js'
import type { BalancerOptions } from '../../lib/options.js'
import type { ConfiguredMember, FileMember } from '../../lib/reload/member-merge.js'
import { fileMembers, memberRecord } from '../../lib/reload/member-records.js'

/** One balancer being served at its mount. */
export interface Running {
  readonly mount: string
  /** The mount as a path prefix: `''` for `/`. */
  readonly prefix: string
  readonly name: string
  readonly balancer: Balancer
  /** The options the configuration gave it (at the last load). */
  readonly options: BalancerOptions
  /** The members the configuration defined at the last load. */
  readonly file: readonly FileMember[]
}

/** How the command creates a balancer (`createBalancer`, wrapped by what watches every balancer, such as the access log). */
export type CreateBalancer = (options: BalancerOptions) => Balancer

/** Creates the balancer of an imported configuration entry. */
export function startBalancer(imported: ImportedBalancer, create: CreateBalancer = createBalancer): Running {
  return {
    mount: imported.mount,
    prefix: imported.mount === '/' ? '' : imported.mount,
    name: imported.name,
    balancer: create(imported.options),
    options: imported.options,
    file: fileMembers(imported.options),
  }
}

/** Longest prefix first: the order requests are matched in. */
export function byPrefix(list: Running[]): Running[] {
  return list.sort((a, b) => b.prefix.length - a.prefix.length)
}

/**
 * The members `entry` runs now, as a diff compares them: a member still at the URL the file gave
 * it has the file's other options; any other was added at run time with none.
 */
export function currentMembers(entry: Pick<Running, 'balancer' | 'file'>): ConfiguredMember[] {
  const file = new Map(entry.file.map((m) => [m.id, m]))
  return entry.balancer.members.map((member) => {
    const record = memberRecord(member)
    const defined = file.get(record.id)
    return { ...record, fixed: defined !== undefined && defined.url === record.url ? defined.fixed : '' }
  })
}
