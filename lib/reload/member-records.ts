/**
 * The records a reload compares: a running member's settings ({@link memberRecord}) and the
 * members a configuration defines ({@link fileMembers}), named as the balancer names them.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { MemberView } from '../members/member-view.js'
import { memberIdentity } from '../members/member-identity.js'
import type { BalancerOptions, MemberOptions } from '../options.js'
import { resolveBalancerOptions } from '../options.js'
import type { FileMember, MemberRecord } from './member-merge.js'

/** The keys a reload merges or compares itself; every other member option is "fixed". */
const RECORD_KEYS = new Set(['url', 'route', 'weight', 'state', 'redirect', 'domain'])

/** `protocol://host:port` of a member URL, as records hold it. */
export function memberUrl(url: URL): string {
  return `${url.protocol}//${url.host}`
}

/** A running member's record. */
export function memberRecord(member: MemberView): MemberRecord {
  return { id: member.id, url: memberUrl(member.url), route: member.route, weight: member.weight, state: member.admin, redirect: member.redirect, domain: member.domain }
}

/** JSON with sorted keys, each secret replaced by a digest (compared, never stored). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === 'secret' && typeof v === 'string') return `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 16)}`
    if (v instanceof RegExp) return String(v)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  })
}

/**
 * A member's options other than its URL and run-time settings, as canonical JSON ('' when it has
 * none). An AJP secret is replaced by a digest: a changed secret is noticed, and the text can be
 * kept in a state file without the secret.
 */
export function fixedOptions(options: MemberOptions): string {
  const rest = Object.fromEntries(Object.entries(options).filter(([k, v]) => !RECORD_KEYS.has(k) && v !== undefined))
  return Object.keys(rest).length === 0 ? '' : canonical(rest)
}

/**
 * The balancer options other than `members`, as canonical JSON, for telling whether two
 * configurations differ in more than their members; `keys` names the options that differ.
 */
export function changedOptions(a: BalancerOptions, b: BalancerOptions): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  keys.delete('members')
  const left = a as unknown as Record<string, unknown>
  const right = b as unknown as Record<string, unknown>
  return [...keys].filter((k) => canonical(left[k]) !== canonical(right[k])).sort()
}

/**
 * The members `options` defines, with the ids and routes the balancer gives them. Throws
 * `InvalidOptionError` as `createBalancer` would.
 */
export function fileMembers(options: BalancerOptions): FileMember[] {
  const resolved = resolveBalancerOptions({ ...options, logger: false })
  return resolved.members.map((m, i) => {
    const raw = options.members[i] as MemberOptions | string
    const given: MemberOptions = typeof raw === 'string' ? { url: raw } : raw
    const { id, route } = memberIdentity(m.url, m.route, resolved.sticky)
    return { id, url: memberUrl(m.url), route, weight: m.weight, state: m.state, redirect: m.redirect, domain: m.domain, fixed: fixedOptions(given), options: given }
  })
}
