import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { BodyConsumedError } from '../errors.js'
import { consumedBody, rebuildBody } from './consumed-body.js'
import type { ParsedBody } from './consumed-body.js'

const json = (extra: IncomingHttpHeaders = {}): IncomingHttpHeaders => ({ 'content-type': 'application/json', 'content-length': '99', ...extra })

describe('rebuildBody: what can stand for the consumed body', () => {
  it.each<[string, IncomingHttpHeaders, ParsedBody, string, string]>([
    ['JSON object', json(), { body: { a: [1, 'é'], b: null } }, '{"a":[1,"é"],"b":null}', 'json'],
    ['JSON, charset utf-8', json({ 'content-type': 'application/json; charset=UTF-8' }), { body: [1, 2] }, '[1,2]', 'json'],
    ['JSON string (non-strict parser)', json(), { body: 'x' }, '"x"', 'json'],
    ['JSON read by a text parser', json({ 'content-length': '7' }), { body: '{"a":1}' }, '{"a":1}', 'text'],
    ['+json type', json({ 'content-type': 'application/vnd.api+json' }), { body: { data: 1 } }, '{"data":1}', 'json'],
    ['JSON, chunked', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, { body: { a: 1 } }, '{"a":1}', 'json'],
    ['a __proto__ key stays data', json(), { body: JSON.parse('{"__proto__":{"x":1}}') }, '{"__proto__":{"x":1}}', 'json'],
    ['urlencoded', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '9' }, { body: { a: 'x y', b: ['1', '2'], 'c&d': '=' } }, 'a=x+y&b=1&b=2&c%26d=%3D', 'urlencoded'],
    ['urlencoded, null-prototype object', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '3' }, { body: Object.assign(Object.create(null), { a: '1' }) }, 'a=1', 'urlencoded'],
    ['raw Buffer', { 'content-type': 'application/octet-stream', 'content-length': '3' }, { body: Buffer.from([0, 255, 10]) }, '\u0000\u00ff\n', 'raw'],
    ['text utf-8', { 'content-type': 'text/plain', 'content-length': '3' }, { body: 'hé' }, 'hé', 'text'],
    ['text latin1', { 'content-type': 'text/plain; charset=iso-8859-1', 'content-length': '2' }, { body: 'hé' }, 'hé', 'text'],
    ['rawBody Buffer first, whatever the parser made of it', json({ 'content-length': '10' }), { body: { a: 1 }, rawBody: Buffer.from('{ "a": 1 }') }, '{ "a": 1 }', 'rawBody'],
    ['rawBody string (koa-bodyparser)', json({ 'content-length': '10' }), { body: { a: 1 }, rawBody: '{ "a": 1 }' }, '{ "a": 1 }', 'rawBody'],
    ['multipart with rawBody', { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '4' }, { body: {}, rawBody: Buffer.from('abcd') }, 'abcd', 'rawBody'],
    ['identity coding', json({ 'content-encoding': 'identity' }), { body: {} }, '{}', 'json'],
  ])('%s', (_name, headers, parsed, text, from) => {
    const rebuilt = rebuildBody(headers, parsed)
    expect(rebuilt).toMatchObject({ kind: 'bytes', from })
    if (rebuilt.kind === 'bytes') expect(rebuilt.bytes.toString(from === 'raw' || headers['content-type']?.includes('8859') ? 'latin1' : 'utf8')).toBe(text)
  })

  it.each<[string, IncomingHttpHeaders, ParsedBody, RegExp]>([
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '99' }, { body: { field: 'x' } }, /multipart/],
    ['nothing parsed', json(), {}, /no req\.body/],
    ['unknown type parsed into data', { 'content-type': 'application/xml', 'content-length': '9' }, { body: { a: 1 } }, /only JSON and urlencoded/],
    ['no content type, parsed into data', { 'content-length': '9' }, { body: { a: 1 } }, /only JSON and urlencoded/],
    ['gzip, decoded by the parser', json({ 'content-encoding': 'gzip' }), { body: { a: 1 } }, /Content-Encoding/],
    ['gzip, even with rawBody', json({ 'content-encoding': 'gzip' }), { body: {}, rawBody: Buffer.from('{}') }, /Content-Encoding/],
    ['JSON in UTF-16', json({ 'content-type': 'application/json; charset=utf-16' }), { body: { a: 1 } }, /only as UTF-8/],
    ['urlencoded in latin1', { 'content-type': 'application/x-www-form-urlencoded; charset=iso-8859-1', 'content-length': '3' }, { body: { a: 'é' } }, /only as UTF-8/],
    ['nested form fields', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '9' }, { body: { a: { b: 'c' } } }, /nested/],
    ['a form field that is a number', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '9' }, { body: { a: 1 } }, /nested/],
    ['a form body that is an array', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '9' }, { body: ['a'] }, /not an object/],
    ['JSON with a digest header', json({ digest: 'sha-256=abc' }), { body: { a: 1 } }, /digest/],
    ['JSON with Content-MD5', json({ 'content-md5': 'abc' }), { body: { a: 1 } }, /digest/],
    ['a cycle', json(), { body: (() => { const o: Record<string, unknown> = {}; o.o = o; return o })() }, /cannot be serialised/],
    ['a BigInt', json(), { body: { n: 1n } }, /cannot be serialised/],
    ['undefined as JSON', json(), { body: () => 1 }, /cannot be serialised/],
    ['a string body of a chunked JSON request', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, { body: '{}' }, /chunked JSON/],
    ['a Buffer shorter than the Content-Length', { 'content-length': '4' }, { body: Buffer.from('abc') }, /not as long/],
    ['text whose BOM the parser dropped', { 'content-type': 'text/plain', 'content-length': '5' }, { body: 'ab' }, /not as long/],
    ['text in a charset not encoded here', { 'content-type': 'text/plain; charset=shift_jis', 'content-length': '2' }, { body: 'ab' }, /charset/],
    ['rawBody of the wrong length', json({ 'content-length': '3' }), { body: {}, rawBody: Buffer.from('{}') }, /rawBody is not as long/],
    ['rawBody that is not bytes', json(), { body: {}, rawBody: 42 }, /rawBody is neither/],
  ])('refuses %s', (_name, headers, parsed, reason) => {
    const rebuilt = rebuildBody(headers, parsed)
    expect(rebuilt.kind).toBe('refused')
    if (rebuilt.kind === 'refused') expect(rebuilt.reason).toMatch(reason)
  })

  it('never puts client text into the reason', () => {
    const rebuilt = rebuildBody({ 'content-type': 'application/<script>; charset=<evil>', 'content-length': '1' }, { body: { '<key>': '<value>' } })
    expect(rebuilt.kind).toBe('refused')
    if (rebuilt.kind === 'refused') expect(rebuilt.reason).not.toMatch(/<|evil|key|value/)
  })
})

describe('consumedBody', () => {
  const req = (headers: IncomingHttpHeaders) => ({ headers }) as IncomingMessage

  it('nothing to send for a request without a body', () => {
    expect(consumedBody(req({}), { body: { a: 1 } })).toBeUndefined()
    expect(consumedBody(req({ 'content-length': '0' }), {})).toBeUndefined()
  })

  it('a typed error, status 500, naming the cause and the fix', () => {
    const err = consumedBody(req({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': '5' }), { body: {} })
    expect(err).toBeInstanceOf(BodyConsumedError)
    expect(err).toMatchObject({ code: 'LB_ERR_BODY_CONSUMED', statusCode: 500, expose: false })
    expect((err as BodyConsumedError).message).toMatch(/read before the balancer.*multipart.*mount the balancer before body parsers/)
  })
})
