/**
 * What the config importers return: balancers with their mount paths, plus warnings.
 *
 * @module
 */
import type { BalancerOptions } from '../options.js'

/** One balancer found in a peer's configuration. */
export interface ImportedBalancer {
  /** The peer's name for it: the mod_jk lb worker, the `balancer://` name or the nginx `upstream`. */
  name: string
  /**
   * The public path prefix it serves (`/` for everything), like `JkMount /app/*`,
   * `ProxyPass /app balancer://…` or `location /app/`. Mount it there (`app.use(mount, …)`), or let
   * the CLI do it.
   */
  mount: string
  /** Options for {@link createBalancer}: plain JSON, no functions. */
  options: BalancerOptions
}

/** The result of an importer. */
export interface ImportResult {
  balancers: ImportedBalancer[]
  /**
   * One line per thing that was skipped, approximated or is worth knowing, each starting with
   * `<file>:<line>:` (e.g. `workers.properties:12: worker.a.socket_timeout is not supported: ignored`).
   */
  warnings: string[]
}

/** Options common to every importer. */
export interface ImportOptions {
  /** The file name used in warnings. Default: the format's usual name (`workers.properties`, `httpd.conf`, `nginx.conf`). */
  fileName?: string
}
