/**
 * The CLI's site listener over TLS (`--tls-cert <file> --tls-key <file>`): node:https, HTTP/1.1
 * (WebSocket upgrades go through as over http), TLS 1.2 or later with Node's default ciphers. The
 * certificate and key are PEM files, read at start and again by {@link reloadTlsContext} (SIGHUP);
 * a pair that cannot be used is reported and the one in use kept. A key with a passphrase is not
 * supported.
 *
 * The balancer sees an encrypted client socket, so Tomcat is told the request came over https:
 * `X-Forwarded-Proto: https` (or `Forwarded: proto=https`) to HTTP members, `is_ssl` to AJP members.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { createSecureContext } from 'node:tls'
import type { SecureContextOptions } from 'node:tls'

/** The PEM files of `--tls-cert` and `--tls-key`. */
export interface TlsFiles {
  readonly cert: string
  readonly key: string
}

/** The oldest protocol version the listener accepts. */
export const TLS_MIN_VERSION = 'TLSv1.2'

/** Why a certificate and key cannot be used, in words an operator can act on. */
function reasonOf(err: unknown, files: TlsFiles): string {
  const e = err as NodeJS.ErrnoException & { reason?: string }
  const code = String(e.code ?? '')
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || /key values mismatch/i.test(e.message)) {
    return `the key ${files.key} is not the key of the certificate ${files.cert}`
  }
  if (/NO_START_LINE|no start line/i.test(code + e.message)) return `${files.cert} or ${files.key} is not a PEM certificate or key (${e.message})`
  return `${files.cert} and ${files.key} cannot be used: ${e.message}`
}

/**
 * Reads and checks a certificate and its key: the files are readable PEM, the key is not encrypted
 * and is the certificate's.
 *
 * @throws Error with a message naming the file and what is wrong (never the key's content).
 *
 * @example
 * ```ts
 * const context = readTlsFiles({ cert: '/etc/sticky-balancer/site.pem', key: '/etc/sticky-balancer/site.key' })
 * https.createServer({ ...context, minVersion: TLS_MIN_VERSION }, listener)
 * ```
 */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (err) {
      throw new Error(`${flag} ${file}: ${(err as Error).message}`, { cause: err })
    }
  }
  const cert = read('--tls-cert', files.cert)
  const key = read('--tls-key', files.key)
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(key.toString('latin1'))) {
    throw new Error(`--tls-key ${files.key}: the key is protected by a passphrase, which is not supported: write it out unencrypted (openssl pkey -in <key> -out <new key>) and keep that file readable only by the service's user`)
  }
  const context = { cert, key, minVersion: TLS_MIN_VERSION } as const
  try {
    createSecureContext(context)
  } catch (err) {
    throw new Error(reasonOf(err, files), { cause: err })
  }
  return context
}

/** The running TLS listener and its files, for {@link reloadTlsContext}. */
let current: { server: https.Server; files: TlsFiles } | undefined

/**
 * The site listener: node:https with the checked certificate when `files` are given, node:http
 * otherwise.
 *
 * @throws Error as {@link readTlsFiles} does.
 *
 * @example
 * ```ts
 * const server = createSiteServer(listener, tls)   // tls: TlsFiles | undefined
 * server.listen(8443, '127.0.0.1')
 * ```
 */
export function createSiteServer(listener: http.RequestListener, files: TlsFiles | undefined): http.Server | https.Server {
  if (!files) return http.createServer(listener)
  const server = https.createServer({ ...readTlsFiles(files), ALPNProtocols: ['http/1.1'] }, listener)
  current = { server, files }
  return server
}

/**
 * SIGHUP: reads the certificate and key files again and serves them to new connections; open
 * connections keep theirs. A pair that cannot be used is reported on stderr and the one in use kept.
 * Does nothing without `--tls-cert`.
 *
 * @example
 * ```ts
 * process.on('SIGHUP', () => { reloadTlsContext(); reloadConfiguration() })
 * ```
 */
export function reloadTlsContext(): void {
  if (!current) return
  try {
    current.server.setSecureContext(readTlsFiles(current.files))
    process.stderr.write(`sticky-balancer: SIGHUP: read the certificate ${current.files.cert} again\n`)
  } catch (err) {
    process.stderr.write(`sticky-balancer: SIGHUP: ${(err as Error).message}; keeping the certificate in use\n`)
  }
}
