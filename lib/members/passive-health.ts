/**
 * Passive health: what the outcome of an exchange (or an upgrade handshake) does to its member's
 * health state. A failure counts toward `maxFails` and puts the member in `error` for `retry`;
 * while active checks run, a member in `error` waits for a passing probe instead, and a
 * successful request does not bring it back.
 *
 * @module
 */
import type { Member } from './member.js'

/** The settings of {@link PassiveHealth}, from the balancer's resolved options. */
export interface PassiveHealthOptions {
  /** How long a member in `error` is left out before it is probed by a request, ms. */
  readonly retryMs: number
  /** Failures in a row before a member goes into `error`. */
  readonly maxFails: number
  /** Active health checks run: only a passing probe ends `error`. */
  readonly activeChecks: boolean
}

/** @internal */
export class PassiveHealth {
  readonly #retryMs: number
  readonly #maxFails: number
  readonly #activeChecks: boolean

  constructor(options: PassiveHealthOptions) {
    this.#retryMs = options.activeChecks ? Infinity : options.retryMs
    this.#maxFails = options.maxFails
    this.#activeChecks = options.activeChecks
  }

  /** A failure that is the member's fault (see `judgeFailure`). */
  failed(member: Member, error: { readonly code: string; readonly message: string }): void {
    member.markError(Date.now(), this.#retryMs, error, this.#maxFails)
  }

  /** A successful exchange. */
  succeeded(member: Member): void {
    if (!this.#activeChecks || member.health !== 'error') member.markOk()
  }
}
