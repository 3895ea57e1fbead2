import { describe, expect, it } from 'vitest'
import { mapPathPrefix, rewriteCookiePath, rewriteLocation, rewriteResponseHeaders } from './reverse-rewrite.js'
import type { ReverseMapping } from './reverse-rewrite.js'
import type { ResponseHeaders } from '../transports/transport.js'

const ORIGINS = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082', 'http://tomcat-a:8083']
const PUBLIC = 'https://shop.example'

function mapping(upstreamPrefix: string, mountPath: string): ReverseMapping {
  return { memberOrigins: ORIGINS, upstreamPrefix, publicOrigin: PUBLIC, mountPath }
}

/** The Path attribute of a Set-Cookie value as a user agent reads it (RFC 6265 §5.2: names and values trimmed). */
function cookiePathOf(setCookie: string): string | undefined {
  let path: string | undefined
  for (const part of setCookie.split(';').slice(1)) {
    const eq = part.indexOf('=')
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase()
    if (name === 'path') path = eq === -1 ? '' : part.slice(eq + 1).trim()
  }
  return path
}

describe('mapPathPrefix', () => {
  it.each<[path: string, from: string, to: string, expected: string]>([
    ['/testapp/x', '/testapp', '/app', '/app/x'],
    ['/testapp', '/testapp', '/app', '/app'],
    ['/testapp/', '/testapp', '/app', '/app/'],
    ['/testapp?x=1', '/testapp', '/app', '/app?x=1'],
    ['/testapp;jsessionid=A.n1', '/testapp', '/app', '/app;jsessionid=A.n1'],
    ['/testapp#top', '/testapp', '/app', '/app#top'],
    ['/testapp/a/b?c=d', '/testapp', '/app', '/app/a/b?c=d'],
    // other paths untouched
    ['/testapp2/x', '/testapp', '/app', '/testapp2/x'],
    ['/testappx', '/testapp', '/app', '/testappx'],
    ['/other/x', '/testapp', '/app', '/other/x'],
    ['/TestApp/x', '/testapp', '/app', '/TestApp/x'],
    ['/', '/testapp', '/app', '/'],
    // upstream at the root ('' → '/app')
    ['/x', '', '/app', '/app/x'],
    ['/', '', '/app', '/app/'],
    ['/x?y=1', '', '/app', '/app/x?y=1'],
    // mount at the root ('/testapp' → '')
    ['/testapp/x', '/testapp', '', '/x'],
    ['/testapp', '/testapp', '', '/'],
    ['/testapp/', '/testapp', '', '/'],
    ['/testapp?x=1', '/testapp', '', '/?x=1'],
    ['/testapp;jsessionid=A.n1', '/testapp', '', '/;jsessionid=A.n1'],
    ['/other', '/testapp', '', '/other'],
    // same prefix on both sides
    ['/app/x', '/app', '/app', '/app/x'],
    ['/x', '', '', '/x'],
    // nested prefixes
    ['/a/b/c', '/a/b', '/z', '/z/c'],
    ['/a/bc', '/a/b', '/z', '/a/bc'],
  ])('%s from %j to %j → %s', (path, from, to, expected) => {
    expect(mapPathPrefix(path, from, to)).toBe(expected)
  })
})

describe('rewriteLocation', () => {
  it.each<[what: string, value: string, upstream: string, mount: string, expected: string]>([
    // absolute URLs that point at a member
    ['absolute to member A', 'http://127.0.0.1:8081/testapp/login', '/testapp', '/app', `${PUBLIC}/app/login`],
    ['absolute to member B, query preserved', 'http://127.0.0.1:8082/testapp/a?b=1&c=%2F', '/testapp', '/app', `${PUBLIC}/app/a?b=1&c=%2F`],
    ['fragment preserved', 'http://127.0.0.1:8081/testapp/a?b=1#frag', '/testapp', '/app', `${PUBLIC}/app/a?b=1#frag`],
    ['scheme in upper case', 'HTTP://127.0.0.1:8081/testapp/x', '/testapp', '/app', `${PUBLIC}/app/x`],
    ['host in mixed case', 'http://Tomcat-A:8083/testapp/x', '/testapp', '/app', `${PUBLIC}/app/x`],
    ['scheme and host in upper case', 'HTTP://TOMCAT-A:8083/testapp/x', '/testapp', '/app', `${PUBLIC}/app/x`],
    ['origin only', 'http://127.0.0.1:8081', '/testapp', '/app', `${PUBLIC}/`],
    ['origin and query only', 'http://127.0.0.1:8081?x=1', '/testapp', '/app', `${PUBLIC}/?x=1`],
    ['the upstream prefix itself', 'http://127.0.0.1:8081/testapp', '/testapp', '/app', `${PUBLIC}/app`],
    ['jsessionid path parameter kept', 'http://127.0.0.1:8081/testapp/cart;jsessionid=ABC.A', '/testapp', '/app', `${PUBLIC}/app/cart;jsessionid=ABC.A`],
    // relative paths
    ['absolute path', '/testapp/home', '/testapp', '/app', '/app/home'],
    ['absolute path with query', '/testapp/home?x=1&y', '/testapp', '/app', '/app/home?x=1&y'],
    ['absolute path outside the prefix', '/other/home', '/testapp', '/app', '/other/home'],
    ['relative path', 'home?x=1', '/testapp', '/app', 'home?x=1'],
    ['dot-relative path', '../up', '/testapp', '/app', '../up'],
    ['query only', '?page=2', '/testapp', '/app', '?page=2'],
    // other hosts untouched
    ['another host', 'http://elsewhere.example/testapp/x', '/testapp', '/app', 'http://elsewhere.example/testapp/x'],
    ['member host, another port', 'http://127.0.0.1:9999/testapp/x', '/testapp', '/app', 'http://127.0.0.1:9999/testapp/x'],
    ['member origin as a prefix of a longer port', 'http://127.0.0.1:80812/testapp/x', '/testapp', '/app', 'http://127.0.0.1:80812/testapp/x'],
    ['member origin as a prefix of a longer host', 'http://127.0.0.1:8081.evil.example/testapp/x', '/testapp', '/app', 'http://127.0.0.1:8081.evil.example/testapp/x'],
    ['member origin in userinfo position', 'http://127.0.0.1:8081@evil.example/x', '/testapp', '/app', 'http://127.0.0.1:8081@evil.example/x'],
    ['member, other scheme', 'https://127.0.0.1:8081/testapp/x', '/testapp', '/app', 'https://127.0.0.1:8081/testapp/x'],
    ['protocol-relative to another host', '//elsewhere.example/x', '/testapp', '/app', '//elsewhere.example/x'],
    // mount '' vs '/app', upstream '' vs '/testapp'
    ['mount root, upstream /testapp: absolute', 'http://127.0.0.1:8081/testapp/x?y=1', '/testapp', '', `${PUBLIC}/x?y=1`],
    ['mount root, upstream /testapp: path', '/testapp/x?y=1', '/testapp', '', '/x?y=1'],
    ['mount root, upstream /testapp: the prefix itself', '/testapp', '/testapp', '', '/'],
    ['mount /app, upstream root: absolute', 'http://127.0.0.1:8081/x?y=1', '', '/app', `${PUBLIC}/app/x?y=1`],
    ['mount /app, upstream root: path', '/x?y=1', '', '/app', '/app/x?y=1'],
    ['mount /app, upstream root: origin only', 'http://127.0.0.1:8081', '', '/app', `${PUBLIC}/app/`],
    ['both root: absolute', 'http://127.0.0.1:8081/x?y=1', '', '', `${PUBLIC}/x?y=1`],
    ['both root: path', '/x?y=1', '', '', '/x?y=1'],
    ['both /app (public path forwarded): absolute', 'http://127.0.0.1:8081/app/x', '/app', '/app', `${PUBLIC}/app/x`],
    ['both /app: path', '/app/x', '/app', '/app', '/app/x'],
  ])('%s', (_what, value, upstream, mount, expected) => {
    expect(rewriteLocation(value, mapping(upstream, mount))).toBe(expected)
  })
})

describe('rewriteCookiePath', () => {
  const m = mapping('/testapp', '/app')
  it.each<[what: string, cookie: string, expected: string]>([
    ['Tomcat session cookie', 'JSESSIONID=8F3A.TomcatA; Path=/testapp; HttpOnly', 'JSESSIONID=8F3A.TomcatA; Path=/app; HttpOnly'],
    ['trailing slash', 'JSESSIONID=8F3A.TomcatA; Path=/testapp/; Secure; HttpOnly; SameSite=Lax', 'JSESSIONID=8F3A.TomcatA; Path=/app/; Secure; HttpOnly; SameSite=Lax'],
    ['sub-path, no spaces, lower case', 'a=1;path=/testapp/sub;secure', 'a=1;path=/app/sub;secure'],
    ['upper-case attribute, odd spacing', 'a=1;   PATH=/testapp  ;  Max-Age=60', 'a=1;   PATH=/app;  Max-Age=60'],
    ['space after =', 'a=1; Path= /testapp/x', 'a=1; Path=/app/x'],
    ['tab before the attribute', 'a=1;\tPath=/testapp', 'a=1;\tPath=/app'],
    ['Path last', 'a=1; Domain=shop.example; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/testapp', 'a=1; Domain=shop.example; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/app'],
    ['Path first of many', 'a=1; Path=/testapp; Max-Age=0; Secure; HttpOnly; SameSite=Strict; Partitioned', 'a=1; Path=/app; Max-Age=0; Secure; HttpOnly; SameSite=Strict; Partitioned'],
    ['a cookie named "path" is not the attribute', 'path=/testapp; Path=/testapp', 'path=/testapp; Path=/app'],
    ['value containing "Path=" is not the attribute', 'a=Path=/testapp; Path=/testapp', 'a=Path=/testapp; Path=/app'],
    ['attribute whose name ends in path', 'a=1; xpath=/testapp; Path=/testapp', 'a=1; xpath=/testapp; Path=/app'],
    ['path outside the prefix', 'a=1; Path=/other', 'a=1; Path=/other'],
    ['longer name sharing the prefix', 'a=1; Path=/testapp2', 'a=1; Path=/testapp2'],
    ['root path', 'a=1; Path=/', 'a=1; Path=/'],
    ['no Path attribute', 'a=1; HttpOnly', 'a=1; HttpOnly'],
    ['bare cookie', 'a=1', 'a=1'],
    ['empty Path', 'a=1; Path=', 'a=1; Path='],
  ])('%s', (_what, cookie, expected) => {
    expect(rewriteCookiePath(cookie, m)).toBe(expected)
    expect(cookiePathOf(rewriteCookiePath(cookie, m))).toBe(cookiePathOf(expected))
  })

  it.each<[what: string, upstream: string, mount: string, cookie: string, expected: string]>([
    ['mount root: prefix becomes /', '/testapp', '', 'a=1; Path=/testapp; HttpOnly', 'a=1; Path=/; HttpOnly'],
    ['mount root: sub-path', '/testapp', '', 'a=1; Path=/testapp/x', 'a=1; Path=/x'],
    ['upstream root: mount prepended', '', '/app', 'a=1; Path=/', 'a=1; Path=/app/'],
    ['upstream root: sub-path', '', '/app', 'a=1; Path=/x; Secure', 'a=1; Path=/app/x; Secure'],
    ['same prefix: unchanged', '/app', '/app', 'a=1;  Path=/app ; Secure', 'a=1;  Path=/app ; Secure'],
  ])('%s', (_what, upstream, mount, cookie, expected) => {
    expect(rewriteCookiePath(cookie, mapping(upstream, mount))).toBe(expected)
  })

  // Regression: RFC 6265 §5.2 trims the attribute name, so `Path = /testapp` is a Path attribute to
  // every browser, but rewriteCookiePath only matches `path=` after leading spaces and leaves it
  // unmapped: the cookie stays on /testapp and is never sent back under /app.
  it.each([
    'a=1; Path =/testapp',
    'a=1; Path = /testapp/x; HttpOnly',
    'a=1;path\t=/testapp',
  ])('whitespace before "=" still names the Path attribute: %j', (cookie) => {
    const out = cookiePathOf(rewriteCookiePath(cookie, m))
    expect(out?.startsWith('/app')).toBe(true)
  })
})

describe('rewriteResponseHeaders', () => {
  it('rewrites Location, Content-Location and every Set-Cookie Path, and nothing else', () => {
    const headers: ResponseHeaders = {
      location: 'http://127.0.0.1:8081/testapp/next?x=1',
      'content-location': '/testapp/doc',
      'set-cookie': ['JSESSIONID=A.n1; Path=/testapp; HttpOnly', 'b=2; Path=/other', 'c=3'],
      link: '</testapp/style.css>; rel=preload',
      'content-type': 'text/html',
    }
    rewriteResponseHeaders(headers, mapping('/testapp', '/app'))
    expect(headers).toEqual({
      location: `${PUBLIC}/app/next?x=1`,
      'content-location': '/app/doc',
      'set-cookie': ['JSESSIONID=A.n1; Path=/app; HttpOnly', 'b=2; Path=/other', 'c=3'],
      link: '</testapp/style.css>; rel=preload',
      'content-type': 'text/html',
    })
  })

  it('accepts a single Set-Cookie string', () => {
    const headers: ResponseHeaders = { 'set-cookie': 'a=1; Path=/testapp/x' }
    rewriteResponseHeaders(headers, mapping('/testapp', ''))
    expect(headers['set-cookie']).toBe('a=1; Path=/x')
  })

  it('leaves cookies alone when the prefixes match, but still rewrites absolute Locations', () => {
    const headers: ResponseHeaders = { location: 'http://127.0.0.1:8082/app/x', 'set-cookie': ['a=1; Path=/app'] }
    rewriteResponseHeaders(headers, mapping('/app', '/app'))
    expect(headers).toEqual({ location: `${PUBLIC}/app/x`, 'set-cookie': ['a=1; Path=/app'] })
  })

  it('does nothing to a response without those headers', () => {
    const headers: ResponseHeaders = { 'content-length': '2' }
    rewriteResponseHeaders(headers, mapping('/testapp', '/app'))
    expect(headers).toEqual({ 'content-length': '2' })
  })
})
