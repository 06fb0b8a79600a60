/** Deterministic batch ids from the source ranges a batch covers. */
import { createHash } from 'node:crypto'
import type { PartitionRange } from './contracts.ts'

/**
 * The id of a batch: the first 16 hex digits of SHA-256 over its ranges sorted
 * by partition, written `partition:from-to` and joined by commas. A replay over
 * the same ranges gets the same id.
 *
 * @example
 * batchIdFor([{ partition: 'logs/0', from: 0, to: 1000 }])
 */
export function batchIdFor(ranges: readonly PartitionRange[]): string {
  const canonical = [...ranges]
    .sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0))
    .map((r) => `${r.partition}:${r.from}-${r.to}`)
    .join(',')
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 16)
}
