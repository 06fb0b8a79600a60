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
  // One-shot hash to hex, with the version and variant set in the text: half the time of hashing to a Buffer, setting
  // its bits and printing it (measured), and no Buffer a record. Strings are hashed as UTF-8.
  const hex = hash('sha256', pointKey(text, timestamp, origin), 'hex')
  // Version 8 is the first digit of the third group; the variant bits 10 make the fourth group start with 8, 9, a or b.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${VARIANT_DIGITS[parseInt(hex[16]!, 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

const VARIANT_DIGITS = '89ab'
