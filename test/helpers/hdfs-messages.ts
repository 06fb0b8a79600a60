/**
 * Generated HDFS traffic (`bench/hdfs-traffic.ts`) as the job reads it from
 * Kafka: each line's JSON message keyed by its block id, with the point id
 * the job gives it.
 */
import { hdfsTraffic } from '../../bench/hdfs-traffic.ts'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { pointId } from '../../operators/point-id.ts'

export interface HdfsMessage {
  readonly key: string
  readonly value: string
  readonly id: string
}

/** One HDFS log line as the job's keyed message, with its point id. */
export function hdfsMessage(line: string): HdfsMessage {
  const e = parseHdfsLine(line)
  if (!e) throw new Error(`not an HDFS line: ${line}`)
  return { key: String(e.block_id), value: JSON.stringify(e), id: pointId(e.text, e.timestamp) }
}

/** `count` messages of traffic `seed`, `duplicateShare` of them exact duplicates of earlier ones (none by default). */
export function hdfsMessages(count: number, seed: number, duplicateShare = 0): HdfsMessage[] {
  return [...hdfsTraffic({ count, duplicateShare, seed })].map(hdfsMessage)
}

/** A message as a keyed line for `kcatProduce(…, { keyed: true })`. */
export const kcatLine = (m: HdfsMessage): string => `${m.key}\t${m.value}`
