import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { HookError } from '../errors.js'
import { resolvePathRewrite, rewriteTarget } from './path-rewrite.js'
import { isPathRefusal, requestTarget } from './request-target.js'
import type { RequestTarget } from './request-target.js'

const req = { url: '/x', headers: {} } as IncomingMessage

function rewrite(rules: unknown, prefix: string, relative: string): string | undefined {
  const rewriter = resolvePathRewrite(rules)
  if (!rewriter) throw new Error('no rewriter')
  const target = requestTarget(prefix, relative) as RequestTarget
  const out = rewriteTarget(rewriter, prefix, target, req)
  if (out instanceof HookError) return `hook: ${out.message}`
  if (isPathRefusal(out)) return `refused: ${out.code}`
  return out.path
}

describe('resolvePathRewrite', () => {
  it('is undefined for none and for an empty object', () => {
    expect(resolvePathRewrite(undefined)).toBeUndefined()
    expect(resolvePathRewrite({})).toBeUndefined()
  })
  it.each<[string, unknown, RegExp]>([
    ['a string', '/x', /pathRewrite must be an object/],
    ['an array', [['^/a', '/b']], /pathRewrite must be an object/],
    ['null', null, /pathRewrite must be an object/],
    ['an invalid regular expression', { '(': '/' }, /pathRewrite key "\(" is not a valid regular expression/],
    ['a replacement that is not a string', { '^/a': 1 }, /pathRewrite\["\^\/a"\] must be a string/],
  ])('refuses %s', (_what, value, message) => {
    expect(() => resolvePathRewrite(value)).toThrow(message)
  })
  it('applies the first rule that matches only (as http-proxy-middleware)', () => {
    const rewriter = resolvePathRewrite({ '^/a': '/b', '^/b': '/c', '^/': '/root/' })!
    expect(rewriter('/a/x', req)).toBe('/b/x')
    expect(rewriter('/b/x', req)).toBe('/c/x')
    expect(rewriter('/z', req)).toBe('/root/z')
  })
})

describe('rewriteTarget', () => {
  it.each<[string, unknown, string, string, string | undefined]>([
    ['a prefix rule', { '^/old/': '/new/' }, '/testapp', '/old/x?y=1', '/testapp/new/x?y=1'],
    ['a capture', { '^/v(\\d+)/(.*)$': '/api/$2?version=$1' }, '/testapp', '/v2/users', '/testapp/api/users?version=2'],
    ['removing a base path', { '^/api/': '/' }, '/testapp', '/api/users', '/testapp/users'],
    ['adding a base path', { '^/': '/extra/' }, '/testapp', '/users', '/testapp/extra/users'],
    ['no rule matches', { '^/old/': '/new/' }, '/testapp', '/other', '/testapp/other'],
    ['the rules see the normalised path', { '^/old/': '/new/' }, '/testapp', '/x/../old//y', '/testapp/new/y'],
    ['the rules see %-escapes as sent', { '^/old/': '/new/' }, '/testapp', '/%6fld/y', '/testapp/%6fld/y'],
    ['path parameters stay', { '^/old/': '/new/' }, '/testapp', '/old/y;jsessionid=A.TomcatA', '/testapp/new/y;jsessionid=A.TomcatA'],
    ['at the root', { '^/old/': '/new/' }, '', '/old/y', '/new/y'],
    ['the result is normalised', { '^/old/': '/a/./b/../' }, '/testapp', '/old/y', '/testapp/a/y'],
    ['a result climbing out is refused', { '^/old/': '/../examples/' }, '/testapp', '/old/y', 'refused: LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['… with ..;', { '^/old/': '/..;x/examples/' }, '/testapp', '/old/y', 'refused: LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['… with %2e%2e', { '^/old/': '/%2e%2e/examples/' }, '/testapp', '/old/y', 'refused: LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['… above the root', { '^/old/': '/../' }, '', '/old/y', 'refused: LB_ERR_PATH_OUTSIDE_MOUNT'],
    ['an encoded slash is refused', { '^/old/': '/a%2f' }, '/testapp', '/old/y', 'refused: LB_ERR_BAD_REQUEST'],
    ['a result that is not a path is refused', { '^/old/y': 'y' }, '/testapp', '/old/y', 'refused: LB_ERR_BAD_REQUEST'],
    ['a result with CR LF is a hook error', { '^/old/': '/a\r\nx: y/' }, '/testapp', '/old/y', 'hook: pathRewrite returned a path with a space, control, non-ASCII or # character (escape them as %xx)'],
    ['a result with a space is a hook error', { '^/old/': '/a b/' }, '/testapp', '/old/y', 'hook: pathRewrite returned a path with a space, control, non-ASCII or # character (escape them as %xx)'],
    ['a result with a fragment is a hook error', { '^/old/': '/a#' }, '/testapp', '/old/y', 'hook: pathRewrite returned a path with a space, control, non-ASCII or # character (escape them as %xx)'],
  ])('%s', (_what, rules, prefix, relative, expected) => {
    expect(rewrite(rules, prefix, relative)).toBe(expected)
  })

  it('a function gets the path below the mount and the request; undefined leaves it', () => {
    const calls: string[] = []
    const fn = (path: string, r: IncomingMessage): string | undefined => {
      calls.push(path)
      expect(r).toBe(req)
      return path.startsWith('/keep') ? undefined : path.toUpperCase()
    }
    expect(rewrite(fn, '/testapp', '/keep?x')).toBe('/testapp/keep?x')
    expect(rewrite(fn, '/testapp', '/abc?x')).toBe('/testapp/ABC?X')
    expect(rewrite(fn, '/testapp', '')).toBe('/testapp')
    expect(calls).toEqual(['/keep?x', '/abc?x', ''])
  })

  it.each<[string, (path: string) => unknown, string]>([
    ['throws', () => { throw new Error('boom') }, 'hook: pathRewrite threw'],
    ['returns a promise', () => Promise.resolve('/x'), 'hook: pathRewrite returned a promise: it must be synchronous'],
    ['returns a number', () => 1, 'hook: pathRewrite returned something that is not a string'],
    ['returns null', () => null, 'hook: pathRewrite returned something that is not a string'],
  ])('a function that %s is a hook error (502)', (_what, fn, expected) => {
    expect(rewrite(fn, '/testapp', '/a')).toBe(expected)
  })

  it('keeps the client\'s mapped path (for exclude and logs)', () => {
    const target = requestTarget('/testapp', '/old/x') as RequestTarget
    const out = rewriteTarget(resolvePathRewrite({ '^/old/': '/new/' })!, '/testapp', target, req) as RequestTarget
    expect(out).toEqual({ path: '/testapp/new/x', mapped: '/old/x' })
  })
})
