/**
 * `logstream checkpoint show|reset`: what a job's checkpoint holds, and moving
 * its positions by hand (with a confirmation).
 */
import { statSync } from 'node:fs'
import { createInterface } from 'node:readline/promises'
import type { Config } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { existingCheckpoint, jobIdentity } from '../adapters/factory.ts'
import { openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import type { CheckpointStore } from '../../checkpoints/store.ts'
import { partitionName, splitPartitionName, type PartitionSpec } from '../../operators/kafka-partitions.ts'
import { lockCheckpoint } from '../../checkpoints/lock.ts'
import { withConsumer, type ConsumerOptions } from '../../operators/kafka-clients.ts'
import { field, int, optionalField, text } from '../options.ts'
import { defineCommand } from './command.ts'
import { jsonOption, yesOption } from './common-options.ts'

const DESCRIPTION = `show   the job's identity, committed positions, pending and recent batches with their timings
reset  moves the positions the job resumes from; asks for confirmation unless --yes.
       earliest/latest: the start or end of every partition (Kafka watermarks, or the file's size);
       PARTITION=OFFSET: e.g. logs/0=1200,logs/1=0 (a file's partition is file:/abs/path).
       In consumer-group mode the group's committed offsets are moved too.

Moving a partition group to another machine: stop the job, copy its checkpoint
directory (the *.checkpoint.sqlite file with its -wal and -shm files), start it
there with the same job name and configuration.`

export const command = defineCommand({
  name: 'checkpoint',
  summary: 'Show or reset a job checkpoint',
  usage: ['checkpoint show [--json] [--limit N] [options]', 'checkpoint reset --to earliest|latest|PARTITION=OFFSET,... [--yes] [options]'],
  description: DESCRIPTION,
  positionals: { name: 'an action: show or reset', min: 1, max: 1 },
  options: {
    json: jsonOption(),
    limit: field(int(1, 100_000), 10, { flag: 'limit', description: 'Recent batches shown' }),
    to: optionalField(text(), { flag: 'to', description: 'Where reset moves the positions: earliest, latest, or PARTITION=OFFSET pairs, comma-separated' }),
    yes: yesOption('Reset'),
  },
  async run(args) {
    const [action] = args.positionals
    const o = args.options
    const config = args.config()
    const path = existingCheckpoint(config)
    switch (action) {
      case 'show': {
        const store = openCheckpointStore({ path, identity: jobIdentity(config), readonly: true })
        try {
          show(store, o.limit, o.json)
        } finally {
          store.close()
        }
        return 0
      }
      case 'reset': {
        const to = o.to
        if (!to) throw new LogstreamError('USAGE', 'reset needs --to earliest|latest|PARTITION=OFFSET,...')
        // Moving positions under a running job would be undone by its next commit: refuse while it runs.
        const lock = lockCheckpoint(config.checkpointDir, config.job)
        const store = openCheckpointStore({ path, identity: jobIdentity(config) })
        try {
          const target = await targetPositions(config, store, to)
          const lines = [...target].map(([p, o]) => `  ${p}: ${store.positions().get(p) ?? '(none)'} → ${o ?? '(start position)'}`)
          process.stdout.write(`Reset of job ${config.job} (${path}):\n${lines.join('\n')}\n`)
          if (store.pendingBatches().length > 0) process.stdout.write(`  ${store.pendingBatches().length} pending batch(es) will be dropped\n`)
          if (!(o.yes || (await confirm('Proceed? [y/N] ')))) {
            process.stdout.write('Nothing changed.\n')
            return 1
          }
          await applyReset(config, store, target)
          process.stdout.write('Positions reset.\n')
          return 0
        } finally {
          store.close()
          lock.release()
        }
      }
      default:
        throw new LogstreamError('USAGE', `unknown action ${JSON.stringify(action)}: show or reset`)
    }
  },
})

/**
 * Moves a job's checkpoint to the start of its source (the start of every
 * partition, or of the file), as `reset --to earliest` does; in consumer-group
 * mode the group's offsets too.
 */
export async function resetToEarliest(config: Config, store: CheckpointStore): Promise<void> {
  await applyReset(config, store, await targetPositions(config, store, 'earliest'))
}

/** In consumer-group mode the group's offsets move too, or "the further of checkpoint and group" would undo the reset. */
async function applyReset(config: Config, store: CheckpointStore, target: ReadonlyMap<string, number | null>): Promise<void> {
  store.resetPositions(target)
  if (config.source.kind === 'kafka' && config.kafka.partitions.length === 0) await commitGroupOffsets(config, target)
}

function show(store: CheckpointStore, limit: number, json: boolean): void {
  const positions = Object.fromEntries([...store.positions()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })))
  const pending = store.pendingBatches()
  const recent = store.recentBatches(limit)
  if (json) {
    process.stdout.write(`${JSON.stringify({ path: store.path, identity: store.identity, positions, pending, recent }, null, 2)}\n`)
    return
  }
  const out: string[] = [`Checkpoint ${store.path}`, `  job ${store.identity.job}, source ${store.identity.source}, sink ${store.identity.sink}, dimension ${store.identity.dim}`, '', 'Positions (next offset to read):']
  for (const [p, o] of Object.entries(positions)) out.push(`  ${p.padEnd(40)} ${o}`)
  if (Object.keys(positions).length === 0) out.push('  (none yet)')
  out.push('', `Pending batches (replayed on the next start): ${pending.length === 0 ? 'none' : ''}`)
  for (const b of pending) out.push(`  #${b.seq} ${b.id} planned ${new Date(b.plannedAt).toISOString()} ${b.ranges.map((r) => `${r.partition}[${r.from},${r.to})`).join(' ')}`)
  out.push('', 'Recent batches:', '  seq     id                state      committed at               received  stored  skipped  dead   seconds (dedup/embed/score/sink/commit)')
  for (const b of recent) {
    const c = b.counts
    const t = b.timings ?? {}
    const secs = ['dedup', 'embed', 'score', 'sink', 'commit'].map((k) => (t[k] ?? 0).toFixed(3)).join('/')
    out.push(
      `  ${String(b.seq).padEnd(7)} ${b.id} ${b.state.padEnd(10)} ${b.committedAt ? new Date(b.committedAt).toISOString() : '-'.padEnd(24)} ${String(c?.received ?? '-').padStart(8)} ${String(c?.stored ?? '-').padStart(7)} ${String(c ? c.skippedExisting + c.duplicatesInBatch : '-').padStart(8)} ${String(c?.deadLettered ?? '-').padStart(5)}   ${secs}`,
    )
  }
  process.stdout.write(`${out.join('\n')}\n`)
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new LogstreamError('USAGE', 'no terminal to confirm on: pass --yes to reset without asking')
  const rl = createInterface({ input: process.stdin, output: process.stdout })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

async function targetPositions(config: Config, store: CheckpointStore, to: string): Promise<Map<string, number | null>> {
  if (to !== 'earliest' && to !== 'latest') {
    const target = new Map<string, number | null>()
    for (const pair of to.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = pair.lastIndexOf('=')
      const offset = Number(pair.slice(eq + 1))
      if (eq <= 0 || !Number.isSafeInteger(offset) || offset < 0) throw new LogstreamError('USAGE', `--to takes PARTITION=OFFSET pairs, got ${JSON.stringify(pair)}`)
      target.set(pair.slice(0, eq), offset)
    }
    return target
  }
  if (config.source.kind === 'file') {
    const file = config.source.path
    return new Map([[`file:${file}`, to === 'earliest' ? 0 : statSync(file).size]])
  }
  const marks = await watermarks(config)
  return new Map([...marks].map(([p, w]) => [p, to === 'earliest' ? w.low : w.high]))
}

/** The tools' consumer: the job's brokers, group and properties. */
const consumerOf = (config: Config): ConsumerOptions => ({ brokers: config.kafka.brokers, groupId: config.kafka.groupId, properties: config.kafka.properties, clientId: 'logstream-checkpoint' })

/** Low and high watermarks of every partition of the job's topics (or of its partition group). */
async function watermarks(config: Config): Promise<Map<string, { low: number; high: number }>> {
  return withConsumer(consumerOf(config), async (c) => {
    const partitions: PartitionSpec[] = [...config.kafka.partitions]
    if (partitions.length === 0) {
      for (const topic of config.kafka.topics) {
        const meta = await new Promise<{ topics: Array<{ name: string; partitions: Array<{ id: number }> }> }>((resolve, reject) =>
          c.getMetadata({ topic, timeout: 10_000 }, (err, data) => (err ? reject(err) : resolve(data as never))),
        )
        for (const t of meta.topics.filter((t) => t.name === topic)) for (const p of t.partitions) partitions.push({ topic, partition: p.id })
      }
    }
    const out = new Map<string, { low: number; high: number }>()
    for (const p of partitions) {
      const w = await new Promise<{ lowOffset: number; highOffset: number }>((resolve, reject) => c.queryWatermarkOffsets(p.topic, p.partition, 10_000, (err, offsets) => (err ? reject(err) : resolve(offsets))))
      out.set(partitionName(p.topic, p.partition), { low: w.lowOffset, high: w.highOffset })
    }
    return out
  })
}

/** In consumer-group mode the group's offsets are moved too, or "the further of checkpoint and group" would undo the reset. */
async function commitGroupOffsets(config: Config, target: ReadonlyMap<string, number | null>): Promise<void> {
  const offsets = [...target].filter(([, o]) => o !== null).map(([p, o]) => ({ ...splitPartitionName(p), offset: o as number }))
  if (offsets.length === 0) return
  await withConsumer(consumerOf(config), async (c) => {
    c.assign(offsets.map(({ topic, partition }) => ({ topic, partition })))
    c.commitSync(offsets)
  })
}
