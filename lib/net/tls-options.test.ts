import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { InvalidOptionError } from '../errors.js'
import { resolveBalancerOptions, memberTlsOptions, resolveMemberOptions } from '../options.js'
import { mergeTlsOptions, tlsConnectOptions, validateTlsOptions } from './tls-options.js'
import { parseJsonAdd } from '../admin/commands.js'

let dir: string
let cert: Buffer
let key: Buffer
let otherKey: Buffer
let encryptedKey: Buffer

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sb-tls-unit-'))
  const run = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' })
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'a.key', '-out', 'a.pem', '-days', '1', '-subj', '/CN=a'])
  run(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'b.key'])
  run(['pkey', '-in', 'a.key', '-aes256', '-passout', 'pass:right', '-out', 'a-encrypted.key'])
  cert = readFileSync(join(dir, 'a.pem'))
  key = readFileSync(join(dir, 'a.key'))
  otherKey = readFileSync(join(dir, 'b.key'))
  encryptedKey = readFileSync(join(dir, 'a-encrypted.key'))
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function message(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionError)
    return (err as Error).message
  }
  throw new Error('did not throw')
}

describe('validateTlsOptions', () => {
  it.each([
    [{ ca: 42 }, 'members[1].tls.ca must be a string or Buffer (PEM), or an array of them, got number'],
    [{ ca: [] }, 'members[1].tls.ca must be a string or Buffer (PEM), or an array of them, got an empty array'],
    [{ ca: '/etc/ssl/ca.pem' }, 'members[1].tls.ca must be a string or Buffer (PEM), or an array of them: the value holds no "-----BEGIN" line (give the file\'s content, e.g. readFileSync(path), not its path)'],
    [{ cert: [Buffer.from('not pem')] }, 'members[1].tls.cert must be a string or Buffer (PEM)'],
    [{ key: null }, 'members[1].tls.key must be a string or Buffer (PEM), or an array of them, got null'],
    [{ pfx: 1 }, 'members[1].tls.pfx must be a Buffer (PKCS#12) or a string, got number'],
    [{ passphrase: 1234 }, 'members[1].tls.passphrase must be a string, got number'],
    [{ servername: '' }, 'members[1].tls.servername must be a host name'],
    [{ servername: 'a b' }, 'members[1].tls.servername must be a host name'],
    [{ servername: 'evil.example\r\nX: y' }, 'members[1].tls.servername must be a host name'],
    [{ servername: '10.0.0.1' }, 'members[1].tls.servername must be a host name, not an IP address'],
    [{ servername: '::1' }, 'members[1].tls.servername must be a host name'],
    [{ servername: true }, 'members[1].tls.servername must be a host name (letters, digits, - and .) or false, got true'],
    [{ rejectUnauthorized: 'false' }, 'members[1].tls.rejectUnauthorized must be true or false, got "false"'],
    [{ rejectUnauthorized: 0 }, 'members[1].tls.rejectUnauthorized must be true or false, got 0'],
    [{ minVersion: 'TLSv1.4' }, `members[1].tls.minVersion must be 'TLSv1.3', 'TLSv1.2', 'TLSv1.1' or 'TLSv1', got "TLSv1.4"`],
    [{ maxVersion: 'tls1.2' }, `members[1].tls.maxVersion must be 'TLSv1.3', 'TLSv1.2', 'TLSv1.1' or 'TLSv1', got "tls1.2"`],
    [{ ciphers: ' ' }, 'members[1].tls.ciphers must be an OpenSSL cipher list'],
    [{ verify: false }, 'members[1].tls.verify is not a known option (known: ca, cert, key, pfx, passphrase, servername, rejectUnauthorized, minVersion, maxVersion, ciphers)'],
    [{ secureOptions: 0 }, 'members[1].tls.secureOptions is not a known option'],
  ])('%j → %s', (raw, expected) => {
    expect(message(() => validateTlsOptions(raw, 'members[1].tls'))).toContain(expected)
  })

  it.each([null, 'yes', [], 1])('refuses a non-object %j', (raw) => {
    expect(message(() => validateTlsOptions(raw, 'tls'))).toMatch(/^tls must be an object/)
  })

  it('never quotes key material in a message', () => {
    const secret = 'super-secret-key-material'
    expect(message(() => validateTlsOptions({ key: secret }, 'tls'))).not.toContain(secret)
    expect(message(() => validateTlsOptions({ ca: [cert, secret] }, 'tls'))).not.toContain(secret)
  })

  it('keeps only what was set, frozen; accepts strings, Buffers and lists', () => {
    const tls = validateTlsOptions({ ca: [cert, cert.toString()], servername: false, rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', passphrase: '' }, 'tls')
    expect(Object.keys(tls).sort()).toEqual(['ca', 'ciphers', 'minVersion', 'passphrase', 'rejectUnauthorized', 'servername'])
    expect(Object.isFrozen(tls)).toBe(true)
    expect(Object.isFrozen(tls.ca)).toBe(true)
  })
})

describe('mergeTlsOptions', () => {
  it('the member wins option by option', () => {
    expect(mergeTlsOptions({ ca: cert, rejectUnauthorized: true }, { rejectUnauthorized: false, servername: 'b.internal' }, 'x')).toEqual({ ca: cert, rejectUnauthorized: false, servername: 'b.internal' })
    expect(mergeTlsOptions(undefined, undefined, 'x')).toBeUndefined()
    expect(mergeTlsOptions({}, {}, 'x')).toBeUndefined()
  })

  it.each([
    [{ cert: 'CERT' }, undefined, 'members[0].tls.cert needs members[0].tls.key'],
    [undefined, { key: 'KEY' }, 'members[0].tls.key needs members[0].tls.cert'],
    [{ minVersion: 'TLSv1.3' }, { maxVersion: 'TLSv1.2' }, 'members[0].tls.minVersion (TLSv1.3) is above members[0].tls.maxVersion (TLSv1.2)'],
    [undefined, { ciphers: 'NO-SUCH-CIPHER' }, 'members[0].tls: the certificates, key or passphrase could not be loaded'],
  ])('refuses %j + %j', (balancer, member, expected) => {
    const fix = (o: Record<string, string> | undefined): Record<string, unknown> | undefined => o && Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === 'CERT' ? cert : v === 'KEY' ? key : v]))
    expect(message(() => mergeTlsOptions(fix(balancer), fix(member), 'members[0].tls'))).toContain(expected)
  })

  it('loads the key pair once: a key of another certificate, a wrong passphrase and pfx with cert fail at once, naming the option', () => {
    expect(message(() => mergeTlsOptions({ cert }, { key: otherKey }, 'members[2].tls'))).toMatch(/^members\[2\]\.tls: the certificates, key or passphrase could not be loaded \(.+\)$/)
    expect(message(() => mergeTlsOptions(undefined, { cert, key: encryptedKey, passphrase: 'wrong' }, 'tls'))).toMatch(/^tls: the certificates, key or passphrase could not be loaded/)
    expect(message(() => mergeTlsOptions(undefined, { cert, key: encryptedKey, passphrase: 'wrong' }, 'tls'))).not.toContain('wrong')
    expect(mergeTlsOptions(undefined, { cert, key: encryptedKey, passphrase: 'right' }, 'tls')).toBeDefined()
    expect(message(() => mergeTlsOptions({ pfx: Buffer.from('x') }, { cert, key }, 'tls'))).toBe('tls: give either pfx or cert and key, not both')
  })
})

describe('tlsConnectOptions', () => {
  it.each([
    [undefined, 'https://tomcat-a.internal:8443', { rejectUnauthorized: true, servername: 'tomcat-a.internal' }],
    [undefined, 'https://Tomcat-A.Internal.:8443', { rejectUnauthorized: true, servername: 'tomcat-a.internal' }],
    [undefined, 'https://127.0.0.1:8443', { rejectUnauthorized: true, servername: '' }],
    [undefined, 'https://[::1]:8443', { rejectUnauthorized: true, servername: '' }],
    [{ servername: 'tomcat-b.internal' }, 'https://10.0.0.2:8443', { rejectUnauthorized: true, servername: 'tomcat-b.internal' }],
    [{ servername: false }, 'https://tomcat-a.internal', { rejectUnauthorized: true, servername: '' }],
    [{ rejectUnauthorized: false, minVersion: 'TLSv1.3' }, 'https://localhost', { rejectUnauthorized: false, servername: 'localhost', minVersion: 'TLSv1.3' }],
  ] as const)('%j for %s', (tls, url, expected) => {
    expect(tlsConnectOptions(tls, new URL(url))).toEqual(expected)
  })
})

describe('the tls option in balancer options', () => {
  it('is validated once, naming the member, and only for https members', () => {
    expect(message(() => resolveBalancerOptions({ members: [{ url: 'http://127.0.0.1:8081', tls: { rejectUnauthorized: false } }] }))).toBe('members[0].tls is only for https:// members (its url or upgradeUrl)')
    expect(message(() => resolveBalancerOptions({ members: [{ url: 'ajp://127.0.0.1:8009', tls: {} }] }))).toBe('members[0].tls is only for https:// members (its url or upgradeUrl)')
    expect(message(() => resolveBalancerOptions({ members: [{ url: 'https://a:8443', route: 'a' }, { url: 'https://b:8443', route: 'b', tls: { ca: 'ca.pem' } }] }))).toMatch(/^members\[1\]\.tls\.ca must be a string or Buffer \(PEM\)/)
    expect(message(() => resolveBalancerOptions({ members: [{ url: 'https://a:8443' }], tls: { ca: 1 as unknown as string } }))).toMatch(/^tls\.ca must be/)
    expect(message(() => resolveBalancerOptions({ members: [{ url: 'https://a:8443' }], tls: { cert } }))).toBe('tls.cert needs tls.key (the certificate\'s private key)')
    expect(message(() => resolveBalancerOptions({ members: [{ url: 'https://a:8443', tls: { key } }], tls: { cert: Buffer.from(cert.toString().replace('MII', 'XXX')) } }))).toMatch(/^members\[0\]\.tls: the certificates, key or passphrase could not be loaded/)
  })

  it('an AJP member with an https upgradeUrl takes it; its merged settings apply there', () => {
    const options = resolveBalancerOptions({ members: [{ url: 'ajp://127.0.0.1:8009', upgradeUrl: 'https://localhost:8443', tls: { servername: 'ws.internal' } }], tls: { rejectUnauthorized: false } })
    expect(memberTlsOptions(options.members[0]!, options)).toEqual({ rejectUnauthorized: false, servername: 'ws.internal' })
    expect(memberTlsOptions(resolveMemberOptions('http://127.0.0.1:8081', 'm'), options)).toBeUndefined()
  })

  it('the admin API cannot give an added member TLS settings of its own', () => {
    expect(() => parseJsonAdd({ url: 'https://attacker.example:443', tls: { rejectUnauthorized: false } })).toThrow(/tls/)
  })
})
