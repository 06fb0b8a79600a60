/**
 * Deterministic point ids.
 *
 * The key is the replaced job's: `text + "_" + timestamp`. Its id is the first
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

/** The replaced job's dedup key for an entry. */
export function pointKey(text: string, timestamp: string): string {
  return `${text}_${timestamp}`
}

/**
 * The point id of an entry: same text and timestamp, same id, in every process.
 *
 * @example
 * pointId('PacketResponder 1 for block blk_38865049064139660 terminating', '2008-11-09T20:36:15')
 */
export function pointId(text: string, timestamp: string): string {
  // One-shot hash: 1.6x faster than a Hash object per id (measured); strings are hashed as UTF-8.
  const h = hash('sha256', pointKey(text, timestamp), 'buffer')
  h[6] = (h[6]! & 0x0f) | 0x80
  h[8] = (h[8]! & 0x3f) | 0x80
  const hex = h.toString('hex', 0, 16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
