/**
 * The process logger: pino JSON lines in production, readable lines on a
 * terminal. Secrets are redacted by path, wherever a configuration or an error
 * is logged.
 */
import { pino, type Logger, type DestinationStream } from 'pino'

export const REDACT_PATHS = [
  '*.apiKey',
  '*.password',
  '*.*.apiKey',
  'config.kafka.properties["sasl.password"]',
  'config.kafka.properties["ssl.key.password"]',
  'config.kafka.properties["ssl.keystore.password"]',
  'config.kafka.properties["sasl.oauthbearer.client.secret"]',
  'properties["sasl.password"]',
  'headers.authorization',
  'headers["api-key"]',
]

export interface LoggerOptions {
  readonly level: string
  readonly format: 'auto' | 'json' | 'pretty'
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream | undefined
}

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && process.stdout.isTTY === true && !opts.destination)
  const base = { level: opts.level, redact: { paths: REDACT_PATHS, censor: '***' }, base: { pid: process.pid } }
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,step,batchId,size,skippedExisting,duplicatesInBatch,deadLettered,stored,timings', singleLine: false },
      },
    })
  }
  return opts.destination ? pino(base, opts.destination) : pino(base)
}
