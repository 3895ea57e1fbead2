/**
 * Config importers: read the balancer setups of mod_jk (`workers.properties` + `JkMount`),
 * mod_proxy_balancer (httpd) and nginx (`upstream`), and turn them into {@link BalancerOptions},
 * with a warning (naming the file line) for everything skipped or approximated.
 * See docs/guide/migration.md.
 *
 * @module
 */
export { fromWorkersProperties } from './workers-properties.js'
export type { WorkersPropertiesImportOptions } from './workers-properties.js'
export { fromHttpdConfig } from './httpd.js'
export { fromNginxConfig } from './nginx.js'
export { detectConfigFormat, importConfig } from './import-config.js'
export type { ConfigFormat, ImportConfigOptions } from './import-config.js'
export type { ImportOptions, ImportResult, ImportedBalancer } from './types.js'
