/**
 * `JSON.parse` of a body in bytes that never holds the body as one string.
 *
 * An embedding answer in base64 is about 2 KB of text a vector: 256 vectors
 * make a 525 KB string, which V8 allocates in its large-object space, part of
 * the old generation. Every answer's string then counts towards the next full
 * collection, which marks the whole live heap: in the production first load
 * these strings were most of the old generation's growth, and the marking
 * they caused more CPU than any stage of the job (BENCHMARKS.md, Round 7).
 *
 * Here each long string is cut out of the bytes and made a string of its own
 * (young, and dead once decoded), and only the rest of the body, short, goes
 * through `JSON.parse`. The value is the one `JSON.parse` gives for the whole
 * text, with one leniency: a long string is taken as its bytes are, so a raw
 * control character inside one (which JSON forbids) is not refused here.
 */
import { isAscii } from 'node:buffer'
import { randomBytes } from 'node:crypto'

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Strings at least this long (in bytes) are cut out: a base64 vector of 384 float32s is 2,048. */
export const LONG_STRING_BYTES = 512

// A JSON text can hold a NUL character only as an escape, and only a string without escapes is cut out, so a
// placeholder is told from the answer's own strings by the random tag after the NUL.
const NONCE = randomBytes(8).toString('hex')
/** The placeholder's start as the parsed string holds it, and as JSON text writes it. */
const TAG = `\u0000${NONCE}:`
const TAG_JSON = `\\u0000${NONCE}:`

const text = (bytes: Buffer, start: number, end: number): string => {
  const part = bytes.subarray(start, end)
  return isAscii(part) ? part.toString('latin1') : part.toString('utf8')
}

/**
 * @example
 * parseJsonBytes(Buffer.from('{"embeddings":["AACAPw=="]}')) // { embeddings: ['AACAPw=='] }
 */
export function parseJsonBytes(bytes: Buffer, longString = LONG_STRING_BYTES): unknown {
  const long: string[] = []
  const rest: string[] = []
  let copied = 0
  let at = 0
  for (;;) {
    // Outside strings a JSON text has no quote, so each quote found from here opens a string.
    const open = bytes.indexOf(QUOTE, at)
    if (open < 0) break
    let close = bytes.indexOf(QUOTE, open + 1)
    while (close > 0 && escaped(bytes, close)) close = bytes.indexOf(QUOTE, close + 1)
    if (close < 0) break // unterminated: JSON.parse says so below
    if (close - open - 1 >= longString && bytes.subarray(open + 1, close).indexOf(BACKSLASH) < 0) {
      rest.push(text(bytes, copied, open + 1), TAG_JSON, String(long.length))
      long.push(text(bytes, open + 1, close))
      copied = close
    }
    at = close + 1
  }
  if (long.length === 0) return JSON.parse(text(bytes, 0, bytes.length))
  rest.push(text(bytes, copied, bytes.length))
  let value: unknown
  try {
    value = JSON.parse(rest.join(''), (_key, v: unknown) => (typeof v === 'string' && v.charCodeAt(0) === 0 && v.startsWith(TAG) ? long[Number(v.slice(TAG.length))] : v))
  } catch {
    // Not JSON: the whole text again, so the error names the position in the body itself.
    return JSON.parse(text(bytes, 0, bytes.length))
  }
  return value
}

/** True when the quote at `at` is escaped: an odd number of backslashes before it. */
function escaped(bytes: Buffer, at: number): boolean {
  let n = 0
  while (at - 1 - n >= 0 && bytes[at - 1 - n] === BACKSLASH) n++
  return n % 2 === 1
}
