/**
 * Deterministic point ids.
 *
 * The key is the replaced job's: `text + "_" + timestamp`, for its message
 * format and for HDFS lines. A line whose format names who wrote it (a host, a
 * process id, a thread: syslog, log4j, JSON log lines…) adds them,
 * `text + "_" + timestamp + "_" + origin` with origin `host + "_" + pid + "_" +
 * thread` (empty where the line names none), so the same message written by
 * two processes in one second stays two points. Its id is the first
 * 16 bytes of SHA-256 over the key's UTF-8 bytes, with the version nibble set to
 * 8 and the variant bits to `10` (an RFC 9562 UUIDv8, the version for
 * name-based ids from hashes other than MD5 and SHA-1), written as a lowercase
 * hyphenated UUID. Any language reproduces it:
 *
 *   h = sha256((text + "_" + timestamp).encode("utf-8")).digest()[:16]
 *   h[6] = (h[6] & 0x0f) | 0x80; h[8] = (h[8] & 0x3f) | 0x80
 *   str(uuid.UUID(bytes=bytes(h)))
 */
import { hash } from 'node:crypto'

/** The dedup key of an entry: the replaced job's, with the line's origin when its format names one. */
export function pointKey(text: string, timestamp: string, origin?: string): string {
  return origin === undefined ? `${text}_${timestamp}` : `${text}_${timestamp}_${origin}`
}

/** The origin part of a key: who wrote the line, or undefined when its format names nobody. */
export function originOf(host: unknown, pid: unknown, thread: unknown): string | undefined {
  if (host === undefined && pid === undefined && thread === undefined) return undefined
  return `${host ?? ''}_${pid ?? ''}_${thread ?? ''}`
}

/**
 * The point id of an entry: same text and timestamp, same id, in every process.
 *
 * @example
 * pointId('PacketResponder 1 for block blk_38865049064139660 terminating', '2008-11-09T20:36:15')
 */
export function pointId(text: string, timestamp: string, origin?: string): string {
  // One-shot hash to hex: half the time of hashing to a Buffer and printing it (measured), and no Buffer a record.
  const hex = hash('sha256', pointKey(text, timestamp, origin), 'hex')
  // The UUID is written into one scratch buffer and read out as one flat string: built from slices, it was a tree of
  // concatenations that every Set and Map look-up of the id flattened again (0.4 µs an id more, and garbage; measured).
  const out = UUID_SCRATCH
  for (let i = 0, at = 0; i < 32; i++) {
    if (at === 8 || at === 13 || at === 18 || at === 23) out[at++] = HYPHEN
    out[at++] = hex.charCodeAt(i)
  }
  // Version 8 is the first digit of the third group; the variant bits 10 make the fourth group start with 8, 9, a or b.
  out[14] = VERSION_8
  out[19] = VARIANT_DIGITS.charCodeAt(parseInt(hex[16]!, 16) & 3)
  return out.toString('latin1', 0, 36)
}

const UUID_SCRATCH = Buffer.alloc(36)
const HYPHEN = 0x2d
const VERSION_8 = 0x38
const VARIANT_DIGITS = '89ab'
