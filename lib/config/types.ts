/**
 * What the config importers return: balancers with their mount paths, plus warnings.
 *
 * @module
 */
import type { BalancerOptions } from '../options.js'

/**
 * One balancer found in a peer's configuration.
 *
 * @example
 * ```ts
 * // from `ProxyPass /app balancer://tomcat/testapp` with two BalancerMembers and stickysession=JSESSIONID
 * const imported: ImportedBalancer = {
 *   name: 'tomcat',
 *   mount: '/app',
 *   options: {
 *     members: [{ url: 'http://127.0.0.1:8081', route: 'TomcatA' }, { url: 'http://127.0.0.1:8082', route: 'TomcatB' }],
 *     sticky: { cookie: 'JSESSIONID', pathParam: 'jsessionid' },
 *     upstreamPath: '/testapp',
 *   },
 * }
 * app.use(imported.mount, stickyBalancer(imported.options))
 * ```
 */
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

/**
 * The result of an importer.
 *
 * @example
 * ```ts
 * const { balancers, warnings } = fromNginxConfig(readFileSync('/etc/nginx/nginx.conf', 'utf8'))
 * for (const w of warnings) console.warn(w)   // nginx.conf:14: server 127.0.0.1:8081 max_conns=100 is not supported (…): ignored
 * for (const b of balancers) app.use(b.mount, stickyBalancer(b.options))
 * ```
 */
export interface ImportResult {
  /** Every balancer found, in file order. */
  balancers: ImportedBalancer[]
  /**
   * One line per thing that was skipped, approximated or is worth knowing, each starting with
   * `<file>:<line>:` (e.g. `workers.properties:12: worker.a.socket_timeout is not supported: ignored`).
   */
  warnings: string[]
}

/**
 * Options common to every importer.
 *
 * @example
 * ```ts
 * fromHttpdConfig(text, { fileName: 'proxy-balancer.conf' }).warnings   // ['proxy-balancer.conf:7: …']
 * ```
 */
export interface ImportOptions {
  /** The file name used in warnings. Default: the format's usual name (`workers.properties`, `httpd.conf`, `nginx.conf`). */
  fileName?: string
}
