import { describe, expect, it } from 'vitest'
import { isNormalisedPath, isPathRefusal, relativeTo, requestTarget, targetWithin } from './request-target.js'
import type { RequestTarget } from './request-target.js'

const OUTSIDE = 'LB_ERR_PATH_OUTSIDE_MOUNT'
const BAD = 'LB_ERR_BAD_REQUEST'

describe('requestTarget', () => {
  // [prefix, relative as sent, path to the member, path as Tomcat maps it below the mount]
  it.each<[prefix: string, relative: string, path: string, mapped: string]>([
    // the common case: as sent
    ['/testapp', '/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/echo.jsp?x=1&y=/../z', '/testapp/echo.jsp?x=1&y=/../z', '/echo.jsp'],
    ['/testapp', '/a/b/', '/testapp/a/b/', '/a/b/'],
    ['/testapp', '/', '/testapp/', '/'],
    ['/testapp', '', '/testapp', '/'],
    ['/testapp', '?x=1', '/testapp?x=1', '/'],
    ['', '/', '/', '/'],
    ['', '', '/', '/'],
    ['', '/x?y', '/x?y', '/x'],
    ['/testapp/', '/x', '/testapp/x', '/x'],
    ['/', '/x', '/x', '/x'],
    ['/a/b', '/c', '/a/b/c', '/c'],
    ['/testapp', '/a.b/.c/..d/...', '/testapp/a.b/.c/..d/...', '/a.b/.c/..d/...'],
    ['/testapp', '/.well-known/x', '/testapp/.well-known/x', '/.well-known/x'],
    // dot segments resolved inside the mount
    ['/testapp', '/x/../echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/./echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/./y/../../echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/%2e%2e/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/%2E%2e/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/.%2e/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/%2e./echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/..;/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/..;x=1/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/%2e%2e;a;b=2/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x/.;p=1/echo.jsp', '/testapp/x/echo.jsp', '/x/echo.jsp'],
    ['/testapp', '/%2e/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    // a final dot segment leaves no trailing slash (Tomcat's appended-slash rule)
    ['/testapp', '/x/..', '/testapp', '/'],
    ['/testapp', '/x/.', '/testapp/x', '/x'],
    ['/testapp', '/x/y/..', '/testapp/x', '/x'],
    ['/testapp', '/x/../', '/testapp/', '/'],
    ['/testapp', '/x/./', '/testapp/x/', '/x/'],
    ['/testapp', '/.', '/testapp', '/'],
    ['', '/x/..', '/', '/'],
    ['', '/.', '/', '/'],
    // runs of slashes merged, empty segments with parameters dropped
    ['/testapp', '//echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '/a//b///c', '/testapp/a/b/c', '/a/b/c'],
    ['/testapp', '/a//', '/testapp/a/', '/a/'],
    ['/testapp', '/;x/echo.jsp', '/testapp/echo.jsp', '/echo.jsp'],
    ['/testapp', '//../echo.jsp', OUTSIDE, ''],
    // path parameters stay on their segment (URL-rewritten sessions)
    ['/testapp', '/echo.jsp;jsessionid=ABC.TomcatA', '/testapp/echo.jsp;jsessionid=ABC.TomcatA', '/echo.jsp'],
    ['/testapp', '/echo.jsp;jsessionid=ABC.TomcatA?x=1', '/testapp/echo.jsp;jsessionid=ABC.TomcatA?x=1', '/echo.jsp'],
    ['/testapp', '/a;v=1/b;w=2;x=3', '/testapp/a;v=1/b;w=2;x=3', '/a/b'],
    ['/testapp', '/;jsessionid=ABC.TomcatA', '/testapp/;jsessionid=ABC.TomcatA', '/'],
    ['/testapp', '/sub/;jsessionid=ABC.TomcatA?q', '/testapp/sub/;jsessionid=ABC.TomcatA?q', '/sub/'],
    ['/testapp', ';jsessionid=ABC.TomcatA', '/testapp;jsessionid=ABC.TomcatA', '/'],
    ['/testapp', ';jsessionid=ABC.TomcatA/echo.jsp', '/testapp;jsessionid=ABC.TomcatA/echo.jsp', '/echo.jsp'],
    ['/testapp', '/x;p=a%2fb/echo.jsp', '/testapp/x;p=a%2fb/echo.jsp', '/x/echo.jsp'],
    ['/testapp', '/echo.jsp;..', '/testapp/echo.jsp;..', '/echo.jsp'],
    // escapes that do not change the structure stay as sent
    ['/testapp', '/%65cho.jsp', '/testapp/%65cho.jsp', '/echo.jsp'],
    ['/testapp', '/a%20b/%C3%A9', '/testapp/a%20b/%C3%A9', '/a b/é'],
    ['/testapp', '/echo/a%0d%0aX-Injected:%201', '/testapp/echo/a%0d%0aX-Injected:%201', '/echo/a\r\nX-Injected: 1'],
    ['/testapp', '/echo/%ff%c0%af', '/testapp/echo/%ff%c0%af', '/echo/\ufffd\ufffd\ufffd'],
    ['/testapp', '/x/%2e%2e%2e/y', '/testapp/x/%2e%2e%2e/y', '/x/.../y'],
    ['/testapp', '/x/%252e%252e/y', '/testapp/x/%252e%252e/y', '/x/%2e%2e/y'],
    ['/testapp', '/x/%3b/y', '/testapp/x/%3b/y', '/x/;/y'],
    ['/testapp', '/x/..%3bx/y', '/testapp/x/..%3bx/y', '/x/..;x/y'],
    ['/testapp', '/%c0%ae%c0%ae/y', '/testapp/%c0%ae%c0%ae/y', '/\ufffd\ufffd\ufffd\ufffd/y'],
    // a prefix given with dot segments or escapes is normalised too
    ['/a/./b', '/c', '/a/b/c', '/c'],
    ['/A', '/c', '/A/c', '/c'],
  ])('%s + %s → %s', (prefix, relative, path, mapped) => {
    const result = requestTarget(prefix, relative)
    if (path === OUTSIDE || path === BAD) {
      expect(isPathRefusal(result) && result.code).toBe(path)
      return
    }
    expect(result).toEqual({ path, mapped })
  })

  // Refused with 400: a `..` that climbs above the mount, or a path Tomcat refuses by default.
  it.each<[prefix: string, relative: string, code: string]>([
    ['/testapp', '/..', OUTSIDE],
    ['/testapp', '/../', OUTSIDE],
    ['/testapp', '/../examples/index.html', OUTSIDE],
    ['/testapp', '/../testapp/echo.jsp', OUTSIDE],
    ['/testapp', '/..;/examples/', OUTSIDE],
    ['/testapp', '/..;x=1/examples/', OUTSIDE],
    ['/testapp', '/%2e%2e/examples', OUTSIDE],
    ['/testapp', '/%2E%2e/examples', OUTSIDE],
    ['/testapp', '/%2E%2E/examples', OUTSIDE],
    ['/testapp', '/.%2e/examples', OUTSIDE],
    ['/testapp', '/%2e./examples', OUTSIDE],
    ['/testapp', '/%2e%2e;p/examples', OUTSIDE],
    ['/testapp', '/;/../examples', OUTSIDE],
    ['/testapp', '/;x=1/..;y=2/examples', OUTSIDE],
    ['/testapp', '//../examples', OUTSIDE],
    ['/testapp', '/x/../../examples', OUTSIDE],
    ['/testapp', '/x/..;/..;/examples', OUTSIDE],
    ['/testapp', '/./../examples', OUTSIDE],
    ['/testapp', '/.;x/..;y/examples/', OUTSIDE],
    ['/testapp', '/a/b/../../../manager/html', OUTSIDE],
    ['/testapp', '/..?x=1', OUTSIDE],
    ['/testapp', ';x/../examples', OUTSIDE],
    ['', '/..', OUTSIDE],
    ['', '/../etc/passwd', OUTSIDE],
    ['', '/x/%2e%2e/%2e%2e/y', OUTSIDE],
    // what Tomcat's defaults answer 400, refused whatever the member's settings
    ['/testapp', '/..%2fexamples/', BAD],
    ['/testapp', '/..%2Fexamples/', BAD],
    ['/testapp', '/%2e%2e%2fexamples/', BAD],
    ['/testapp', '/a%2fb', BAD],
    ['/testapp', '/..%5cexamples/', BAD],
    ['/testapp', '/..%5Cexamples/', BAD],
    ['/testapp', '/a%5cb', BAD],
    ['/testapp', '/..\\examples/', BAD],
    ['/testapp', '/a\\b', BAD],
    ['/testapp', '\\..\\examples', BAD],
    ['/testapp', '/a%00b', BAD],
    ['/testapp', '/a\0b', BAD],
    ['/testapp', '/a%zzb', BAD],
    ['/testapp', '/a%2', BAD],
    ['/testapp', '/a%', BAD],
    ['/testapp', '/a%%2e', BAD],
    ['', '*', BAD],
    ['', 'http://host/x', BAD],
    ['', ';x', BAD],
    ['/a/../..', '/x', OUTSIDE],
  ])('%s + %s → %s', (prefix, relative, code) => {
    const result = requestTarget(prefix, relative)
    expect(isPathRefusal(result)).toBe(true)
    expect((result as { code: string }).code).toBe(code)
    expect((result as { reason: string }).reason).not.toContain(relative)
  })

  it('the forwarded path is a fixed point: normalising it again changes nothing', () => {
    for (const relative of ['/x/../a;b=1/./c//d/', '/%2e/x/%41;p', ';j=1/x/..', '/a/b/..', '/x/;jsessionid=1']) {
      const once = requestTarget('/testapp', relative)
      expect(isPathRefusal(once)).toBe(false)
      const again = requestTarget('', (once as { path: string }).path)
      expect(again).toMatchObject({ path: (once as { path: string }).path })
    }
  })
})

describe('isNormalisedPath', () => {
  it.each<[string, boolean]>([
    ['/testapp', true],
    ['/a/b', true],
    ['/my%20app', true],
    ['', true],
    ['/a/../b', false],
    ['/a/./b', false],
    ['/a//b', false],
    ['/%2e%2e', false],
    ['/a;b', false],
    ['/a%2fb', false],
    ['/a\\b', false],
    ['a', false],
    ['/a?b', false],
  ])('%s → %s', (path, expected) => {
    expect(isNormalisedPath(path)).toBe(expected)
  })
})

describe('relativeTo', () => {
  it.each<[url: string, mount: string, relative: string | undefined]>([
    ['/testapp/echo.jsp?x=1', '/testapp', '/echo.jsp?x=1'],
    ['/testapp', '/testapp', ''],
    ['/testapp/', '/testapp', '/'],
    ['/testapp?x', '/testapp', '?x'],
    ['/x/../testapp/echo.jsp', '/testapp', '/echo.jsp'],
    ['/%74estapp/echo.jsp', '/testapp', '/echo.jsp'],
    ['/testapp;jsessionid=A.TomcatA/echo.jsp', '/testapp', ';jsessionid=A.TomcatA/echo.jsp'],
    ['/testapp/;jsessionid=A.TomcatA', '/testapp', '/;jsessionid=A.TomcatA'],
    ['/a/b/c', '/a/b', '/c'],
    ['/a//b/c', '/a/b', '/c'],
    ['/a/b', '/', '/a/b'],
    ['/a/b', '', '/a/b'],
    ['/testapp/../examples/', '/testapp', undefined],
    ['/testapp2/x', '/testapp', undefined],
    ['/TESTAPP/x', '/testapp', undefined],
    ['/test', '/testapp', undefined],
  ])('%s below %s → %s', (url, mount, relative) => {
    expect(relativeTo(requestTarget('', url) as RequestTarget, mount)).toBe(relative)
  })
})

describe('targetWithin (a path an onRequest hook chose)', () => {
  it.each<[string, string, string]>([
    ['/testapp', '/testapp/echo.jsp?x=1', '/testapp/echo.jsp?x=1'],
    ['/testapp', '/testapp', '/testapp'],
    ['/testapp', '/testapp?x', '/testapp?x'],
    ['/testapp', '/testapp/', '/testapp/'],
    ['/testapp', '/testapp;jsessionid=A/x', '/testapp;jsessionid=A/x'],
    ['/testapp', '/testapp/x/../echo.jsp', '/testapp/echo.jsp'],
    ['/testapp', '/testapp//a/./b', '/testapp/a/b'],
    ['/testapp/', '/testapp/a', '/testapp/a'],
    ['', '/anything/x', '/anything/x'],
    ['', '/x/../y', '/y'],
    ['/my%20app', '/my%20app/x', '/my%20app/x'],
  ])('below %j: %s → %s', (prefix, path, expected) => {
    const target = targetWithin(prefix, path)
    expect(isPathRefusal(target) ? target.code : target.path).toBe(expected)
  })

  it.each<[string, string, string]>([
    ['/testapp', '/testapp/../examples/', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testapp/..;x/examples/', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testapp/%2e%2e/examples/', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testapp/a/../../examples/', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testapp;x/../examples/', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/examples/', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testappx/echo.jsp', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/%74estapp/echo.jsp', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/TESTAPP/echo.jsp', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['', '/../x', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testapp/a%2fb', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/a\\b', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/a%00', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/a%zz', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', 'testapp/x', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', 'http://evil.example/testapp/x', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '//evil.example/testapp/x', 'LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['/testapp', '/testapp/a b', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/a\r\nx: y', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/a#b', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/caf\u00e9', 'LB_ERR_BAD_REQUEST'],
    ['/testapp', '/testapp/a\0', 'LB_ERR_BAD_REQUEST'],
  ])('below %j: %j is refused (%s)', (prefix, path, code) => {
    const target = targetWithin(prefix, path)
    expect(isPathRefusal(target) ? target.code : target.path).toBe(code)
  })
})
