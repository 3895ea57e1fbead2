/**
 * AJP13 wire constants: packet magics, message types, method codes, coded header names and
 * attribute codes, as Tomcat's connector (`org.apache.coyote.ajp.Constants`) reads and writes them.
 *
 * The packet layouts these values belong to are those of the AJP13 specification (tomcat-connectors' ajpv13a) as Tomcat's AJP connector implements them; see docs/guide/transports-ajp.md.
 *
 * @module
 */

/** Magic of packets going to the container (`0x12 0x34`). */
export const MAGIC_TO_CONTAINER = 0x1234
/** Magic of packets coming from the container (`'A' 'B'`). */
export const MAGIC_FROM_CONTAINER = 0x4142
/** Length of a packet header: 2 magic bytes and a 2-byte payload length. */
export const HEADER_LENGTH = 4
/** Header of a request-body data packet: packet header plus the inner 2-byte chunk length. */
export const DATA_HEADER_LENGTH = 6
/** A string length of `0xFFFF` means null; no bytes (not even the NUL) follow. */
export const NULL_STRING_LENGTH = 0xffff
/** A header name whose first byte is `0xA0` is a 2-byte code, not a string length. */
export const CODED_HEADER_PREFIX = 0xa0

/** Tomcat's default and minimum `packetSize`. */
export const DEFAULT_PACKET_SIZE = 8192
/** Largest `packetSize` Tomcat documents. */
export const MAX_PACKET_SIZE = 65536

/** Message types ("prefix codes"), first payload byte. */
export const MessageType = {
  FORWARD_REQUEST: 2,
  SEND_BODY_CHUNK: 3,
  SEND_HEADERS: 4,
  END_RESPONSE: 5,
  GET_BODY_CHUNK: 6,
  SHUTDOWN: 7,
  PING: 8,
  CPONG_REPLY: 9,
  CPING: 10,
} as const

/** Method byte meaning "the method name follows as attribute {@link Attribute.STORED_METHOD}". */
export const STORED_METHOD_CODE = 0xff

/** Method codes 1..27 (Tomcat `methodTransArray`, index = code − 1). */
export const METHOD_CODES: ReadonlyMap<string, number> = new Map([
  ['OPTIONS', 1],
  ['GET', 2],
  ['HEAD', 3],
  ['POST', 4],
  ['PUT', 5],
  ['DELETE', 6],
  ['TRACE', 7],
  ['PROPFIND', 8],
  ['PROPPATCH', 9],
  ['MKCOL', 10],
  ['COPY', 11],
  ['MOVE', 12],
  ['LOCK', 13],
  ['UNLOCK', 14],
  ['ACL', 15],
  ['REPORT', 16],
  ['VERSION-CONTROL', 17],
  ['CHECKIN', 18],
  ['CHECKOUT', 19],
  ['UNCHECKOUT', 20],
  ['SEARCH', 21],
  ['MKWORKSPACE', 22],
  ['UPDATE', 23],
  ['LABEL', 24],
  ['MERGE', 25],
  ['BASELINE-CONTROL', 26],
  ['MKACTIVITY', 27],
])

/** Coded request header names (`0xA001..0xA00E`), keyed by lower-case name. */
export const REQUEST_HEADER_CODES: ReadonlyMap<string, number> = new Map([
  ['accept', 0xa001],
  ['accept-charset', 0xa002],
  ['accept-encoding', 0xa003],
  ['accept-language', 0xa004],
  ['authorization', 0xa005],
  ['connection', 0xa006],
  ['content-type', 0xa007],
  ['content-length', 0xa008],
  ['cookie', 0xa009],
  ['cookie2', 0xa00a],
  ['host', 0xa00b],
  ['pragma', 0xa00c],
  ['referer', 0xa00d],
  ['user-agent', 0xa00e],
])

/** Code of the request header `content-length`. */
export const CONTENT_LENGTH_CODE = 0xa008

/**
 * Coded response header names (`0xA001..0xA00B`), lower-case, indexed by `code - 0xA001`.
 * Tomcat picks a code only on an exact-case name match, so the same header can also arrive as a
 * string.
 */
export const RESPONSE_HEADER_NAMES: readonly string[] = [
  'content-type',
  'content-language',
  'content-length',
  'date',
  'last-modified',
  'location',
  'set-cookie',
  'set-cookie2',
  'servlet-engine',
  'status',
  'www-authenticate',
]

/** Attribute codes after the headers of a FORWARD_REQUEST . */
export const Attribute = {
  CONTEXT: 0x01,
  SERVLET_PATH: 0x02,
  REMOTE_USER: 0x03,
  AUTH_TYPE: 0x04,
  QUERY_STRING: 0x05,
  ROUTE: 0x06,
  SSL_CERT: 0x07,
  SSL_CIPHER: 0x08,
  SSL_SESSION: 0x09,
  REQ_ATTRIBUTE: 0x0a,
  SSL_KEY_SIZE: 0x0b,
  SECRET: 0x0c,
  STORED_METHOD: 0x0d,
  ARE_DONE: 0xff,
} as const

/**
 * `req_attribute` (0x0A) names this client sends. All are on Tomcat's allow list; any other name
 * makes Tomcat answer 403 (the Ghostcat fix), and none is ever taken from client input.
 */
export const ReqAttributeName = {
  REMOTE_PORT: 'AJP_REMOTE_PORT',
  LOCAL_ADDR: 'AJP_LOCAL_ADDR',
  SSL_PROTOCOL: 'AJP_SSL_PROTOCOL',
} as const

/** `12 34 00 00`: the empty data packet that ends a request body. Shared; never mutated. */
export const EMPTY_BODY_PACKET: Buffer = Buffer.from([0x12, 0x34, 0x00, 0x00])
/** `12 34 00 01 0A`: CPING. Shared; never mutated. */
export const CPING_PACKET: Buffer = Buffer.from([0x12, 0x34, 0x00, 0x01, MessageType.CPING])
