/**
 * IP address parsing into 16 bytes, with IPv4 held as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), so one
 * compare serves both families and `::ffff:1.2.3.4` (what a dual-stack Node server reports for an
 * IPv4 client) is the same address as `1.2.3.4`.
 *
 * Hand-written, allocation-free parsers ({@link parseIpInto}); no regular expressions.
 *
 * @module
 */

/** 4 for IPv4 (incl. IPv4-mapped IPv6), 6 for other IPv6, 0 for not an address. */
export type IpFamily = 0 | 4 | 6

function parseIpv4At(text: string, start: number, end: number, out: Uint8Array, offset: number): boolean {
  let part = 0
  let i = start
  while (part < 4) {
    const from = i
    let value = 0
    while (i < end) {
      const c = text.charCodeAt(i)
      if (c < 0x30 || c > 0x39) break
      value = value * 10 + (c - 0x30)
      i++
      if (i - from > 3) return false
    }
    const digits = i - from
    if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(from) === 0x30)) return false
    out[offset + part] = value
    part++
    if (part < 4) {
      if (i >= end || text.charCodeAt(i) !== 0x2e /* . */) return false
      i++
    }
  }
  return i === end
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x57
  if (c >= 0x41 && c <= 0x46) return c - 0x37
  return -1
}

function parseIpv6(text: string, end: number, out: Uint8Array): boolean {
  // Groups before "::" are written from the front; groups after it are collected then moved back.
  let i = 0
  let group = 0
  let gap = -1
  if (end >= 2 && text.charCodeAt(0) === 0x3a && text.charCodeAt(1) === 0x3a) {
    gap = 0
    i = 2
    if (i === end) {
      out.fill(0)
      return true
    }
  } else if (end > 0 && text.charCodeAt(0) === 0x3a) {
    return false
  }
  out.fill(0)
  while (i < end) {
    if (group >= 8) return false
    // An IPv4 tail takes the last two groups.
    let dot = false
    for (let k = i; k < end; k++) {
      const c = text.charCodeAt(k)
      if (c === 0x2e) {
        dot = true
        break
      }
      if (c === 0x3a) break
    }
    if (dot) {
      if (group > 6 || !parseIpv4At(text, i, end, out, group * 2)) return false
      group += 2
      break
    }
    let value = 0
    const from = i
    while (i < end) {
      const h = hexValue(text.charCodeAt(i))
      if (h < 0) break
      value = (value << 4) | h
      i++
      if (i - from > 4) return false
    }
    if (i === from) return false
    out[group * 2] = value >> 8
    out[group * 2 + 1] = value & 0xff
    group++
    if (i === end) break
    if (text.charCodeAt(i) !== 0x3a) return false
    i++
    if (i < end && text.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false
      gap = group
      i++
      if (i === end) break
    } else if (i === end) {
      return false
    }
  }
  if (gap < 0) return group === 8
  if (group >= 8) return false
  const tail = (group - gap) * 2
  const shift = 16 - group * 2
  for (let k = tail - 1; k >= 0; k--) {
    out[gap * 2 + shift + k] = out[gap * 2 + k] ?? 0
    out[gap * 2 + k] = 0
  }
  return true
}

function isMapped(bytes: Uint8Array): boolean {
  for (let k = 0; k < 10; k++) if (bytes[k] !== 0) return false
  return bytes[10] === 0xff && bytes[11] === 0xff
}

/**
 * Parses an IPv4 or IPv6 address (an IPv6 zone `%eth0` is ignored) into `out` (16 bytes).
 * IPv4 and IPv4-mapped IPv6 come out as `::ffff:a.b.c.d` with family 4.
 *
 * @returns the family, or 0 when `text` is not an address (then `out` holds garbage).
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(16)
 * parseIpInto('::ffff:192.0.2.7', buf) // 4; buf.subarray(12) = [192, 0, 2, 7]
 * parseIpInto('2001:db8::1', buf)      // 6
 * parseIpInto('192.0.2.300', buf)      // 0
 * ```
 */
export function parseIpInto(text: string, out: Uint8Array): IpFamily {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return 0
  let colon = false
  for (let k = 0; k < text.length; k++) {
    if (text.charCodeAt(k) === 0x3a) {
      colon = true
      break
    }
  }
  if (!colon) {
    for (let k = 0; k < 10; k++) out[k] = 0
    out[10] = 0xff
    out[11] = 0xff
    return parseIpv4At(text, 0, text.length, out, 12) ? 4 : 0
  }
  let end = text.indexOf('%')
  if (end < 0) end = text.length
  else if (end === text.length - 1) return 0
  if (!parseIpv6(text, end, out)) return 0
  return isMapped(out) ? 4 : 6
}

/**
 * Parses an address into a new 16-byte array (see {@link parseIpInto}).
 *
 * @example
 * ```ts
 * parseIp('10.1.2.3') // { family: 4, bytes: Uint8Array [0,0,0,0,0,0,0,0,0,0,255,255,10,1,2,3] }
 * parseIp('nope')     // undefined
 * ```
 */
export function parseIp(text: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const bytes = new Uint8Array(16)
  const family = parseIpInto(text, bytes)
  return family === 0 ? undefined : { family, bytes }
}

/**
 * The canonical text of 16 address bytes: dotted IPv4 for family 4, RFC 5952 for IPv6 (lower case,
 * longest run of two or more zero groups as `::`).
 */
export function formatIp(bytes: Uint8Array, family: 4 | 6): string {
  if (family === 4) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`
  let bestStart = -1
  let bestLength = 1
  for (let g = 0; g < 8; ) {
    if (bytes[g * 2] === 0 && bytes[g * 2 + 1] === 0) {
      let e = g
      while (e < 8 && bytes[e * 2] === 0 && bytes[e * 2 + 1] === 0) e++
      if (e - g > bestLength) {
        bestStart = g
        bestLength = e - g
      }
      g = e
    } else g++
  }
  let text = ''
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      text += g === 0 ? '::' : ':'
      g += bestLength - 1
      continue
    }
    text += (((bytes[g * 2] ?? 0) << 8) | (bytes[g * 2 + 1] ?? 0)).toString(16)
    if (g < 7) text += ':'
  }
  return text
}

/**
 * The canonical text of an address, or `undefined` when it is not one: IPv4-mapped IPv6 becomes
 * dotted IPv4 (`::ffff:1.2.3.4` → `1.2.3.4`), IPv6 is compressed and lower-cased, a zone dropped.
 *
 * @example
 * ```ts
 * normalizeIp('::FFFF:192.0.2.7')      // '192.0.2.7'
 * normalizeIp('2001:DB8:0:0:0:0:0:1') // '2001:db8::1'
 * ```
 */
export function normalizeIp(text: string): string | undefined {
  const parsed = parseIp(text)
  return parsed === undefined ? undefined : formatIp(parsed.bytes, parsed.family)
}
