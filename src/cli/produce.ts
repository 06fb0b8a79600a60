/**
 * `logstream produce PATH...`: the log processor that feeds the job. Reads log
 * files (files, folders, or one file followed as it grows), turns each line
 * into the message format as the job would read it (`--log-format`), with who
 * wrote it where its format says (`messageOfLine`: the job then gives it the id
 * it gets read from a file), and publishes it keyed by its HDFS block id where
 * it names one, so one block's lines stay in order in one partition. Exits
 * non-zero if any message was not delivered.
 */
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { lastValueFrom, defaultIfEmpty, concatMap } from 'rxjs'
import { LogstreamError } from '../../core/errors.ts'
import { maskSecrets } from '../../core/secrets.ts'
import { createLogger } from '../runtime/logger.ts'
import { createFileSource } from '../../operators/file-source.ts'
import { FlowControl } from '../../operators/flow-control.ts'
import { messageOfLine, parseRecord } from '../../operators/parse.ts'
import { connectProducer } from '../../operators/kafka-clients.ts'
import { bool, field, optionalField, text } from '../options.ts'
import { defineCommand } from './command.ts'
import { resolveLineFormat } from '../../operators/formats/index.ts'

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

export const command = defineCommand({
  name: 'produce',
  summary: 'Publish log files to Kafka in the message format',
  usage: ['produce PATH... [--follow] [--topic T] [options]'],
  description: 'Publishes log lines (files, or every file of a folder; read as --log-format says,\ndetected line by line by default) to Kafka in the message format, keyed by HDFS\nblock id where a line names one. --follow keeps reading one growing file.',
  positionals: { name: 'at least one file or folder', min: 1, max: Number.POSITIVE_INFINITY },
  options: {
    topic: optionalField(text(), { flag: 'topic', description: 'Topic to publish to (default: the first of the configured topics)' }),
    progress: field(bool(), true, { flag: 'progress', description: 'Show progress (a bar on a terminal, a line every 5 s otherwise)' }),
  },
  async run(args) {
    const config = args.config()
    const lineFormat = resolveLineFormat(config.lineFormat)
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const topic = args.options.topic ?? config.kafka.topics[0]!
    let files: string[]
    try {
      files = args.positionals.flatMap(filesOf)
    } catch (err) {
      throw new LogstreamError('USAGE', `cannot read ${(err as NodeJS.ErrnoException).path ?? args.positionals.join(' ')}: ${(err as Error).message}`)
    }
    if (config.follow && files.length !== 1) throw new LogstreamError('USAGE', 'following a growing file takes exactly one file')
    const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0)
    const progress = args.options.progress ? new Progress(totalBytes, process.stderr.isTTY === true && !config.follow) : null

    let sent = 0
    let delivered = 0
    let failed = 0
    let firstError: string | null = null
    const producer = await connectProducer({
      brokers: config.kafka.brokers,
      properties: config.kafka.properties,
      clientId: 'logstream-produce',
      settings: { 'linger.ms': 10, 'compression.type': 'lz4' },
      onError: (err) => logger.warn({ err: { message: err.message, code: err.code } }, 'Kafka error; librdkafka keeps retrying'),
    })
    logger.info({ brokers: config.kafka.brokers, topic, files: files.length, properties: maskSecrets(config.kafka.properties) }, `Publishing ${files.length} file(s) to ${topic}`)
    // Deliveries not yet acknowledged; each leaves the set when it settles.
    const inFlight = new Set<Promise<void>>()
    const send = async (value: Buffer, key: string | null): Promise<void> => {
      const { delivered: ack } = await producer.enqueue({ topic, key, value })
      sent++
      const settled: Promise<void> = ack.then(
        () => void delivered++,
        (err: Error) => {
          failed++
          firstError ??= err.message
          logger.error({ err: { message: err.message } }, 'message not delivered')
        },
      )
      inFlight.add(settled)
      void settled.finally(() => inFlight.delete(settled))
    }

    const stop = new AbortController()
    const onSignal = () => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let bytesDone = 0
    let skipped = 0
    const flow = new FlowControl(Number.MAX_SAFE_INTEGER)
    try {
      for (const file of files) {
        if (stop.signal.aborted) break
        const source = createFileSource({ path: file, follow: config.follow, maxLineBytes: config.maxMessageBytes })
        const base = bytesDone
        await lastValueFrom(
          source.open({ logger, flow, signal: stop.signal, resumeFrom: () => undefined }).pipe(
            concatMap(async (records) => {
              for (const record of records) {
                const outcome = parseRecord(record, { maxMessageBytes: config.maxMessageBytes, format: lineFormat })
                if (!('entry' in outcome)) {
                  skipped++
                  if (outcome.reason !== 'empty') logger.warn({ file, offset: record.offset, reason: outcome.reason }, 'line skipped')
                  continue
                }
                await send(Buffer.from(messageOfLine(outcome)), outcome.entry.block_id)
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
      while (inFlight.size > 0) {
        await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, 1000))])
        progress?.update(bytesDone, sent, delivered, failed)
      }
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      progress?.update(bytesDone, sent, delivered, failed, true)
      progress?.end()
      await producer.close()
    }
    const summary = { sent, delivered, failed, skipped, topic }
    if (failed > 0 || delivered < sent) {
      logger.error(summary, `${sent - delivered} of ${sent} messages were not delivered: ${firstError ?? 'unknown error'}`)
      return 1
    }
    logger.info(summary, `Published ${delivered} messages to ${topic}${skipped ? ` (${skipped} lines skipped)` : ''}`)
    return 0
  },
})
