import { describe, expect, it } from 'vitest'
import { escapeLogText, logToken } from './log-escape.js'

describe('escapeLogText (httpd ap_escape_logitem)', () => {
  it.each([
    ['plain text is kept', 'GET /testapp/echo.jsp?a=1 HTTP/1.1', 'GET /testapp/echo.jsp?a=1 HTTP/1.1'],
    ['empty', '', ''],
    ['a quote gets a backslash', 'a"b', 'a\\"b'],
    ['a backslash gets a backslash', 'a\\b', 'a\\\\b'],
    ['CR and LF cannot end the line', '/x\r\n127.0.0.1 - - [fake]', '/x\\r\\n127.0.0.1 - - [fake]'],
    ['tab, backspace, vertical tab', '\t\b\v', '\\t\\b\\v'],
    ['other controls as \\xhh, lower case', '\x00\x1b[31m\x7f', '\\x00\\x1b[31m\\x7f'],
    ['a stray byte that is not UTF-8 (Node decodes it as Latin-1)', '/a\xff', '/a\\xff'],
    ['UTF-8 bytes as Node decodes them, one escape per byte', 'caf\u00c3\u00a9', 'caf\\xc3\\xa9'],
    ['a character above U+00FF (set by a host) as its UTF-8 bytes', '\u20ac', '\\xe2\\x82\\xac'],
    ['an astral character as its four UTF-8 bytes', '\u{1F600}', '\\xf0\\x9f\\x98\\x80'],
    ['spaces are kept (httpd keeps them)', 'Mozilla/5.0 (X11)', 'Mozilla/5.0 (X11)'],
  ])('%s', (_name, input, expected) => {
    expect(escapeLogText(input)).toBe(expected)
  })
})

describe('logToken', () => {
  it.each([
    ['TomcatA', 'TomcatA'],
    ['rescheduled:member-error', 'rescheduled:member-error'],
    ['a b', 'a\\x20b'],
    ['a"b', 'a\\"b'],
    ['', '-'],
    [undefined, '-'],
  ])('%j → %j', (input, expected) => {
    expect(logToken(input)).toBe(expected)
  })
})
