/**
 * Admin commands: the changes an operator can make, parsed from the three dialects the admin
 * surface speaks (our JSON API, balancer-manager's form fields, jkstatus' `cmd=update` query), fully
 * validated before any is applied, then applied through the balancer's commands only
 * ({@link BalancerControl}): nothing here writes a member.
 *
 * @module
 */
import type { BalancerControl, MemberView } from '../control.js'
import { clientText } from '../client-text.js'
import { AdminError, LbError } from '../errors.js'
import { ADMIN_STATES } from '../members/member-state.js'
import type { AdminState } from '../members/member-state.js'
import type { MemberOptions } from '../options.js'
import { adminAddedMember } from './added-member-secret.js'
import { shownValue } from './shown-value.js'

/** `field` may be a key the client sent (an unknown one): it is shown through `clientText`. */
function invalid(field: string, message: string): AdminError {
  const shown = clientText(field)
  return new AdminError('LB_ERR_ADMIN_INVALID', `${shown}: ${message}`, { field: shown })
}

function notFound(id: string, field = 'member'): AdminError {
  return new AdminError('LB_ERR_ADMIN_NOT_FOUND', `no member has the id ${shownValue(id)}`, { field })
}

/** Changes to one member; absent keys are left alone, `null` clears route/redirect/domain. */
export interface MemberChanges {
  state?: AdminState
  weight?: number
  route?: string | null
  redirect?: string | null
  domain?: string | null
  /** Put a member in `error` back in service now (jkstatus `cmd=recover`). */
  recover?: boolean
  /** Zero the member's counters (jkstatus `cmd=reset`). */
  reset?: boolean
}

/** One validated change. */
export type AdminCommand =
  | { readonly kind: 'update'; readonly member: string; readonly changes: MemberChanges }
  | { readonly kind: 'add'; readonly options: MemberOptions }
  | { readonly kind: 'remove'; readonly member: string }
  | { readonly kind: 'reset'; readonly member?: string | undefined }

const JSON_KEYS = ['state', 'weight', 'route', 'redirect', 'domain', 'recover', 'reset']

function parseState(field: string, value: unknown): AdminState {
  if (typeof value !== 'string' || !ADMIN_STATES.includes(value as AdminState)) throw invalid(field, `must be one of ${ADMIN_STATES.join(', ')}, got ${shownValue(value)}`)
  return value as AdminState
}

/** Forms and query strings carry text; JSON must carry a number (`fromText` = false). */
function parseWeight(field: string, value: unknown, fromText = true): number {
  const n = fromText && typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 100) throw invalid(field, `must be an integer from 1 to 100, got ${shownValue(value)}`)
  return n
}

function parseName(field: string, value: unknown, allowEmpty: boolean): string | null {
  if (value === null) return null
  if (typeof value !== 'string') throw invalid(field, `must be a string or null, got ${shownValue(value)}`)
  const text = value.trim()
  if (text === '') return allowEmpty ? '' : null
  if (!/^[A-Za-z0-9_\-.~:]+$/.test(text)) throw invalid(field, `must be letters, digits and - _ . ~ : only, got ${shownValue(value)}`)
  return text
}

function requireMember(balancer: BalancerControl, id: string, field = 'member'): MemberView {
  const member = balancer.member(id)
  if (!member) throw notFound(id, field)
  return member
}

/**
 * Parses the JSON body of `POST /api/members/:id`: `{ state?, weight?, route?, redirect?, domain?,
 * recover?, reset? }`.
 */
export function parseJsonChanges(balancer: BalancerControl, id: string, body: unknown): AdminCommand {
  requireMember(balancer, id)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'must be a JSON object like { "state": "draining" }')
  const raw = body as Record<string, unknown>
  const keys = Object.keys(raw)
  const unknown = keys.find((k) => !JSON_KEYS.includes(k))
  if (unknown !== undefined) throw invalid(unknown, `is not a member setting (known: ${JSON_KEYS.join(', ')})`)
  if (keys.length === 0) throw invalid('body', `names no change (known: ${JSON_KEYS.join(', ')})`)
  const changes: MemberChanges = {}
  if ('state' in raw) changes.state = parseState('state', raw.state)
  if ('weight' in raw) changes.weight = parseWeight('weight', raw.weight, false)
  if ('route' in raw) changes.route = parseName('route', raw.route, false)
  if ('redirect' in raw) changes.redirect = parseName('redirect', raw.redirect, false)
  if ('domain' in raw) changes.domain = parseName('domain', raw.domain, true)
  for (const flag of ['recover', 'reset'] as const) {
    if (!(flag in raw)) continue
    if (typeof raw[flag] !== 'boolean') throw invalid(flag, `must be true or false, got ${shownValue(raw[flag])}`)
    changes[flag] = raw[flag] as boolean
  }
  return { kind: 'update', member: id, changes }
}

/** Parses the JSON body of `POST /api/members`: member options (`{ url, route?, weight?, state?, redirect?, domain? }`). */
export function parseJsonAdd(body: unknown): AdminCommand {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'must be a JSON object like { "url": "http://127.0.0.1:8081", "route": "TomcatA" }')
  const raw = body as Record<string, unknown>
  const allowed = ['url', 'route', 'weight', 'state', 'redirect', 'domain']
  const unknown = Object.keys(raw).find((k) => !allowed.includes(k))
  if (unknown !== undefined) throw invalid(unknown, `is not a member option here (known: ${allowed.join(', ')}; AJP secrets only in code)`)
  if (typeof raw.url !== 'string' || raw.url === '') throw invalid('url', 'is required, like "http://127.0.0.1:8081"')
  return { kind: 'add', options: raw as unknown as MemberOptions }
}

/** The balancer-manager form fields we accept (apart from `b`, `w`, `nonce`). */
export const MANAGER_FIELDS = ['w_lf', 'w_ls', 'w_wr', 'w_rr', 'w_dm', 'w_state', 'w_status_D', 'w_status_S', 'w_status_H', 'w_status_N', 'w_status_E', 'w_remove', 'w_reset', 'b_lbm', 'b_nwrkr', 'b_wyes', 'b_nroute', 'b_nlf']

function flag(field: string, value: string): boolean {
  if (value === '1' || value === 'on') return true
  if (value === '0' || value === 'off') return false
  throw invalid(field, `must be 0 or 1, got ${shownValue(value)}`)
}

/** Finds a member by id or by URL (balancer-manager names workers by URL). */
export function findMember(balancer: BalancerControl, key: string): MemberView | undefined {
  const byId = balancer.member(key)
  if (byId) return byId
  const origin = key.replace(/\/+$/, '').toLowerCase()
  return balancer.members.find((m) => `${m.url.protocol}//${m.url.host}`.toLowerCase() === origin)
}

/**
 * Parses a balancer-manager form post (`application/x-www-form-urlencoded`): with `w` (a member id
 * or URL) the member's fields `w_lf` (weight), `w_wr` (route), `w_rr` (redirect), `w_dm` (domain,
 * ours), `w_ls` (lbset: only the member's configured `group`), status flags `w_status_S|D|N|H` (stopped,
 * draining, draining, standby; all 0 = active), `w_status_E=0` (recover), `w_state` (ours: a state
 * name) and `w_remove=1` (ours); without `w`, `b_nwrkr` + `b_wyes=1` adds a member (with `b_nroute`
 * and `b_nlf`, ours). `b_lbm` is accepted only when it names the scheduler in use.
 */
export function parseManagerForm(balancer: BalancerControl, name: string, fields: Readonly<Record<string, string>>): AdminCommand[] {
  const unknown = Object.keys(fields).find((k) => k !== 'b' && k !== 'w' && k !== 'nonce' && !MANAGER_FIELDS.includes(k))
  if (unknown !== undefined) throw invalid(unknown, `is not a balancer-manager field we accept (known: b, w, nonce, ${MANAGER_FIELDS.join(', ')})`)
  const b = fields.b
  if (b !== undefined && b !== name && b !== `balancer://${name}`) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', `no balancer is named ${shownValue(b)} (this one is ${JSON.stringify(name)})`, { field: 'b' })
  if (fields.b_lbm !== undefined && fields.b_lbm !== balancer.schedulerName) {
    throw invalid('b_lbm', `the scheduler cannot be changed at run time (it is ${JSON.stringify(balancer.schedulerName)})`)
  }
  const commands: AdminCommand[] = []
  const w = fields.w
  if (w === undefined || w === '') {
    if (fields.b_nwrkr !== undefined && fields.b_nwrkr !== '') {
      if (fields.b_wyes === undefined || !flag('b_wyes', fields.b_wyes)) throw invalid('b_wyes', 'must be 1 to add the member in b_nwrkr')
      const options: MemberOptions = { url: fields.b_nwrkr.trim() }
      const route = fields.b_nroute === undefined ? null : parseName('b_nroute', fields.b_nroute, false)
      if (route) options.route = route
      if (fields.b_nlf !== undefined && fields.b_nlf !== '') options.weight = parseWeight('b_nlf', fields.b_nlf)
      commands.push({ kind: 'add', options })
    }
    const stray = Object.keys(fields).find((k) => k.startsWith('w_'))
    if (stray !== undefined) throw invalid('w', `is required with ${stray}`)
    if (commands.length === 0 && fields.b_lbm === undefined) throw invalid('w', 'is required (the member to change), or b_nwrkr to add one')
    return commands
  }
  const member = findMember(balancer, w)
  if (!member) throw notFound(w, 'w')
  if (fields.w_remove !== undefined && flag('w_remove', fields.w_remove)) return [{ kind: 'remove', member: member.id }]
  const changes: MemberChanges = {}
  if (fields.w_lf !== undefined && fields.w_lf !== '') changes.weight = parseWeight('w_lf', fields.w_lf)
  if (fields.w_ls !== undefined && fields.w_ls.trim() !== '' && fields.w_ls.trim() !== String(member.group)) throw invalid('w_ls', `member groups (lbset) are set in the configuration (members[].group), not at run time; only the member's group ${member.group} is accepted`)
  if (fields.w_wr !== undefined) changes.route = parseName('w_wr', fields.w_wr, false)
  if (fields.w_rr !== undefined) changes.redirect = parseName('w_rr', fields.w_rr, false)
  // An empty field means "not set" (the default domain), never the explicit opt-out `''`.
  if (fields.w_dm !== undefined) changes.domain = parseName('w_dm', fields.w_dm, false)
  if (fields.w_state !== undefined) changes.state = parseState('w_state', fields.w_state)
  const status = { S: fields.w_status_S, D: fields.w_status_D, N: fields.w_status_N, H: fields.w_status_H }
  if (Object.values(status).some((v) => v !== undefined)) {
    if (changes.state !== undefined) throw invalid('w_state', 'cannot be combined with w_status_* fields')
    const now = member.admin
    let stopped = now === 'stopped'
    let draining = now === 'draining'
    let standby = now === 'standby'
    if (status.S !== undefined) stopped = flag('w_status_S', status.S)
    const drainFlags = [status.D === undefined ? undefined : flag('w_status_D', status.D), status.N === undefined ? undefined : flag('w_status_N', status.N)].filter((v) => v !== undefined)
    if (drainFlags.length > 0) draining = drainFlags.includes(true)
    if (status.H !== undefined) standby = flag('w_status_H', status.H)
    changes.state = stopped ? 'stopped' : draining ? 'draining' : standby ? 'standby' : 'active'
  }
  if (fields.w_reset !== undefined && flag('w_reset', fields.w_reset)) changes.reset = true
  if (fields.w_status_E !== undefined) {
    if (flag('w_status_E', fields.w_status_E)) throw invalid('w_status_E', 'the error state is set by the balancer, not by hand; 0 puts the member back in service')
    changes.recover = true
  }
  if (Object.keys(changes).length === 0) throw invalid('w', `names no change for member ${JSON.stringify(member.id)}`)
  return [{ kind: 'update', member: member.id, changes }]
}

const JK_ACTIVATION: Record<string, AdminState> = { 0: 'active', a: 'active', A: 'active', 1: 'draining', d: 'draining', D: 'draining', 2: 'stopped', s: 'stopped', S: 'stopped' }
const JK_UPDATE_PARAMS = ['vwa', 'vwf', 'vwn', 'vwr', 'vwc', 'vwd']

/**
 * Parses a jkstatus change (`cmd=update|reset|recover`, `w=<balancer>`, `sw=<member>`): `vwa`
 * activation (0/a active, 1/d draining, 2/s stopped), `vwf` factor (weight), `vwn` route, `vwr`
 * redirect, `vwc` domain, `vwd` distance (only the member's configured `group`).
 */
export function parseJkCommand(balancer: BalancerControl, name: string, query: URLSearchParams): AdminCommand[] {
  const cmd = query.get('cmd')
  const w = query.get('w')
  if (w !== null && w !== name) throw new AdminError('LB_ERR_ADMIN_NOT_FOUND', `no balancer is named ${shownValue(w)} (this one is ${JSON.stringify(name)})`, { field: 'w' })
  const sw = query.get('sw')
  const member = sw === null || sw === '' ? undefined : findMember(balancer, sw)
  if (sw !== null && sw !== '' && !member) throw notFound(sw, 'sw')
  if (cmd === 'reset') return [{ kind: 'reset', member: member?.id }]
  if (cmd === 'recover') {
    if (!member) throw invalid('sw', 'is required: the member to recover')
    return [{ kind: 'update', member: member.id, changes: { recover: true } }]
  }
  if (!member) throw invalid('sw', 'is required: the member to update (balancer settings cannot be changed at run time)')
  const changes: MemberChanges = {}
  const vwa = query.get('vwa')
  if (vwa !== null) {
    const state = JK_ACTIVATION[vwa]
    if (!state) throw invalid('vwa', `must be 0/a (active), 1/d (disabled: draining) or 2/s (stopped), got ${shownValue(vwa)}`)
    changes.state = state
  }
  const vwf = query.get('vwf')
  if (vwf !== null) changes.weight = parseWeight('vwf', vwf)
  const vwn = query.get('vwn')
  if (vwn !== null) changes.route = parseName('vwn', vwn, false)
  const vwr = query.get('vwr')
  if (vwr !== null) changes.redirect = parseName('vwr', vwr, false)
  const vwc = query.get('vwc')
  if (vwc !== null) changes.domain = parseName('vwc', vwc, false)
  const vwd = query.get('vwd')
  if (vwd !== null && vwd !== String(member.group)) throw invalid('vwd', `distances (member groups) are set in the configuration (members[].group), not at run time; only the member's group ${member.group} is accepted`)
  const other = [...query.keys()].find((k) => k.startsWith('v') && !JK_UPDATE_PARAMS.includes(k))
  if (other !== undefined) throw invalid(other, `is not supported (accepted: ${JK_UPDATE_PARAMS.join(', ')})`)
  if (Object.keys(changes).length === 0) throw invalid('cmd', `update names no change (use ${JK_UPDATE_PARAMS.join(', ')})`)
  return [{ kind: 'update', member: member.id, changes }]
}

/** What the handler's `reset` does besides zeroing counters (its own latency statistics). */
export interface ApplyContext {
  readonly onReset?: (member: MemberView) => void
}


function toAdminError(err: unknown, field: string): never {
  if (err instanceof AdminError) throw err
  if (err instanceof LbError && err.code === 'LB_ERR_INVALID_OPTION') throw invalid(field, err.message)
  throw err
}

/**
 * Applies one command through the balancer's public API; returns a short description for the audit
 * log and the page. Balancer validation failures become 400 errors naming the field.
 */
export async function applyCommand(balancer: BalancerControl, command: AdminCommand, ctx: ApplyContext = {}): Promise<string> {
  switch (command.kind) {
    case 'add': {
      // Never the AJP secret for an address that is not configured (see added-member-secret.ts).
      const { options, configuredAjp } = adminAddedMember(balancer.options.members, command.options)
      let member: MemberView
      try {
        member = balancer.addMember(options)
      } catch (err) {
        toAdminError(err, 'url')
      }
      const note = configuredAjp === false ? ' without an AJP secret (not the address of a configured member)' : ''
      return `added member ${member.id} (${member.url.protocol}//${member.url.host})${note}`
    }
    case 'remove': {
      requireMember(balancer, command.member)
      try {
        await balancer.removeMember(command.member)
      } catch (err) {
        toAdminError(err, 'member')
      }
      return `removed member ${command.member}`
    }
    case 'reset': {
      const members = command.member === undefined ? balancer.members : [requireMember(balancer, command.member)]
      balancer.resetCounters(command.member)
      for (const m of members) ctx.onReset?.(m)
      return command.member === undefined ? 'reset the counters of every member' : `reset the counters of member ${command.member}`
    }
    case 'update': {
      const member = requireMember(balancer, command.member)
      const { state, weight, route, redirect, domain, recover, reset } = command.changes
      const done: string[] = []
      const settings: { weight?: number; route?: string; redirect?: string; domain?: string } = {}
      // Only what differs: a form sends every field, the audit line should name what changed.
      if (weight !== undefined && weight !== member.weight) settings.weight = weight
      if (route !== undefined && (route ?? undefined) !== member.route) settings.route = route ?? undefined
      if (redirect !== undefined && (redirect ?? undefined) !== member.redirect) settings.redirect = redirect ?? undefined
      if (domain !== undefined && (domain ?? undefined) !== member.domain) settings.domain = domain ?? undefined
      if (Object.keys(settings).length > 0) {
        const field = weight !== undefined ? 'weight' : route !== undefined ? 'route' : redirect !== undefined ? 'redirect' : 'domain'
        try {
          balancer.updateMember(member.id, settings)
        } catch (err) {
          toAdminError(err, field)
        }
        for (const [k, v] of Object.entries(settings)) done.push(`${k}=${v ?? '(none)'}`)
      }
      if (state !== undefined && state !== member.admin) {
        balancer.setMemberState(member.id, state)
        done.push(`state=${state}`)
      }
      if (recover) {
        balancer.recoverMember(member.id)
        done.push('recovered')
      }
      if (reset) {
        balancer.resetCounters(member.id)
        ctx.onReset?.(member)
        done.push('counters reset')
      }
      return `member ${member.id}: ${done.length > 0 ? done.join(', ') : 'no change'}`
    }
  }
}
