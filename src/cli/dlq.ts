/**
 * `logstream dlq list|replay`: the dead letters a job kept (in its checkpoint
 * store, with their position and reason), and re-feeding them after a fix.
 * Replay parses each again with the current parser: those that now parse are
 * published back to their topic (or appended to a file) for the job to read,
 * and marked replayed; those still malformed stay, with their reason.
 */
import { appendFileSync } from 'node:fs'
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { existingCheckpoint, jobIdentity } from '../adapters/factory.ts'
import { openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { parseRecord } from '../../operators/parse.ts'
import { splitPartitionName } from '../../operators/kafka-source.ts'

const HELP = `Usage: logstream dlq list [--json] [--limit N] [--all] [options]
       logstream dlq replay [--to-topic T | --to-file F] [--limit N] [options]

list    dead letters of the job: position, reason, detail and the start of the message
        (--all includes those already replayed)
replay  parses each again; those that now parse go back to their topic (or --to-topic,
        or appended to --to-file for file jobs) and are marked replayed

Options:
${configHelp()}
`

const preview = (v: Buffer) => v.subarray(0, 120).toString('utf8').replace(/[\u0000-\u001f\u007f]/g, '·')

export const command: Command = {
  name: 'dlq',
  summary: 'List and replay dead letters',
  async run(argv) {
    const args = parseArgs(argv, { flags: { json: 'bool', limit: 'value', all: 'bool', 'to-topic': 'value', 'to-file': 'value' } })
    const [action] = args.positionals
    if (args.flags.has('help') || !action) {
      process.stdout.write(HELP)
      return action ? 0 : 2
    }
    const config = loadConfig({ flags: args.flags, env: process.env })
    const path = existingCheckpoint(config)
    const store = openCheckpointStore({ path, identity: jobIdentity(config) })
    const limit = Number(args.flags.get('limit')?.at(-1) ?? 1000)
    try {
      if (action === 'list') {
        const letters = store.deadLetters({ limit, includeReplayed: args.flags.get('all')?.at(-1) === 'true' })
        if (args.flags.get('json')?.at(-1) === 'true') {
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
      const toFile = args.flags.get('to-file')?.at(-1)
      const toTopic = args.flags.get('to-topic')?.at(-1)
      if (config.source !== 'kafka' && !toFile) throw new LogstreamError('USAGE', 'a file job replays its dead letters into a file: --to-file F (then run a job on it)')
      const letters = store.deadLetters({ limit })
      const fixed = letters.filter((d) => 'entry' in parseRecord({ partition: d.partition, offset: d.offset, nextOffset: d.offset + 1, key: d.key, value: d.value }, { maxMessageBytes: config.maxMessageBytes }))
      if (fixed.length > 0) {
        if (toFile) appendFileSync(toFile, Buffer.concat(fixed.flatMap((d) => [d.value, Buffer.from('\n')])))
        else {
          const { connectProducer } = await import('../adapters/kafka-producer.ts')
          const producer = await connectProducer({ brokers: config.kafka.brokers, properties: config.kafka.properties, clientId: 'logstream-dlq-replay' })
          try {
            await producer.send(fixed.map((d) => ({ topic: toTopic ?? splitPartitionName(d.partition).topic, key: d.key, value: d.value, headers: { replayed_from: `${d.partition}@${d.offset}` } })))
          } finally {
            await producer.close()
          }
        }
        store.markDeadLettersReplayed(fixed)
      }
      const summary = { replayed: fixed.length, stillMalformed: letters.length - fixed.length, to: toFile ?? toTopic ?? 'their topics' }
      process.stdout.write(`${args.flags.get('json')?.at(-1) === 'true' ? JSON.stringify(summary) : `Replayed ${summary.replayed} dead letter(s) to ${summary.to}; ${summary.stillMalformed} still malformed and kept.`}\n`)
      return 0
    } finally {
      store.close()
    }
  },
}
