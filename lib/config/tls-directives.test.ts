import { describe, expect, it } from 'vitest'
import { fromHttpdConfig } from './httpd.js'
import { fromNginxConfig } from './nginx.js'
import { tlsDirectiveWarning } from './tls-directives.js'

describe('TLS directives toward the members', () => {
  it.each([
    ['proxy_ssl_trusted_certificate', 'proxy_ssl_trusted_certificate is not imported: set tls.ca to the file\'s content (docs/guide/transports-http.md#https-members)'],
    ['proxy_ssl_certificate_key', 'proxy_ssl_certificate_key is not imported: set tls.key to the file\'s content (docs/guide/transports-http.md#https-members)'],
    ['proxy_ssl_verify', 'proxy_ssl_verify is not imported: set tls.rejectUnauthorized (on by default here, off in nginx) (docs/guide/transports-http.md#https-members)'],
    ['proxy_ssl_session_reuse', 'proxy_ssl_session_reuse is not imported: see the tls option (docs/guide/transports-http.md#https-members)'],
    ['SSLProxyCACertificateFile', 'SSLProxyCACertificateFile is not imported: set tls.ca to the file\'s content (docs/guide/transports-http.md#https-members)'],
    ['SSLProxyEngine', 'SSLProxyEngine is not imported: see the tls option (docs/guide/transports-http.md#https-members)'],
  ])('%s', (directive, expected) => {
    expect(tlsDirectiveWarning(directive, directive)).toBe(expected)
  })

  it('leaves other directives alone', () => {
    expect(tlsDirectiveWarning('proxy_cache', 'proxy_cache')).toBeUndefined()
    expect(tlsDirectiveWarning('SSLCertificateFile', 'SSLCertificateFile')).toBeUndefined()
  })

  it('the importers warn with it', () => {
    const nginx = fromNginxConfig('upstream u { server a:8443; }\nserver { location / { proxy_pass https://u; proxy_ssl_trusted_certificate /etc/ca.pem; proxy_ssl_verify on; } }')
    expect(nginx.warnings).toEqual(expect.arrayContaining([
      'nginx.conf:2: proxy_ssl_trusted_certificate is not imported: set tls.ca to the file\'s content (docs/guide/transports-http.md#https-members)',
      expect.stringMatching(/^nginx\.conf:2: proxy_ssl_verify is not imported: set tls\.rejectUnauthorized/),
    ]))
    const httpd = fromHttpdConfig('SSLProxyEngine on\nSSLProxyCACertificateFile /etc/ca.pem\n<Proxy balancer://b>\nBalancerMember https://a:8443 route=a\n</Proxy>\nProxyPass /app balancer://b\n')
    expect(httpd.warnings).toEqual(expect.arrayContaining([
      'httpd.conf:1: SSLProxyEngine is not imported: see the tls option (docs/guide/transports-http.md#https-members)',
      'httpd.conf:2: SSLProxyCACertificateFile is not imported: set tls.ca to the file\'s content (docs/guide/transports-http.md#https-members)',
    ]))
  })
})
