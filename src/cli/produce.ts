/**
 * `logstream produce PATH...`: the HDFS log processor that feeds the job. Reads
 * raw HDFS log files (files, folders, or one file followed as it grows), turns
 * each line into the message format and publishes it keyed by its HDFS block
 * id, so one block's lines stay in order in one partition. Exits non-zero if
 * any message was not delivered.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import KafkaJs from '@confluentinc/kafka-javascript'
import type { Producer as ProducerType, LibrdKafkaError, DeliveryReport } from '@confluentinc/kafka-javascript'
import { lastValueFrom, defaultIfEmpty, concatMap } from 'rxjs'
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { createFileSource } from '../../operators/file-source.ts'
import { FlowControl } from '../../operators/flow-control.ts'
import { parseRecord } from '../../operators/parse.ts'
import { maskProperties } from '../../operators/kafka-source.ts'

const { Producer } = KafkaJs as unknown as { Producer: typeof ProducerType }
const QUEUE_FULL = -184

const HELP = `Usage: logstream produce PATH... [--follow] [--topic T] [options]

Publishes raw HDFS log lines (files, or every file of a folder) to Kafka in the
message format, keyed by HDFS block id. --follow keeps reading one growing file.

Options:
  --follow           keep reading the file as it grows (one file)
  --topic T          topic to publish to (default: the first of --topics)
  --no-progress      no progress bar
${configHelp()}
`

/** The files a path names: itself, or the regular files of a folder in name order. */
export function filesOf(path: string): string[] {
  const full = resolve(path)
  const st = statSync(full)
  if (!st.isDirectory()) return [full]
  return readdirSync(full)
    .filter((name) => !name.startsWith('.'))
    .map((name) => join(full, name))
    .filter((p) => statSync(p).isFile())
    .sort()
}

class Progress {
  #last = 0
  constructor(
    private readonly total: number,
    private readonly tty: boolean,
  ) {}
  update(done: number, sent: number, delivered: number, failed: number, force = false): void {
    const now = Date.now()
    if (!force && now - this.#last < (this.tty ? 100 : 5000)) return
    this.#last = now
    if (this.tty) {
      const share = this.total > 0 ? Math.min(1, done / this.total) : 0
      const width = 30
      const bar = '█'.repeat(Math.round(share * width)).padEnd(width, '░')
      process.stderr.write(`\r${bar} ${(share * 100).toFixed(0).padStart(3)}%  ${sent} sent, ${delivered} delivered${failed ? `, ${failed} failed` : ''}   `)
    } else {
      process.stderr.write(`produce: ${sent} sent, ${delivered} delivered, ${failed} failed\n`)
    }
  }
  end(): void {
    if (this.tty) process.stderr.write('\n')
  }
}

export const command: Command = {
  name: 'produce',
  summary: 'Publish raw HDFS log files to Kafka in the message format',
  async run(argv) {
    const args = parseArgs(argv, { flags: { topic: 'value', progress: 'bool' } })
    if (args.flags.has('help')) {
      process.stdout.write(HELP)
      return 0
    }
    if (args.positionals.length === 0) throw new LogstreamError('USAGE', 'produce needs at least one file or folder (see --help)')
    const config = loadConfig({ flags: args.flags, env: process.env })
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const topic = args.flags.get('topic')?.at(-1) ?? config.kafka.topics[0]!
    let files: string[]
    try {
      files = args.positionals.flatMap(filesOf)
    } catch (err) {
      throw new LogstreamError('USAGE', `cannot read ${(err as NodeJS.ErrnoException).path ?? args.positionals.join(' ')}: ${(err as Error).message}`)
    }
    if (config.follow && files.length !== 1) throw new LogstreamError('USAGE', '--follow takes exactly one file')
    const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0)
    const showProgress = args.flags.get('progress')?.at(-1) !== 'false'
    const progress = showProgress ? new Progress(totalBytes, process.stderr.isTTY === true && !config.follow) : null

    const producer = new Producer({
      'bootstrap.servers': config.kafka.brokers,
      'client.id': 'logstream-produce',
      dr_cb: true,
      'enable.idempotence': true,
      acks: 'all',
      'linger.ms': 10,
      'compression.type': 'lz4',
      'message.timeout.ms': 120_000,
      ...config.kafka.properties,
    } as never)
    let sent = 0
    let delivered = 0
    let failed = 0
    let firstError: string | null = null
    producer.on('delivery-report', (err: LibrdKafkaError | null, _report: DeliveryReport) => {
      if (err) {
        failed++
        firstError ??= err.message
        logger.error({ err: { message: err.message, code: err.code } }, 'message not delivered')
      } else delivered++
    })
    producer.on('event.error', (err: LibrdKafkaError) => logger.warn({ err: { message: err.message, code: err.code } }, 'Kafka error; librdkafka keeps retrying'))
    producer.setPollInterval(50)
    await new Promise<void>((resolveConnect, reject) =>
      producer.connect({ timeout: 30_000 }, (err) => (err ? reject(new LogstreamError('KAFKA_FAILED', `cannot reach Kafka at ${config.kafka.brokers}: ${err.message}`, { retryable: true })) : resolveConnect())),
    )
    logger.info({ brokers: config.kafka.brokers, topic, files: files.length, properties: maskProperties(config.kafka.properties) }, `Publishing ${files.length} file(s) to ${topic}`)

    const stop = new AbortController()
    const onSignal = () => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let bytesDone = 0
    let skipped = 0
    const flow = new FlowControl(Number.MAX_SAFE_INTEGER)
    const send = async (value: Buffer, key: string | null): Promise<void> => {
      for (;;) {
        try {
          producer.produce(topic, null, value, key, Date.now())
          sent++
          return
        } catch (err) {
          if ((err as LibrdKafkaError).code !== QUEUE_FULL) throw err
          // The local queue is full: let deliveries drain it.
          await new Promise((r) => setTimeout(r, 50))
        }
      }
    }
    try {
      for (const file of files) {
        if (stop.signal.aborted) break
        const source = createFileSource({ path: file, follow: config.follow, maxLineBytes: config.maxMessageBytes })
        const base = bytesDone
        await lastValueFrom(
          source.open({ logger, flow, signal: stop.signal, resumeFrom: () => undefined }).pipe(
            concatMap(async (records) => {
              for (const record of records) {
                const outcome = parseRecord(record, { maxMessageBytes: config.maxMessageBytes })
                if (!('entry' in outcome)) {
                  skipped++
                  if (outcome.reason !== 'empty') logger.warn({ file, offset: record.offset, reason: outcome.reason }, 'line skipped')
                  continue
                }
                await send(Buffer.from(JSON.stringify(outcome.entry)), outcome.entry.block_id)
                bytesDone = base + record.nextOffset
              }
              flow.release(records.length)
              progress?.update(bytesDone, sent, delivered, failed)
            }),
            defaultIfEmpty(null),
          ),
        )
        bytesDone = base + statSync(file).size
      }
      // Wait for every delivery report (each message is delivered or fails after message.timeout.ms).
      while (delivered + failed < sent) {
        await new Promise<void>((r) => producer.flush(1000, () => r()))
        progress?.update(bytesDone, sent, delivered, failed)
      }
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      progress?.update(bytesDone, sent, delivered, failed, true)
      progress?.end()
      await new Promise<void>((r) => producer.disconnect(10_000, () => r()))
    }
    const summary = { sent, delivered, failed, skipped, topic }
    if (failed > 0 || delivered < sent) {
      logger.error(summary, `${sent - delivered} of ${sent} messages were not delivered: ${firstError ?? 'unknown error'}`)
      return 1
    }
    logger.info(summary, `Published ${delivered} messages to ${topic}${skipped ? ` (${skipped} lines skipped)` : ''}`)
    return 0
  },
}
