/**
 * A stand-in for prom-client's types (it is not a dependency of this package), for the guides'
 * blocks that use it: the parts of its API they call, with prom-client 15's signatures.
 */
declare module 'prom-client' {
  export class Registry {
    registerMetric(metric: unknown): void
    removeSingleMetric(name: string): void
    getSingleMetric(name: string): unknown
    metrics(): Promise<string>
    readonly contentType: string
  }
  export function collectDefaultMetrics(config?: { register?: Registry; prefix?: string }): void
}
