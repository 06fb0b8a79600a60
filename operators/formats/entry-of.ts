/**
 * Parsed fields → the message format, the same way for every format: the
 * level normalised (else a level word in the message, else INFO), the
 * timestamp the line's own (else the record's), the whole line kept as
 * `original_text`.
 */
import type { LogEntry, SourceRecord } from '../contracts.ts'
import { blockIdOf } from '../hdfs-line.ts'
import { levelWordIn, normaliseLevel } from './levels.ts'
import type { TimeContext } from './time.ts'
import type { ParsedLine } from './types.ts'

/**
 * A missing timestamp falls back to the source's own (Kafka's record time, the
 * same on every replay of that record), else to the empty string, so the id of
 * an entry never depends on when it was processed.
 */
export function defaultTimestamp(record: SourceRecord): string {
  return record.timestampMs === undefined ? '' : new Date(record.timestampMs).toISOString().slice(0, 23)
}

/** Dates without a year are placed before the record's own time, else its file's, else now (see `time.ts`). */
export function timeContextOf(record: SourceRecord): TimeContext {
  return { referenceMs: () => record.timestampMs ?? record.fileTimeMs ?? Date.now() }
}

/** A line some format read. */
export function entryOfParsed(line: string, parsed: ParsedLine, format: string, record: SourceRecord): LogEntry {
  const entry: LogEntry = {
    text: parsed.text,
    original_text: line,
    log_level: parsed.level ? normaliseLevel(parsed.level) : (levelWordIn(parsed.text) ?? 'INFO'),
    source: parsed.source ?? format,
    timestamp: parsed.timestamp ?? defaultTimestamp(record),
    node_type: parsed.nodeType ?? 'unknown',
    label: parsed.label ?? null,
    block_id: blockIdOf(parsed.text),
    component: parsed.component ?? null,
  }
  if (parsed.host !== undefined) entry.host = parsed.host
  if (parsed.pid !== undefined) entry.pid = parsed.pid
  if (parsed.fields !== undefined && Object.keys(parsed.fields).length > 0) entry.fields = { ...parsed.fields }
  return entry
}

/** A line no format reads: stored whole, as before formats were detected, so its id is what it always was. */
export function plainEntry(line: string, record: SourceRecord): LogEntry {
  return {
    text: line,
    original_text: line,
    log_level: levelWordIn(line) ?? 'INFO',
    source: 'unknown',
    timestamp: defaultTimestamp(record),
    node_type: 'unknown',
    label: null,
    block_id: blockIdOf(line),
    component: null,
  }
}
