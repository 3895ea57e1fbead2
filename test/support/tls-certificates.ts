/**
 * Certificates made for a test with openssl in a temporary folder: a CA, a server certificate for
 * `localhost` and `127.0.0.1` issued by it, a client certificate issued by it, and a second,
 * unrelated CA with a client certificate of its own (trusted by no one).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCertificates {
  readonly dir: string
  /** PEM files, by name: ca.pem, server.pem, server.key, client.pem, client.key, other-ca.pem, other-client.pem, other-client.key */
  path(name: string): string
  /** A PEM file's content. */
  read(name: string): Buffer
  /** Removes the folder. */
  remove(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

function makeCa(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
}

function issue(dir: string, ca: string, name: string, subject: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject])
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`])
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'))
  makeCa(dir, 'ca', '/CN=sticky-balancer test CA')
  issue(dir, 'ca', 'server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n')
  issue(dir, 'ca', 'client', '/O=sticky-balancer/CN=balancer client', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')
  makeCa(dir, 'other-ca', '/CN=unrelated test CA')
  issue(dir, 'other-ca', 'other-client', '/CN=stranger', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n')
  return {
    dir,
    path: (name) => join(dir, name),
    read: (name) => readFileSync(join(dir, name)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
