/**
 * Client-controlled text in a log line, escaped as httpd escapes it (`ap_escape_logitem`): a line
 * can then never be split, faked or made to carry terminal control sequences by a client.
 *
 * - `"` and `\` get a backslash (`\"`, `\\`);
 * - backspace, tab, newline, vertical tab and carriage return become `\b`, `\t`, `\n`, `\v`, `\r`;
 * - every other byte outside printable ASCII (controls, DEL, and each byte of non-ASCII text)
 *   becomes `\xhh`, two lower-case hex digits.
 *
 * Node decodes request lines and header values as Latin-1, one character per byte, so a character
 * up to U+00FF is the byte the client sent (`\xff` for a stray 0xFF, `\xc3\xa9` for a UTF-8 `é`);
 * a character above U+00FF (only a host can put one there) is escaped as its UTF-8 bytes.
 *
 * @module
 */

const HEX = '0123456789abcdef'

/** Whether a character code needs no escape: printable ASCII other than `"` and `\`. */
function isPlain(code: number): boolean {
  return code >= 0x20 && code <= 0x7e && code !== 0x22 && code !== 0x5c
}

function hexByte(byte: number): string {
  return `\\x${HEX[byte >> 4]}${HEX[byte & 0x0f]}`
}

function escapeCode(code: number): string {
  switch (code) {
    case 0x08: return '\\b'
    case 0x09: return '\\t'
    case 0x0a: return '\\n'
    case 0x0b: return '\\v'
    case 0x0d: return '\\r'
    case 0x22: return '\\"'
    case 0x5c: return '\\\\'
  }
  return hexByte(code)
}

/**
 * `text` as httpd writes client text in a log (`%r`, `%{Referer}i`, `%{User-Agent}i`).
 *
 * @example
 * ```ts
 * escapeLogText('GET /a"b\r\n')   // 'GET /a\\"b\\r\\n'
 * escapeLogText('caf\u00c3\u00a9')  // 'caf\\xc3\\xa9' (the UTF-8 bytes of "café", as Node decodes them)
 * ```
 */
export function escapeLogText(text: string): string {
  let i = 0
  while (i < text.length && isPlain(text.charCodeAt(i))) i++
  if (i === text.length) return text
  let out = text.slice(0, i)
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (isPlain(code)) out += text[i]
    else if (code <= 0xff) out += escapeCode(code)
    else {
      const cp = text.codePointAt(i)!
      if (cp > 0xffff) i++
      for (const byte of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += hexByte(byte)
    }
  }
  return out
}

/**
 * `text` as one field of a space-separated line: escaped as {@link escapeLogText}, a space as
 * `\x20`, and `-` for nothing, so the field can neither vanish nor split.
 *
 * @example
 * ```ts
 * logToken('TomcatA')    // 'TomcatA'
 * logToken('a b')        // 'a\\x20b'
 * logToken(undefined)    // '-'
 * ```
 */
export function logToken(text: string | undefined): string {
  if (text === undefined || text === '') return '-'
  return escapeLogText(text).replaceAll(' ', '\\x20')
}
