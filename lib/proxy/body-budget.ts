/**
 * The memory all requests together may hold in bodies read in full for retries
 * (`retryBodyTotal`, across concurrent requests; `retryBodyLimit` bounds one). A request that does
 * not fit is streamed as usual, without being buffered, so it is simply not retryable: under a
 * flood of uploads the balancer's memory stays bounded while every request is still served.
 *
 * @module
 */

/**
 * A byte budget: reserve before buffering, release when the request ends.
 *
 * @example
 * ```ts
 * const budget = new BodyBudget(64 * 1024 * 1024)
 * if (budget.tryReserve(length)) {
 *   try { body = await readBody(req, length) } finally { budget.release(length) }
 * }
 * ```
 */
export class BodyBudget {
  readonly #total: number
  #used = 0

  /** @param total - bytes that may be reserved at once. */
  constructor(total: number) {
    this.#total = total
  }

  /** Reserves `bytes` if they fit; returns whether they did. */
  tryReserve(bytes: number): boolean {
    if (this.#used + bytes > this.#total) return false
    this.#used += bytes
    return true
  }

  /** Gives back what {@link tryReserve} took. */
  release(bytes: number): void {
    this.#used -= bytes
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.#used
  }
}
