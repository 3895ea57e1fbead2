/**
 * Picks the importer for a configuration file by its name and content.
 *
 * @module
 */
import type { BalancerOptions } from '../options.js'
import { expandConfigReferences } from './config-references.js'
import { fromHttpdConfig } from './httpd.js'
import { fromNginxConfig } from './nginx.js'
import type { ImportResult } from './types.js'
import { fromWorkersProperties } from './workers-properties.js'

/**
 * The configuration formats {@link importConfig} reads.
 *
 * @example
 * ```ts
 * const format: ConfigFormat = detectConfigFormat(file, text) ?? 'json'
 * importConfig(text, file, { format })
 * ```
 */
export type ConfigFormat = 'json' | 'workers.properties' | 'httpd' | 'nginx'

/**
 * Guesses a file's format: by extension (`.json`, `.properties`), then by content (`worker.…=`
 * lines, `<Proxy`/`BalancerMember`/`ProxyPass`/`JkMount`, `upstream … {`/`proxy_pass`).
 * `undefined` when nothing fits.
 *
 * @example
 * ```ts
 * detectConfigFormat('workers.properties', '')                                  // 'workers.properties'
 * detectConfigFormat('lb.conf', 'upstream tomcat {\n  server 127.0.0.1:8081;\n}')   // 'nginx'
 * detectConfigFormat('lb.conf', '<Proxy balancer://tomcat>')                    // 'httpd'
 * ```
 */
export function detectConfigFormat(fileName: string, text: string): ConfigFormat | undefined {
  const lower = fileName.toLowerCase()
  if (lower.endsWith('.json')) return 'json'
  if (lower.endsWith('.properties')) return 'workers.properties'
  const body = text.replace(/^\s*#.*$/gm, '')
  if (/^\s*[{[]/.test(body)) return 'json'
  if (/^\s*worker\.[^.\s]+(\.[^=\s]+)?\s*=/m.test(body)) return 'workers.properties'
  if (/^\s*upstream\s+\S+\s*\{/m.test(body) || /^\s*proxy_pass\s+\S+\s*;/m.test(body)) return 'nginx'
  if (/^\s*(<Proxy\b|BalancerMember\b|ProxyPass\b|ProxySet\b|JkMount\b|<VirtualHost\b)/im.test(body)) return 'httpd'
  if (/^\s*(http|server|events)\s*\{/m.test(body)) return 'nginx'
  return undefined
}

/**
 * Options of {@link importConfig}.
 *
 * @example
 * ```ts
 * importConfig(readFileSync('workers.properties', 'utf8'), 'workers.properties', {
 *   jkMounts: readFileSync('/etc/apache2/mods-available/jk.conf', 'utf8'),
 *   jkMountsFileName: 'jk.conf',
 * })
 * ```
 */
export interface ImportConfigOptions {
  /** The format; default: {@link detectConfigFormat}. */
  format?: ConfigFormat
  /** For `workers.properties`: the httpd configuration (or uriworkermap) with the `JkMount` lines. */
  jkMounts?: string
  /** Its file name, for warnings. */
  jkMountsFileName?: string
  /**
   * Where `${NAME}` and `${NAME:-default}` references in the file (and in `jkMounts`) are looked
   * up (what each format leaves untouched, such as nginx's `${host}`: docs/guide/cli.md). An unset name
   * without a default throws. Default: `process.env`.
   */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * Imports any supported configuration. JSON is either one `BalancerOptions` object (mounted at
 * `/`, named `balancer`) or an {@link ImportResult}-shaped `{ balancers: [{ name, mount, options }] }`
 * (what `sticky-balancer --check` prints). `${NAME}` / `${NAME:-default}` references are first
 * replaced from `options.env` (default `process.env`).
 *
 * @throws Error when the format cannot be told or the JSON does not parse; InvalidOptionError
 *   (`LB_ERR_INVALID_OPTION`) naming the variable and `<file>:<line>` when a reference names an
 *   unset variable and has no default.
 *
 * @example
 * ```ts
 * const file = process.argv[2] ?? 'workers.properties'
 * const { format, balancers, warnings } = importConfig(readFileSync(file, 'utf8'), file)
 * console.error(`${format}: ${balancers.length} balancer(s), ${warnings.length} warning(s)`)
 * for (const b of balancers) app.use(b.mount, stickyBalancer(b.options))
 * ```
 */
export function importConfig(text: string, fileName: string, options: ImportConfigOptions = {}): ImportResult & { format: ConfigFormat } {
  const format = options.format ?? detectConfigFormat(fileName, text)
  const base = fileName.split(/[\\/]/).pop() ?? fileName
  const env = options.env ?? process.env
  if (format !== undefined) text = expandConfigReferences(text, { syntax: format, fileName, env })
  const jkMounts = options.jkMounts === undefined ? undefined
    : expandConfigReferences(options.jkMounts, { syntax: 'httpd', fileName: options.jkMountsFileName ?? 'httpd.conf', env })
  switch (format) {
    case 'json': {
      const parsed = JSON.parse(text) as unknown
      if (typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { balancers?: unknown }).balancers)) {
        const result = parsed as ImportResult
        return { format, balancers: result.balancers, warnings: [] }
      }
      return { format, balancers: [{ name: 'balancer', mount: '/', options: parsed as BalancerOptions }], warnings: [] }
    }
    case 'workers.properties':
      return { format, ...fromWorkersProperties(text, { fileName: base, ...(jkMounts !== undefined ? { jkMounts, jkMountsFileName: options.jkMountsFileName ?? 'httpd.conf' } : {}) }) }
    case 'httpd':
      return { format, ...fromHttpdConfig(text, { fileName: base }) }
    case 'nginx':
      return { format, ...fromNginxConfig(text, { fileName: base }) }
    default:
      throw new Error(`${fileName}: cannot tell the format (JSON, workers.properties, httpd or nginx); name it *.json or *.properties, or pass the format`)
  }
}
