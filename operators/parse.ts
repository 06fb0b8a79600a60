/**
 * Parse: source records → log entries with their point ids, or dead letters.
 *
 * Takes chunks of records, emits chunks of the same length and order (one item
 * per record), so every position is accounted for. Accepts the message format
 * of the replaced job as JSON, raw HDFS lines, and other plain text lines.
 * Never throws for bad input: a record that cannot be an entry becomes a dead
 * letter with a reason, is counted, and is logged once.
 */
import { map, type OperatorFunction } from 'rxjs'
import type { DeadLetter, DeadLetterReason, LogEntry, ParsedItem, SourceRecord, StepContext } from './contracts.ts'
import { blockIdOf, normaliseLevel, parseHdfsLine } from './hdfs-line.ts'
import { pointId } from './point-id.ts'
import { payloadProblem } from './payload-guard.ts'

export interface ParseOptions {
  /** Largest message accepted, in bytes; larger ones are dead-lettered as `oversized`. */
  readonly maxMessageBytes: number
  /** Dead letters logged per chunk before the rest are only counted in one line. */
  readonly logLimitPerChunk?: number
}

const STRING_FIELDS = ['original_text', 'log_level', 'source', 'timestamp', 'node_type', 'block_id', 'component'] as const
const LEVEL_WORD = /\b(FATAL|ERROR|WARN(?:ING)?|INFO|DEBUG|TRACE)\b/
// C0 controls other than tab, and DEL: a line holding them is binary, not text.
const BINARY = /[\u0000-\u0008\u000b-\u001f\u007f]/

type Outcome = { entry: LogEntry } | { reason: DeadLetterReason; detail: string }

/**
 * Parses one record; pure, so it is tested on its own.
 *
 * @example
 * parseRecord(record, { maxMessageBytes: 1 << 20 })  // → { entry } or { reason, detail }
 */
export function parseRecord(record: SourceRecord, opts: ParseOptions, decoder = new TextDecoder('utf-8', { fatal: true })): Outcome {
  const bytes = record.value
  if (bytes.length > opts.maxMessageBytes) {
    return { reason: 'oversized', detail: `${bytes.length} bytes, more than the limit of ${opts.maxMessageBytes}` }
  }
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    return { reason: 'invalid-utf8', detail: 'not valid UTF-8' }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const trimmed = text.trim()
  if (trimmed === '') return { reason: 'empty', detail: 'empty message' }
  if (trimmed.startsWith('{') || trimmed.startsWith('[') || trimmed.startsWith('"')) return parseJsonMessage(trimmed, record)
  if (BINARY.test(trimmed)) return { reason: 'binary', detail: 'control characters in a text line' }
  return { entry: parseHdfsLine(trimmed) ?? plainLine(trimmed, record) }
}

function parseJsonMessage(text: string, record: SourceRecord): Outcome {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { reason: 'bad-json', detail: (err as Error).message }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: 'not-an-object', detail: `a JSON ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}, not an object` }
  }
  const msg = value as Record<string, unknown>
  const problem = payloadProblem(msg)
  if (problem) return problem
  if (msg.text === undefined || msg.text === null) return { reason: 'missing-text', detail: 'no "text" field' }
  if (typeof msg.text !== 'string') return { reason: 'wrong-type', detail: `"text" is a ${typeof msg.text}, not a string` }
  if (msg.text.trim() === '') return { reason: 'missing-text', detail: '"text" is empty' }
  for (const field of STRING_FIELDS) {
    const v = msg[field]
    if (v !== undefined && v !== null && typeof v !== 'string') {
      return { reason: 'wrong-type', detail: `"${field}" is a ${typeof v}, not a string` }
    }
  }
  const label = msg.label
  if (label !== undefined && label !== null && typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
    return { reason: 'wrong-type', detail: `"label" is a ${typeof label}, not a string, number or null` }
  }
  const str = (field: (typeof STRING_FIELDS)[number]): string | undefined => {
    const v = msg[field]
    return typeof v === 'string' && v !== '' ? v : undefined
  }
  const nodeType = str('node_type') ?? 'unknown'
  return {
    entry: {
      ...passThroughFields(msg),
      text: msg.text,
      original_text: str('original_text') ?? msg.text,
      log_level: normaliseLevel(str('log_level') ?? 'INFO'),
      source: str('source') ?? (nodeType === 'unknown' ? 'unknown' : `hdfs_${nodeType}`),
      timestamp: str('timestamp') ?? defaultTimestamp(record),
      node_type: nodeType,
      label: label === undefined || label === null ? null : String(label),
      block_id: str('block_id') ?? blockIdOf(msg.text),
      component: str('component') ?? null,
    },
  }
}

/** Extra fields of a message travel on into the payload, as the replaced job stored them. */
function passThroughFields(msg: Record<string, unknown>): Record<string, unknown> {
  const extra: Record<string, unknown> = {}
  // Defined, not assigned: a field named __proto__ stays a field instead of becoming the object's prototype.
  for (const [k, v] of Object.entries(msg)) if (!Object.hasOwn(KNOWN_FIELDS, k)) Object.defineProperty(extra, k, { value: v, enumerable: true, writable: true, configurable: true })
  return extra
}
const KNOWN_FIELDS: Record<string, true> = Object.fromEntries(
  ['text', 'original_text', 'log_level', 'source', 'timestamp', 'node_type', 'label', 'block_id', 'component', 'source_position', 'ingested_at'].map((k) => [k, true]),
)

/**
 * A missing timestamp falls back to the source's own (Kafka's record time, the
 * same on every replay of that record), else to the empty string, so the id of
 * an entry never depends on when it was processed.
 */
function defaultTimestamp(record: SourceRecord): string {
  return record.timestampMs === undefined ? '' : new Date(record.timestampMs).toISOString().slice(0, 23)
}

function plainLine(line: string, record: SourceRecord): LogEntry {
  const level = LEVEL_WORD.exec(line)?.[1]
  return {
    text: line,
    original_text: line,
    log_level: normaliseLevel(level ?? 'INFO'),
    source: 'unknown',
    timestamp: defaultTimestamp(record),
    node_type: 'unknown',
    label: null,
    block_id: blockIdOf(line),
    component: null,
  }
}

/**
 * The parse stage: each chunk of records becomes a chunk of entries and dead letters.
 *
 * @example
 * source.open(ctx).pipe(parse(stepCtx, { maxMessageBytes: 1 << 20 }))
 */
export function parse(ctx: StepContext, opts: ParseOptions): OperatorFunction<readonly SourceRecord[], ParsedItem[]> {
  const log = ctx.logger.child({ step: ctx.step })
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const logLimit = opts.logLimitPerChunk ?? 10
  return map((records) => {
    ctx.metrics.messagesReceived.inc(records.length)
    const items: ParsedItem[] = new Array(records.length)
    let logged = 0
    let unlogged = 0
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const outcome = parseRecord(record, opts, decoder)
      if ('entry' in outcome) {
        items[i] = { kind: 'entry', id: pointId(outcome.entry.text, outcome.entry.timestamp), entry: outcome.entry, record }
        continue
      }
      const dead: DeadLetter = { kind: 'dead-letter', reason: outcome.reason, detail: outcome.detail, record }
      items[i] = dead
      ctx.metrics.messagesMalformed.labels(outcome.reason).inc()
      if (logged < logLimit) {
        logged++
        log.warn({ partition: record.partition, offset: record.offset, reason: outcome.reason, detail: outcome.detail }, 'malformed message sent to the dead-letter store')
      } else unlogged++
    }
    if (unlogged > 0) log.warn({ count: unlogged }, 'more malformed messages in this chunk sent to the dead-letter store')
    return items
  })
}
