/**
 * TLS settings for `https://` members (the `tls` option of the balancer and of each member): what
 * the balancer trusts, which client certificate it shows, which name it sends and checks. They
 * apply to every connection to the member: requests on each HTTP transport, active health probes
 * and upgraded connections (WebSocket over `wss`).
 *
 * The names are those of Node's `tls.connect`; their peers in nginx and httpd:
 *
 * | option | nginx | httpd (mod_ssl) |
 * |---|---|---|
 * | `ca` | `proxy_ssl_trusted_certificate` | `SSLProxyCACertificateFile` |
 * | `cert`, `key`, `passphrase` | `proxy_ssl_certificate`, `_key`, `_password_file` | `SSLProxyMachineCertificateFile` |
 * | `pfx` | none | none (PEM only) |
 * | `servername` | `proxy_ssl_name` + `proxy_ssl_server_name on` | `ProxyPreserveHost` decides the SNI |
 * | `rejectUnauthorized` | `proxy_ssl_verify` (off by default there) | `SSLProxyVerify require` + `SSLProxyCheckPeerName` |
 * | `minVersion`, `maxVersion` | `proxy_ssl_protocols` | `SSLProxyProtocol` |
 * | `ciphers` | `proxy_ssl_ciphers` | `SSLProxyCipherSuite` |
 *
 * @module
 */
import { isIP } from 'node:net'
import { createSecureContext } from 'node:tls'
import type { ConnectionOptions } from 'node:tls'
import { bool, fail, isPlainObject, keysOf, knownKeys, mustBe, oneOf } from '../validate.js'

/**
 * PEM text, a Buffer of it, or a list of them (several CAs, a certificate chain).
 *
 * @example
 * ```ts
 * const ca: PemInput = [readFileSync('root-ca.pem'), readFileSync('intermediate-ca.pem')]
 * ```
 */
export type PemInput = string | Buffer | readonly (string | Buffer)[]

/**
 * A TLS protocol version Node can be limited to.
 *
 * @example
 * ```ts
 * const only13: TlsOptions = { minVersion: 'TLSv1.3' satisfies TlsVersion }
 * ```
 */
export type TlsVersion = 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1' | 'TLSv1'

/**
 * How the balancer connects to `https://` members. Give it balancer-wide (`tls`) and per member
 * (`members[i].tls`); a member's own settings win, one by one.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * createBalancer({
 *   members: [{ url: 'https://tomcat-a.internal:8443', route: 'TomcatA' }, { url: 'https://10.0.0.12:8443', route: 'TomcatB', tls: { servername: 'tomcat-b.internal' } }],
 *   tls: {
 *     ca: readFileSync('/etc/sticky-balancer/tomcat-ca.pem'),        // trust only this CA
 *     cert: readFileSync('/etc/sticky-balancer/balancer.pem'),        // client certificate (mTLS)
 *     key: readFileSync('/etc/sticky-balancer/balancer.key'),
 *   },
 * })
 * ```
 */
export interface TlsOptions {
  /**
   * The CA certificates the member's certificate must be issued by (PEM). Replaces Node's list of
   * public CAs. Default: Node's public CAs (plus `NODE_EXTRA_CA_CERTS`).
   */
  ca?: PemInput
  /** The balancer's client certificate (PEM, the chain may follow it), for a connector that requires one. Needs `key`. Default: none. */
  cert?: PemInput
  /** The private key of `cert` (PEM). Never logged. Default: none. */
  key?: PemInput
  /** Client certificate and key as one PKCS#12 file (instead of `cert` and `key`). Default: none. */
  pfx?: string | Buffer
  /** Passphrase of an encrypted `key` or of `pfx`. Default: none. */
  passphrase?: string
  /**
   * The name sent as SNI and checked against the member's certificate; `false` sends no SNI (the
   * certificate is then checked against the URL's host). Default: the member URL's host when it is
   * a name; none (the certificate must name the IP address) when it is an IP address.
   */
  servername?: string | false
  /**
   * Refuse a member whose certificate is not issued by a trusted CA or does not name it. `false`
   * turns every check off: anyone on the path can read and change the traffic. Default: true.
   */
  rejectUnauthorized?: boolean
  /** Lowest TLS version offered. Default: Node's (`TLSv1.2`). */
  minVersion?: TlsVersion
  /** Highest TLS version offered. Default: Node's (`TLSv1.3`). */
  maxVersion?: TlsVersion
  /** OpenSSL cipher list for TLS 1.2 and below (e.g. `'ECDHE-RSA-AES128-GCM-SHA256'`). Default: Node's. */
  ciphers?: string
}

/** The keys of {@link TlsOptions}; a key added to the interface and not here fails to compile. */
const KNOWN = keysOf({
  ca: true, cert: true, key: true, pfx: true, passphrase: true, servername: true, rejectUnauthorized: true, minVersion: true, maxVersion: true, ciphers: true,
} satisfies Record<keyof TlsOptions, true>)
const VERSIONS: readonly TlsVersion[] = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1']
const VERSION_RANK: Record<TlsVersion, number> = { TLSv1: 0, 'TLSv1.1': 1, 'TLSv1.2': 2, 'TLSv1.3': 3 }
/** A DNS name as SNI carries it (RFC 6066 §3: a host name, no trailing dot, no IP literal). */
const SERVERNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/

function isPem(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('-----BEGIN ')
  return Buffer.isBuffer(value) && value.includes('-----BEGIN ')
}

/** ca, cert, key: PEM text or Buffer, or a non-empty list of them. The value itself is never quoted. */
function checkPem(name: string, value: unknown): void {
  const what = `${name} must be a string or Buffer (PEM), or an array of them`
  const items = Array.isArray(value) ? value : [value]
  if (items.length === 0) fail(`${what}, got an empty array`)
  for (const item of items) {
    if (typeof item !== 'string' && !Buffer.isBuffer(item)) fail(`${what}, got ${item === null ? 'null' : typeof item}`)
    if (!isPem(item)) {
      fail(`${what}: the value holds no "-----BEGIN" line (give the file's content, e.g. readFileSync(path), not its path)`)
    }
  }
}

/**
 * Validates one `tls` object (`name` is how messages call it: `tls`, `members[1].tls`) and returns
 * it frozen, with only the keys that were set. Key material never appears in a message.
 *
 * @example
 * ```ts
 * validateTlsOptions({ rejectUnauthorized: 'no' }, 'members[1].tls')
 * // InvalidOptionError: members[1].tls.rejectUnauthorized must be true or false, got "no"
 * ```
 */
export function validateTlsOptions(raw: unknown, name: string): Readonly<TlsOptions> {
  if (!isPlainObject(raw)) fail(`${name} must be an object like { ca, cert, key, servername, rejectUnauthorized }`)
  const given = raw
  knownKeys(given, KNOWN, name)
  const out: Record<string, unknown> = {}
  for (const key of KNOWN) {
    const value = given[key]
    if (value === undefined) continue
    switch (key) {
      case 'ca':
      case 'cert':
      case 'key':
        checkPem(`${name}.${key}`, value)
        break
      case 'pfx':
        if (typeof value !== 'string' && !Buffer.isBuffer(value)) fail(`${name}.pfx must be a Buffer (PKCS#12) or a string, got ${typeof value}`)
        if (value.length === 0) fail(`${name}.pfx must not be empty`)
        break
      case 'passphrase':
        if (typeof value !== 'string') fail(`${name}.passphrase must be a string, got ${typeof value}`)
        break
      case 'servername':
        if (value === false) break
        if (typeof value !== 'string' || !SERVERNAME.test(value)) mustBe(`${name}.servername`, 'a host name (letters, digits, - and .) or false', value)
        if (isIP(value) !== 0 || /^[\d.]+$/.test(value)) mustBe(`${name}.servername`, "a host name, not an IP address (SNI cannot carry one; leave it unset to check the certificate against the URL's address)", value)
        break
      case 'rejectUnauthorized':
        bool(`${name}.rejectUnauthorized`, value, true)
        break
      case 'minVersion':
      case 'maxVersion':
        oneOf(`${name}.${key}`, value, VERSIONS)
        break
      case 'ciphers':
        if (typeof value !== 'string' || value.trim() === '') mustBe(`${name}.ciphers`, 'an OpenSSL cipher list', value)
        break
    }
    out[key] = Array.isArray(value) ? Object.freeze([...value]) : value
  }
  return Object.freeze(out) as Readonly<TlsOptions>
}

/**
 * The settings one member connects with: the balancer's `tls`, each overridden by the member's own,
 * checked as a whole (a certificate with its key, versions in order) and loaded once into a TLS
 * context, so that a wrong file, key or passphrase fails at construction rather than on the first
 * request. `undefined` when neither sets anything.
 *
 * @example
 * ```ts
 * mergeTlsOptions({ ca: caPem, rejectUnauthorized: true }, { servername: 'tomcat-b.internal' }, 'members[1].tls')
 * // { ca: caPem, rejectUnauthorized: true, servername: 'tomcat-b.internal' }
 * ```
 */
export function mergeTlsOptions(balancer: Readonly<TlsOptions> | undefined, member: Readonly<TlsOptions> | undefined, name: string): Readonly<TlsOptions> | undefined {
  if (balancer === undefined && member === undefined) return undefined
  const merged: TlsOptions = { ...balancer, ...member }
  if (Object.keys(merged).length === 0) return undefined
  if (merged.cert !== undefined && merged.key === undefined) fail(`${name}.cert needs ${name}.key (the certificate's private key)`)
  if (merged.key !== undefined && merged.cert === undefined) fail(`${name}.key needs ${name}.cert (the client certificate)`)
  if (merged.pfx !== undefined && merged.cert !== undefined) fail(`${name}: give either pfx or cert and key, not both`)
  if (merged.minVersion && merged.maxVersion && VERSION_RANK[merged.minVersion] > VERSION_RANK[merged.maxVersion]) {
    fail(`${name}.minVersion (${merged.minVersion}) is above ${name}.maxVersion (${merged.maxVersion})`)
  }
  try {
    const { servername: _s, rejectUnauthorized: _r, ...context } = merged
    createSecureContext(context as ConnectionOptions)
  } catch (err) {
    // OpenSSL's reason ("bad decrypt", "key values mismatch", "no start line") names no secret.
    const reason = err instanceof Error ? err.message : String(err)
    fail(`${name}: the certificates, key or passphrase could not be loaded (${reason})`)
  }
  return Object.freeze(merged)
}

/**
 * The `tls.connect` options for one connection to `target` (the member's URL or `upgradeUrl`):
 * the settings as given, `rejectUnauthorized` true unless turned off, and the SNI name fixed here
 * (from `servername`, else the URL's host when it is a name) so that no `Host` header ever
 * becomes the name sent or checked (`preserveHost` sends the client's). `servername: ''` means
 * no SNI; the certificate is then checked against the URL's address.
 *
 * @example
 * ```ts
 * tlsConnectOptions({ ca: caPem }, new URL('https://tomcat-a.internal:8443'))  // { ca, rejectUnauthorized: true, servername: 'tomcat-a.internal' }
 * tlsConnectOptions(undefined, new URL('https://127.0.0.1:8443'))              // { rejectUnauthorized: true, servername: '' }
 * ```
 */
export function tlsConnectOptions(tls: Readonly<TlsOptions> | undefined, target: URL): ConnectionOptions {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
  const { servername, rejectUnauthorized, ...rest } = tls ?? {}
  return {
    ...(rest as ConnectionOptions),
    rejectUnauthorized: rejectUnauthorized ?? true,
    servername: servername === false ? '' : servername ?? (isIP(host) !== 0 ? '' : host),
  }
}
