/**
 * Entries as the parse stage makes them, from generated HDFS traffic with no
 * duplicates: where the benchmarks that drive the store or a writer directly
 * (bench/store.ts, bench/bodies.ts) start, so their payloads are the job's.
 */
import { parseRecord } from '../operators/parse.ts'
import type { ParsedEntry } from '../operators/contracts.ts'
import { hdfsTraffic } from './hdfs-traffic.ts'

/** The entries of `count` lines of traffic (seed 3), each with its record at an offset of partition `bench/0`. */
export function freshEntries(count: number): ParsedEntry[] {
  const fresh: ParsedEntry[] = []
  let offset = 0
  for (const line of hdfsTraffic({ count, duplicateShare: 0, seed: 3 })) {
    const record = { partition: 'bench/0', offset, nextOffset: offset + 1, key: null, value: Buffer.from(line) }
    offset++
    const parsed = parseRecord(record, { maxMessageBytes: 1 << 20 })
    if ('entry' in parsed) fresh.push({ kind: 'entry', id: parsed.id, entry: parsed.entry, record })
  }
  return fresh
}
