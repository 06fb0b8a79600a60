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

/** `count` distinct messages of traffic `seed` (no duplicates). */
export function hdfsMessages(count: number, seed: number): HdfsMessage[] {
  return [...hdfsTraffic({ count, duplicateShare: 0, seed })].map((line) => {
    const e = parseHdfsLine(line)!
    return { key: String(e.block_id), value: JSON.stringify(e), id: pointId(e.text, e.timestamp) }
  })
}

/** A message as a keyed line for `kcatProduce(…, { keyed: true })`. */
export const kcatLine = (m: HdfsMessage): string => `${m.key}\t${m.value}`
