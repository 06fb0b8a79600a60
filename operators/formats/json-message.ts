/**
 * JSON messages, once parsed into an object: the replaced job's message format
 * (`{"text": …}`, read field by field as it always was), or a JSON log line with
 * the usual field names of pino, bunyan, Logstash/ECS, GELF, journald, Docker,
 * zap, logrus, slog, Serilog and Cloud Logging (`message`/`msg`, `@timestamp`/
 * `time`/`ts`, `level`/`severity`, numeric levels too).
 */
import type { DeadLetterReason, LogEntry, SourceRecord } from '../contracts.ts'
import { blockIdOf } from '../hdfs-line.ts'
import { defaultTimestamp, timeContextOf } from './entry-of.ts'
import { levelOfNumber, levelOfSeverity, normaliseLevel } from './levels.ts'
import { isoOfEpoch, parseTimestamp } from './time.ts'
import { originOf } from '../point-id.ts'

/** An entry, with who wrote its line when the line says so (see `pointKey`), or why there is none. */
export type JsonOutcome = { entry: LogEntry; origin?: string | undefined } | { reason: DeadLetterReason; detail: string }

const KNOWN_FIELDS: Record<string, true> = Object.fromEntries(
  ['text', 'original_text', 'log_level', 'source', 'timestamp', 'node_type', 'label', 'block_id', 'component', 'source_position', 'ingested_at'].map((k) => [k, true]),
)
/**
 * Who wrote the line, in a message `logstream produce` made of a line whose format names it (see `messageOfLine`): part
 * of the id's key, as when the line is read from a file, and not a payload field. Named so no other producer's field
 * changes an id by chance.
 */
export const ORIGIN_FIELD_NAME = 'logstream_origin'
const ORIGIN_FIELD = new Set([ORIGIN_FIELD_NAME])

/** An object parsed from a JSON message → an entry, or the reason it cannot be one. */
export function entryOfJsonObject(msg: Record<string, unknown>, line: string, record: SourceRecord): JsonOutcome {
  return msg.text === undefined ? jsonLogLine(msg, line, record) : messageFormat(msg, record)
}

/** The replaced job's message format: `text` required, the other fields optional strings. */
function messageFormat(msg: Record<string, unknown>, record: SourceRecord): JsonOutcome {
  const text = msg.text
  if (text === null) return { reason: 'missing-text', detail: 'no "text" field' }
  if (typeof text !== 'string') return { reason: 'wrong-type', detail: `"text" is a ${typeof text}, not a string` }
  if (text.trim() === '') return { reason: 'missing-text', detail: '"text" is empty' }
  // Each field read once by name: messages of one producer share a shape, so these reads stay monomorphic.
  const originalText = msg.original_text
  const logLevel = msg.log_level
  const source = msg.source
  const timestamp = msg.timestamp
  const nodeTypeField = msg.node_type
  const blockId = msg.block_id
  const component = msg.component
  const origin = msg[ORIGIN_FIELD_NAME]
  const wrong =
    notString(ORIGIN_FIELD_NAME, origin) ??
    notString('original_text', originalText) ??
    notString('log_level', logLevel) ??
    notString('source', source) ??
    notString('timestamp', timestamp) ??
    notString('node_type', nodeTypeField) ??
    notString('block_id', blockId) ??
    notString('component', component)
  if (wrong) return wrong
  const label = msg.label
  if (label !== undefined && label !== null && typeof label !== 'string' && typeof label !== 'number' && typeof label !== 'boolean') {
    return { reason: 'wrong-type', detail: `"label" is a ${typeof label}, not a string, number or null` }
  }
  const nodeType = nonEmpty(nodeTypeField) ?? 'unknown'
  const entry: LogEntry = {
    text,
    original_text: nonEmpty(originalText) ?? text,
    log_level: normaliseLevel(nonEmpty(logLevel) ?? 'INFO'),
    source: nonEmpty(source) ?? (nodeType === 'unknown' ? 'unknown' : `hdfs_${nodeType}`),
    timestamp: nonEmpty(timestamp) ?? defaultTimestamp(record),
    node_type: nodeType,
    label: label === undefined || label === null ? null : String(label),
    block_id: nonEmpty(blockId) ?? blockIdOf(text),
    component: nonEmpty(component) ?? null,
  }
  // Other fields come first in the entry, as they always did; most messages have none. Assigned onto them, not spread:
  // `{ ...extra, ...entry }` cost 6 µs a message (V8's generic object spread), more than the rest of the parse.
  const extra = passThrough(msg, KNOWN_FIELDS, ORIGIN_FIELD)
  return { entry: extra ? (Object.assign(extra, entry) as LogEntry) : entry, origin: typeof origin === 'string' ? origin : undefined }
}

function notString(field: string, v: unknown): { reason: DeadLetterReason; detail: string } | undefined {
  return v !== undefined && v !== null && typeof v !== 'string' ? { reason: 'wrong-type', detail: `"${field}" is a ${typeof v}, not a string` } : undefined
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

const MESSAGE_KEYS = ['message', 'msg', '@message', '@m', 'MESSAGE', 'log', 'short_message', 'textPayload']
const TIME_KEYS = ['@timestamp', 'timestamp', 'time', 'ts', '@t', 'datetime', 'date', '__REALTIME_TIMESTAMP']
// The message format's own names come first: a line with `message` instead of `text` keeps its `log_level`, `source`, `node_type`.
const LEVEL_KEYS = ['log_level', 'level', 'severity', 'log.level', 'levelname', 'lvl', '@l', 'loglevel', 'level_name', 'PRIORITY']
const HOST_KEYS = ['host.name', 'hostname', 'host', '_HOSTNAME', 'HOSTNAME']
const PID_KEYS = ['pid', 'process.pid', '_PID']
const COMPONENT_KEYS = ['logger', 'logger_name', 'log.logger', 'component', 'module', 'caller', 'SYSLOG_IDENTIFIER']
const SOURCE_KEYS = ['source', 'service.name', 'service', 'app', 'application', 'name']

/** A field by key, or by a dotted path into nested objects (`log.level` as a key or as `{"log": {"level": …}}`). */
function lookUp(msg: Record<string, unknown>, key: string): unknown {
  if (key in msg) return msg[key]
  const dot = key.indexOf('.')
  if (dot < 0) return undefined
  const parent = msg[key.slice(0, dot)]
  return parent && typeof parent === 'object' && !Array.isArray(parent) ? lookUp(parent as Record<string, unknown>, key.slice(dot + 1)) : undefined
}

function first(msg: Record<string, unknown>, keys: readonly string[], accept: (v: unknown) => boolean): { key: string; value: unknown } | undefined {
  for (const key of keys) {
    const value = lookUp(msg, key)
    if (value !== undefined && value !== null && accept(value)) return { key, value }
  }
  return undefined
}

const isText = (v: unknown) => typeof v === 'string' && v.trim() !== ''
const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number'

/** A JSON log line of a logging library: its message, time, level, host, pid and logger by their usual names. */
function jsonLogLine(msg: Record<string, unknown>, line: string, record: SourceRecord): JsonOutcome {
  const message = first(msg, MESSAGE_KEYS, () => true)
  if (!message) return { reason: 'missing-text', detail: 'no "text" field (nor "message" or "msg")' }
  if (typeof message.value !== 'string') return { reason: 'wrong-type', detail: `"${message.key}" is a ${typeof message.value}, not a string` }
  if (message.value.trim() === '') return { reason: 'missing-text', detail: `"${message.key}" is empty` }
  const text = message.value.trim()
  const consumed = new Set<string>([message.key])
  const take = (keys: readonly string[], accept: (v: unknown) => boolean) => {
    const found = first(msg, keys, accept)
    if (found && found.key in msg) consumed.add(found.key)
    return found
  }
  const time = take(TIME_KEYS, isScalar)
  const level = take(LEVEL_KEYS, isScalar)
  const host = take(HOST_KEYS, isText)
  const pid = take(PID_KEYS, isScalar)
  const component = take(COMPONENT_KEYS, isText)
  const source = take(SOURCE_KEYS, isText)
  const nodeType = take(['node_type'], isText)
  const fields: LogEntry = {
    text,
    original_text: line,
    log_level: level ? levelOf(level.value) : 'INFO',
    source: source ? String(source.value) : 'json',
    timestamp: time ? timestampOf(time.key, time.value, record) : defaultTimestamp(record),
    node_type: nodeType ? String(nodeType.value) : 'unknown',
    label: null,
    block_id: blockIdOf(text),
    component: component ? String(component.value) : null,
  }
  // The line's other fields first, then the entry's (assigned, not spread: see messageFormat).
  const extra = passThrough(msg, KNOWN_FIELDS, consumed)
  const entry = extra ? (Object.assign(extra, fields) as LogEntry) : fields
  if (host) entry.host = String(host.value)
  if (pid) entry.pid = String(pid.value)
  return { entry, origin: originOf(entry.host, entry.pid, undefined) }
}

function levelOf(value: unknown): string {
  if (typeof value === 'number') return levelOfNumber(value) ?? String(value)
  const text = String(value)
  // journald writes the syslog severity as a digit.
  if (/^\d$/.test(text)) return levelOfSeverity(Number(text)) ?? text
  return normaliseLevel(text)
}

/** An ISO or log-style time, or epoch seconds to nanoseconds; a value that is neither is kept as written. */
function timestampOf(key: string, value: unknown, record: SourceRecord): string {
  if (typeof value === 'number') return isoOfEpoch(value) ?? String(value)
  const text = String(value)
  if (/^\d+(\.\d+)?$/.test(text)) return isoOfEpoch(key === '__REALTIME_TIMESTAMP' ? Number(text) / 1000 : Number(text)) ?? text
  return parseTimestamp(text, timeContextOf(record)) ?? text
}

/** Fields of a message that are not the entry's travel on into the payload, as the replaced job stored them; undefined when there are none. */
function passThrough(msg: Record<string, unknown>, known: Record<string, true>, consumed?: ReadonlySet<string>): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined
  // Own keys only (a field named toString is a field); a field named __proto__ is defined, not assigned, so it stays a
  // field instead of becoming the object's prototype.
  for (const k of Object.keys(msg)) {
    if (Object.hasOwn(known, k) || consumed?.has(k)) continue
    extra ??= {}
    if (k === '__proto__') Object.defineProperty(extra, k, { value: msg[k], enumerable: true, writable: true, configurable: true })
    else extra[k] = msg[k]
  }
  return extra
}
