/**
 * nginx's `proxy_ssl_*` and httpd's `SSLProxy*` directives are not imported: their values are
 * file names, and the `tls` option takes the files' contents. What each becomes, for the warning
 * that says so.
 *
 * @module
 */

const NGINX: Readonly<Record<string, string>> = {
  proxy_ssl_trusted_certificate: 'tls.ca',
  proxy_ssl_certificate: 'tls.cert',
  proxy_ssl_certificate_key: 'tls.key',
  proxy_ssl_password_file: 'tls.passphrase',
  proxy_ssl_name: 'tls.servername',
  proxy_ssl_server_name: 'tls.servername (SNI is sent for a host name by default)',
  proxy_ssl_verify: 'tls.rejectUnauthorized (on by default here, off in nginx)',
  proxy_ssl_protocols: 'tls.minVersion / tls.maxVersion',
  proxy_ssl_ciphers: 'tls.ciphers',
}

const HTTPD: Readonly<Record<string, string>> = {
  sslproxycacertificatefile: 'tls.ca',
  sslproxymachinecertificatefile: 'tls.cert and tls.key',
  sslproxyverify: 'tls.rejectUnauthorized (on by default here)',
  sslproxycheckpeername: 'tls.servername (the name is checked by default)',
  sslproxycheckpeercn: 'tls.servername (the name is checked by default)',
  sslproxyprotocol: 'tls.minVersion / tls.maxVersion',
  sslproxyciphersuite: 'tls.ciphers',
}

/**
 * The warning for a TLS directive toward the members, or `undefined` for another directive.
 *
 * @example
 * ```ts
 * tlsDirectiveWarning('proxy_ssl_trusted_certificate', 'proxy_ssl_trusted_certificate')
 * // 'proxy_ssl_trusted_certificate is not imported: set tls.ca to the file\'s content (docs/guide/transports-http.md#https-members)'
 * ```
 */
export function tlsDirectiveWarning(directive: string, name: string): string | undefined {
  const key = directive.toLowerCase()
  const ours = NGINX[key] ?? HTTPD[key]
  if (ours === undefined) {
    if (!key.startsWith('proxy_ssl_') && !key.startsWith('sslproxy')) return undefined
    return `${name} is not imported: see the tls option (docs/guide/transports-http.md#https-members)`
  }
  const file = /certificate|password|cacertificatefile/.test(key) ? ' to the file\'s content' : ''
  return `${name} is not imported: set ${ours}${file} (docs/guide/transports-http.md#https-members)`
}
