/**
 * Parse: source records → log entries with their point ids, or dead letters.
 *
 * Takes chunks of records, emits chunks of the same length and order (one item
 * per record), so every position is accounted for. A thin dispatcher: JSON
 * messages go to `formats/json-message.ts`, text lines to the log formats of
 * `formats/` (detected line by line, or the one `--log-format` names); a text
 * line no format reads is stored as plain text. Never throws for bad input: a
 * record that cannot be an entry becomes a dead letter with a reason, is
 * counted, and is logged once.
 *
 * Which records are JSON, the same rule for every source:
 * - a record that starts with `{` claims to be a JSON message: it must parse as
 *   a JSON object (else `bad-json`) with a message field (else `missing-text`);
 * - a record that is, whole, any other JSON value — `null`, `true`, `42`,
 *   `"just a string"`, `[1,2,3]` — is `not-an-object`, whatever its kind;
 * - with `--log-format json` every record must be a JSON message: any other
 *   line is `bad-json`;
 * - everything else is a text line, and no text line is dead-lettered for its shape.
 */
import { map, type OperatorFunction } from 'rxjs'
import type { DeadLetter, DeadLetterReason, LogEntry, ParsedItem, SourceRecord, StepContext } from './contracts.ts'
import { entryOfParsed, plainEntry, timeContextOf } from './formats/entry-of.ts'
import { AUTO, readTextLine, type LineFormatSpec } from './formats/index.ts'
import { ORIGIN_FIELD_NAME, entryOfJsonObject } from './formats/json-message.ts'
import { originOf, pointId } from './point-id.ts'
import { payloadProblem } from './payload-guard.ts'
import { chunkPacker } from './packed-record.ts'

export interface ParseOptions {
  /** Largest message accepted, in bytes; larger ones are dead-lettered as `oversized`. */
  readonly maxMessageBytes: number
  /** Dead letters logged per chunk before the rest are only counted in one line. */
  readonly logLimitPerChunk?: number
  /** How the source's text lines are read (`resolveLineFormat`); detected line by line by default. */
  readonly format?: LineFormatSpec | undefined
}

// C0 controls other than tab, and DEL: a line holding them is binary, not text.
const BINARY = /[\u0000-\u0008\u000b-\u001f\u007f]/
const JSON_LITERAL = /^(?:null|true|false|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/

/** An entry with its point id and, when its line names who wrote it, the origin in the id's key (see `pointKey`); or why the record is a dead letter. */
export type ParseOutcome = { entry: LogEntry; id: string; origin?: string | undefined } | { reason: DeadLetterReason; detail: string }
type Outcome = ParseOutcome

/**
 * Parses one record; pure, so it is tested on its own.
 *
 * @example
 * parseRecord(record, { maxMessageBytes: 1 << 20 })  // → { entry, id } or { reason, detail }
 */
export function parseRecord(record: SourceRecord, opts: ParseOptions, decoder = textDecoder()): Outcome {
  const text = decodeRecord(record, opts, decoder)
  return typeof text === 'string' ? parseText(text, record, opts) : text
}

/** Strict UTF-8 that keeps a byte-order mark (`parseText` drops it with the whitespace). */
const textDecoder = () => new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** A record's bytes as text, all of them (a byte-order mark too: `parseText` drops it), or why they are none. */
function decodeRecord(record: SourceRecord, opts: ParseOptions, decoder: { decode(bytes: Uint8Array): string }): string | { reason: DeadLetterReason; detail: string } {
  const bytes = record.value
  if (bytes.length > opts.maxMessageBytes) {
    return { reason: 'oversized', detail: `${bytes.length} bytes, more than the limit of ${opts.maxMessageBytes}` }
  }
  try {
    return decoder.decode(bytes)
  } catch {
    return { reason: 'invalid-utf8', detail: 'not valid UTF-8' }
  }
}

/** Parses a record's decoded text (`decodeRecord`). */
function parseText(text: string, record: SourceRecord, opts: ParseOptions): Outcome {
  // A byte-order mark goes with the whitespace: U+FEFF is whitespace to trim().
  const trimmed = text.trim()
  if (trimmed === '') return { reason: 'empty', detail: 'empty message' }
  if (trimmed.startsWith('{')) return parseJsonMessage(trimmed, record)
  const other = otherJsonValue(trimmed)
  if (other !== null) return { reason: 'not-an-object', detail: `a JSON ${other}, not an object` }
  const format = opts.format ?? AUTO
  if (format.kind === 'json') return { reason: 'bad-json', detail: 'not a JSON message (the source is read as JSON: --log-format json)' }
  if (BINARY.test(trimmed)) return { reason: 'binary', detail: 'control characters in a text line' }
  const read = readTextLine(trimmed, format, timeContextOf(record))
  if (!read) return keyed(plainEntry(trimmed, record))
  // HDFS lines keep the replaced job's key; other formats add who wrote the line.
  const origin = read.format === 'hdfs' ? undefined : originOf(read.parsed.host, read.parsed.pid, read.parsed.fields?.thread)
  return keyed(entryOfParsed(trimmed, read.parsed, read.format, record), origin)
}

function keyed(entry: LogEntry, origin?: string): ParseOutcome {
  return { entry, id: pointId(entry.text, entry.timestamp, origin), origin }
}

/**
 * A parsed line as a message of the message format, as `logstream produce` sends it: the entry, and its origin when its
 * format names who wrote it, so the job that reads the message gives it the id the line gets read from a file.
 */
export function messageOfLine(outcome: { readonly entry: LogEntry; readonly origin?: string | undefined }): string {
  return JSON.stringify(outcome.origin === undefined ? outcome.entry : { ...outcome.entry, [ORIGIN_FIELD_NAME]: outcome.origin })
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
  const problem = payloadProblem(value)
  if (problem) return problem
  const out = entryOfJsonObject(value as Record<string, unknown>, text, record)
  return 'entry' in out ? keyed(out.entry, out.origin) : out
}

/** The kind of JSON value a whole record is when it is one but not an object (`null`, `boolean`, `number`, `string`, `array`), else null. */
function otherJsonValue(text: string): string | null {
  const first = text[0]!
  const last = text[text.length - 1]!
  if (JSON_LITERAL.test(text)) return text === 'null' ? 'null' : text === 'true' || text === 'false' ? 'boolean' : 'number'
  if (!((first === '[' && last === ']') || (first === '"' && last === '"'))) return null
  try {
    JSON.parse(text)
  } catch {
    return null
  }
  return first === '[' ? 'array' : 'string'
}

/**
 * The parse stage: each chunk of records becomes a chunk of entries and dead letters.
 *
 * @example
 * source.open(ctx).pipe(parse(stepCtx, { maxMessageBytes: 1 << 20 }))
 */
export function parse(ctx: StepContext, opts: ParseOptions): OperatorFunction<readonly SourceRecord[], ParsedItem[]> {
  const log = ctx.logger.child({ step: ctx.step })
  const decoder = textDecoder()
  const logLimit = opts.logLimitPerChunk ?? 10
  return map((records) => {
    ctx.metrics.messagesReceived.inc(records.length)
    const items: ParsedItem[] = new Array(records.length)
    // The entries' bytes, packed into one buffer for the chunk (see `PackedRecord`).
    const pack = chunkPacker(records, opts.maxMessageBytes)
    let logged = 0
    let unlogged = 0
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const outcome = parseRecord(record, opts, decoder)
      if ('entry' in outcome) {
        items[i] = { kind: 'entry', id: outcome.id, entry: outcome.entry, record: pack(record) }
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
