import { describe, expect, it } from 'vitest'
import { isExcluded } from './exclude.js'
import { isPathRefusal, requestTarget } from './request-target.js'

/** Whether the request target `url` (relative to the mount) is excluded, as the balancer decides it. */
function excluded(url: string, exclude: (string | RegExp)[]): boolean {
  const target = requestTarget('/testapp', url)
  return !isPathRefusal(target) && isExcluded(target.mapped, exclude)
}

describe('isExcluded', () => {
  it.each<[url: string, exclude: (string | RegExp)[], expected: boolean]>([
    // nothing excluded
    ['/skip', [], false],
    // a string excludes the path and everything below it
    ['/skip', ['/skip'], true],
    ['/skip/', ['/skip'], true],
    ['/skip/a/b', ['/skip'], true],
    ['/skip?x=1', ['/skip'], true],
    ['/skip/a?x=/y', ['/skip'], true],
    ['/skipper', ['/skip'], false],
    ['/skip.html', ['/skip'], false],
    ['/other/skip', ['/skip'], false],
    ['/', ['/skip'], false],
    ['/SKIP', ['/skip'], false],
    ['/x?next=/skip', ['/skip'], false],
    // an entry ending in / needs the slash
    ['/skip/a', ['/skip/'], true],
    ['/skip/', ['/skip/'], true],
    ['/skip', ['/skip/'], false],
    // the root excludes everything
    ['/', ['/'], true],
    ['/a/b?c', ['/'], true],
    // nested entries
    ['/a/b/c', ['/a/b'], true],
    ['/a/bc', ['/a/b'], false],
    // several entries: any match
    ['/static/x.css', ['/skip', '/static'], true],
    ['/api', ['/skip', '/static'], false],
    // RegExps see the path without the query
    ['/a/b.jsp', [/\.jsp$/], true],
    ['/a/b.jsp?x=1', [/\.jsp$/], true],
    ['/a/b.jspx', [/\.jsp$/], false],
    ['/a?x=1', [/\?/], false],
    ['/a?x=1', [/x=1/], false],
    ['/Static/x', [/^\/static\//i], true],
    ['/b', ['/a', /^\/b$/], true],
  ])('%s with %s → %s', (url, exclude, expected) => {
    expect(excluded(url, exclude)).toBe(expected)
  })

  // Regression: `entry.test(path)` on a RegExp with the g or y flag is stateful (lastIndex), so the
  // same excluded path alternates between excluded and forwarded from one request to the next.
  it.each([/^\/static\//g, /^\/static\//y])('a RegExp with flags %s excludes the same path every time', (rx) => {
    const results = [1, 2, 3, 4].map(() => excluded('/static/app.css', [rx]))
    expect(results).toEqual([true, true, true, true])
  })

  // Regression: matching is done on the raw request target, but Tomcat decodes %xx, drops
  // ;path-params, and resolves dot segments before mapping, so `exclude: ['/manager']` (httpd's
  // `ProxyPass /manager !`, matched there against the decoded, normalised r->uri) is bypassed and
  // the request reaches Tomcat's /manager.
  it.each([
    '/%6Danager/html',
    '/manager;jsessionid=x/html',
    '/manager;x',
    '/x/../manager/html',
    '/./manager/html',
    '//manager/html',
    '/x/..;/manager',
    '/x/..;x=1/manager/html',
    '/x/%2e%2e;p/manager',
    '/.;x/manager',
    '/;x/manager',
    '/x/.%2e/%6d%61nager/',
    '/manager/',
    '/manager;jsessionid=A.TomcatA',
  ])('a path Tomcat maps to an excluded prefix is excluded too: %s', (url) => {
    expect(excluded(url, ['/manager'])).toBe(true)
  })

  // An encoded slash used to be read as a separator here (as a Tomcat with
  // encodedSolidusHandling="decode" would); such a path is now refused with 400 before exclusions
  // are looked at (request-target.ts), so it is neither excluded nor forwarded.
  it.each(['/x/..%2fmanager/html', '/x/%2e%2e%2fmanager', '/%2fmanager/html', '/%2e%2e%2F%2e%2e%2fmanager', '/x/..%5cmanager'])(
    'a path with an encoded separator is refused, never matched: %s',
    (url) => {
      expect(isPathRefusal(requestTarget('/testapp', url))).toBe(true)
    },
  )
})
