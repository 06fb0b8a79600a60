/**
 * logfmt: a line of `key=value` pairs (values bare or double-quoted), as
 * Heroku, Go kit, logrus and slog's text handler write them. A line counts as
 * logfmt only when every word is a pair and one names a message, level or time.
 */
import { parseTimestamp, type TimeContext } from './time.ts'
import type { LineFormat, ParsedLine } from './types.ts'

const PAIR = /([\w.@/-]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)(?: +|$)/y
const MESSAGE_KEYS = ['msg', 'message']
const TIME_KEYS = ['time', 'ts', 'timestamp']
const LEVEL_KEYS = ['level', 'lvl', 'severity', 'at']
const HOST_KEYS = ['hostname', 'host']
const COMPONENT_KEYS = ['logger', 'component', 'module', 'caller', 'source']

function unquote(value: string): string {
  if (!value.startsWith('"')) return value
  try {
    return JSON.parse(value) as string
  } catch {
    return value.slice(1, -1)
  }
}

/** The pairs of a logfmt line, or null when any word is not a pair. */
export function logfmtPairs(line: string): Map<string, string> | null {
  const pairs = new Map<string, string>()
  PAIR.lastIndex = 0
  while (PAIR.lastIndex < line.length) {
    const start = PAIR.lastIndex
    const m = PAIR.exec(line)
    if (!m || PAIR.lastIndex === start) return null
    pairs.set(m[1]!, unquote(m[2]!))
  }
  return pairs
}

function take(pairs: Map<string, string>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = pairs.get(k)
    if (v !== undefined) {
      pairs.delete(k)
      return v
    }
  }
  return undefined
}

function parseLogfmt(line: string, ctx: TimeContext): ParsedLine | null {
  if (!line.includes('=')) return null
  const pairs = logfmtPairs(line)
  if (!pairs || pairs.size < 2) return null
  const keys = [...pairs.keys()]
  if (!keys.some((k) => MESSAGE_KEYS.includes(k) || LEVEL_KEYS.includes(k) || TIME_KEYS.includes(k))) return null
  const message = take(pairs, MESSAGE_KEYS)
  const time = take(pairs, TIME_KEYS)
  const timestamp = time === undefined ? undefined : (parseTimestamp(time, ctx) ?? undefined)
  const level = take(pairs, LEVEL_KEYS)
  const host = take(pairs, HOST_KEYS)
  const component = take(pairs, COMPONENT_KEYS)
  const pid = take(pairs, ['pid'])
  // A line without a message field (a Heroku router line) is its remaining pairs.
  const text = message?.trim() || [...pairs].map(([k, v]) => `${k}=${v}`).join(' ')
  if (text === '') return null
  return { text, timestamp, level, host, component, pid, fields: Object.fromEntries(pairs) }
}

export const logfmt: LineFormat = {
  name: 'logfmt',
  description: 'logfmt: key=value pairs with msg/message, level and time keys',
  example: 'time="2015-03-26T01:27:38-04:00" level=debug msg="Started observing beach" animal=walrus number=8',
  parse: parseLogfmt,
}
