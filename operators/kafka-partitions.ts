/**
 * Kafka partition names and partition-group specs, the one definition of each:
 * a partition is named `topic/N` in checkpoints, metrics and logs, and a
 * partition group is written `logs:0-3,other:1`.
 */

export interface PartitionSpec {
  readonly topic: string
  readonly partition: number
}

/** `logs:0-3,other:1` → the partitions it names, in order; throws a RangeError naming the bad part. */
export function parsePartitionSpec(spec: string): PartitionSpec[] {
  const out: PartitionSpec[] = []
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^:]+):(\d+)(?:-(\d+))?$/.exec(part)
    if (!m || (m[3] !== undefined && Number(m[3]) < Number(m[2]))) throw new RangeError(`must be TOPIC:N or TOPIC:FROM-TO, comma-separated, got ${JSON.stringify(part)}`)
    const from = Number(m[2])
    const to = m[3] === undefined ? from : Number(m[3])
    for (let p = from; p <= to; p++) out.push({ topic: m[1]!, partition: p })
  }
  return out
}

/** The name of a partition in checkpoints, metrics and logs. */
export const partitionName = (topic: string, partition: number): string => `${topic}/${partition}`

/**
 * `partitionName` for every record of a source: the same string object for a
 * partition each time, so no record builds one and the maps keyed by it reuse
 * its hash instead of building and hashing a new string a record.
 */
export function partitionNamer(): (topic: string, partition: number) => string {
  const byTopic = new Map<string, string[]>()
  return (topic, partition) => {
    let names = byTopic.get(topic)
    if (!names) byTopic.set(topic, (names = []))
    return (names[partition] ??= partitionName(topic, partition))
  }
}

/** The inverse of `partitionName`; topics may hold dots, dashes and slashes. */
export function splitPartitionName(name: string): PartitionSpec {
  const slash = name.lastIndexOf('/')
  return { topic: name.slice(0, slash), partition: Number(name.slice(slash + 1)) }
}
