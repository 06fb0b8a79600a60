/** Builders of batches and entries for operator tests. */
import type { Batch, LogEntry, ParsedEntry } from '../../operators/contracts.ts'
import { pointId } from '../../operators/point-id.ts'
import { batchIdFor } from '../../operators/batch-id.ts'
import { record } from './context.ts'

export function entry(text: string, offset: number, partition = 'logs/0', timestamp = '2008-11-09T20:36:15.000'): ParsedEntry {
  const e: LogEntry = { text, original_text: text, log_level: 'INFO', source: 'hdfs_datanode', timestamp, node_type: 'datanode', label: null, block_id: null, component: null }
  return { kind: 'entry', id: pointId(text, timestamp), entry: e, record: record(JSON.stringify(e), offset, partition, { timestampMs: Date.now() - 50 }) }
}

export function batchOf(entries: ParsedEntry[], seq = 0): Batch {
  const byPartition = new Map<string, { from: number; to: number }>()
  for (const e of entries) {
    const r = byPartition.get(e.record.partition)
    if (r) r.to = Math.max(r.to, e.record.nextOffset)
    else byPartition.set(e.record.partition, { from: e.record.offset, to: e.record.nextOffset })
  }
  const ranges = [...byPartition].map(([partition, r]) => ({ partition, ...r }))
  return { id: batchIdFor(ranges), seq, ranges, entries, deadLetters: [], openedAt: performance.now(), stageTimings: {} }
}
