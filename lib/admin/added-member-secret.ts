/**
 * Whether a member added through the admin surface may carry an AJP secret.
 *
 * The secret authenticates the balancer to Tomcat's AJP connector; whoever receives it can talk AJP
 * to every connector that shares it, attributes included (Ghostcat's class). Someone who can add a member, which is all
 * a stolen admin session or a forged form gives, must not be able to have it sent to a host of
 * their choosing. So a member added at run time through the admin surface gets AJP settings only
 * when its address (`host:port`, as written) is the address of a member configured when the
 * balancer was created: it then gets that member's settings, the balancer-wide `ajp.secret`
 * included as for that member. Any other `ajp://` member is added without a secret; a connector
 * with `secretRequired="true"` refuses it, and the audit line says why. Members added in code
 * (`balancer.addMember`) are the code's business and inherit as configured.
 *
 * httpd behaves alike: a member added through balancer-manager is a new worker with default
 * parameters, with no `secret`; jkstatus cannot add members at all.
 *
 * @module
 */
import type { AjpTransportOptions } from '../transports/ajp/options.js'
import type { MemberOptions, ResolvedMemberOptions } from '../options.js'

/** The address an `ajp://` URL connects to, as text (`host:port`, port 8009 when absent), or `undefined` for another scheme. */
function ajpAddress(url: URL): string | undefined {
  if (url.protocol !== 'ajp:') return undefined
  return `${url.hostname.toLowerCase()}:${url.port === '' ? '8009' : url.port}`
}

/** What an admin-added member gets: its options to add, and whether it has the configured AJP settings. */
export interface AdminAddedMember {
  readonly options: MemberOptions
  /** `true`: the address of a configured member, with its AJP settings; `false`: an `ajp://` member with no secret; `undefined`: not AJP. */
  readonly configuredAjp: boolean | undefined
}

/**
 * The options to add a member from the admin surface with, given the members configured at
 * construction.
 *
 * @example
 * ```ts
 * adminAddedMember(balancer.options.members, { url: 'ajp://10.0.0.1:8009' })
 * // { options: { url: 'ajp://10.0.0.1:8009', ajp: { secret: undefined } }, configuredAjp: false }
 * ```
 */
export function adminAddedMember(configured: readonly ResolvedMemberOptions[], options: MemberOptions): AdminAddedMember {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    return { options, configuredAjp: undefined } // the balancer's validation names the problem
  }
  const address = ajpAddress(url)
  if (address === undefined) return { options, configuredAjp: undefined }
  const same = configured.find((m) => ajpAddress(m.url) === address)
  if (same !== undefined) return { options: same.ajp === undefined ? options : { ...options, ajp: { ...same.ajp } }, configuredAjp: true }
  // An own `secret: undefined` overrides the balancer-wide one when the member's transport is made.
  const none: AjpTransportOptions = { secret: undefined }
  return { options: { ...options, ajp: none }, configuredAjp: false }
}
