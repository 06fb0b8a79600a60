/**
 * `logstream dlq list|replay`: the dead letters a job kept (in its checkpoint
 * store, with their position and reason), and re-feeding them after a fix.
 * Replay parses each again with the current parser: those that now parse are
 * published back to their topic (or appended to a file) for the job to read,
 * and marked replayed; those still malformed stay, with their reason.
 */
import { appendFileSync } from 'node:fs'
import { LogstreamError } from '../../core/errors.ts'
import { existingCheckpoint, jobIdentity } from '../adapters/factory.ts'
import { openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { parseRecord } from '../../operators/parse.ts'
import { splitPartitionName } from '../../operators/kafka-partitions.ts'
import { bool, field, int, optionalField, text } from '../options.ts'
import { defineCommand } from './command.ts'
import { jsonOption } from './common-options.ts'
import { resolveLineFormat } from '../../operators/formats/index.ts'

const DESCRIPTION = `list    dead letters of the job: position, reason, detail and the start of the message
        (--all includes those already replayed)
replay  parses each again; those that now parse go back to their topic with their own time
        and headers (or --to-topic, or appended to --to-file for file jobs) and are marked replayed`

const preview = (v: Buffer) => v.subarray(0, 120).toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '·')

export const command = defineCommand({
  name: 'dlq',
  summary: 'List and replay dead letters',
  usage: ['dlq list [--json] [--limit N] [--all] [options]', 'dlq replay [--to-topic T | --to-file F] [--limit N] [options]'],
  description: DESCRIPTION,
  positionals: { name: 'an action: list or replay', min: 1, max: 1 },
  options: {
    json: jsonOption(),
    limit: field(int(1), 1000, { flag: 'limit', description: 'Dead letters listed or replayed at most' }),
    all: field(bool(), false, { flag: 'all', description: 'List those already replayed too' }),
    toTopic: optionalField(text(), { flag: 'to-topic', description: 'Replay to this topic instead of the one each came from' }),
    toFile: optionalField(text(), { flag: 'to-file', description: 'Replay by appending to this file (file jobs)' }),
  },
  async run(args) {
    const [action] = args.positionals
    const { json, limit, all, toTopic, toFile } = args.options
    const config = args.config()
    const path = existingCheckpoint(config)
    const store = openCheckpointStore({ path, identity: jobIdentity(config) })
    try {
      if (action === 'list') {
        const letters = store.deadLetters({ limit, includeReplayed: all })
        if (json) {
          const out = letters.map((d) => ({ ...d, value: d.value.toString('base64'), preview: preview(d.value) }))
          process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
        } else {
          process.stdout.write(`${letters.length} dead letter(s) of job ${config.job}\n`)
          for (const d of letters) {
            process.stdout.write(`  ${d.partition}@${d.offset}  ${d.reason.padEnd(16)} ${d.detail.slice(0, 60).padEnd(60)} ${d.replayedAt ? '(replayed) ' : ''}${preview(d.value)}\n`)
          }
        }
        return 0
      }
      if (action !== 'replay') throw new LogstreamError('USAGE', `unknown action ${JSON.stringify(action)}: list or replay`)
      if (config.source.kind !== 'kafka' && !toFile) throw new LogstreamError('USAGE', 'a file job replays its dead letters into a file: --to-file F (then run a job on it)')
      const letters = store.deadLetters({ limit })
      const fixed = letters.filter(
        (d) =>
          'entry' in
          parseRecord(
            { partition: d.partition, offset: d.offset, nextOffset: d.offset + 1, key: d.key, value: d.value, timestampMs: d.timestampMs ?? undefined },
            { maxMessageBytes: config.maxMessageBytes, format: resolveLineFormat(config.lineFormat) },
          ),
      )
      if (fixed.length > 0) {
        if (toFile) appendFileSync(toFile, Buffer.concat(fixed.flatMap((d) => [d.value, Buffer.from('\n')])))
        else {
          const { connectProducer, ORIGINAL_TIMESTAMP_HEADER } = await import('../../operators/kafka-clients.ts')
          const producer = await connectProducer({ brokers: config.kafka.brokers, properties: config.kafka.properties, clientId: 'logstream-dlq-replay' })
          try {
            // Sent as it came, its time and headers too: a message's id may be made of its time (no timestamp field, or
            // a line without a year), and the job that reads the replay must give it the id the original would get.
            const restamped = await producer.sendKeepingTimes(
              fixed.map((d) => ({
                topic: toTopic ?? splitPartitionName(d.partition).topic,
                key: d.key,
                value: d.value,
                headers: { ...d.headers, replayed_from: `${d.partition}@${d.offset}` },
                timestampMs: d.timestampMs ?? undefined,
              })),
            )
            if (restamped > 0) {
              process.stderr.write(
                `logstream dlq: ${restamped} message(s) went stamped now: their topic refuses messages of their own time (message.timestamp.before.max.ms or after.max.ms). Their own time is in the ${ORIGINAL_TIMESTAMP_HEADER} header; a message whose id is made of its time (no timestamp field, or a line without a year) gets another id.\n`,
              )
            }
          } finally {
            await producer.close()
          }
        }
        store.markDeadLettersReplayed(fixed)
      }
      const summary = { replayed: fixed.length, stillMalformed: letters.length - fixed.length, to: toFile ?? toTopic ?? 'their topics' }
      process.stdout.write(`${json ? JSON.stringify(summary) : `Replayed ${summary.replayed} dead letter(s) to ${summary.to}; ${summary.stillMalformed} still malformed and kept.`}\n`)
      return 0
    } finally {
      store.close()
    }
  },
})
