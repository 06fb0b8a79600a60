/**
 * Parses raw HDFS log lines (`081109 203615 148 INFO dfs.DataNode$PacketResponder: ...`)
 * into the message format.
 */
import type { LogEntry } from './contracts.ts'
import { normaliseLevel } from './formats/levels.ts'

export { normaliseLevel } from './formats/levels.ts'

const HDFS_LINE = /^(\d{6}) (\d{6}) (\d+) ([A-Z]+) ([\w.$]+): ?(.*)$/s
const BLOCK_ID = /blk_-?\d+/

/** Node types by component, first match wins; `dfs.DataNode$PacketResponder` → datanode. */
const NODE_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^dfs\.(DataNode|FSDataset|DataBlockScanner|DataStorage|FSDatasetAsyncDiskService)\b/, 'datanode'],
  [/^dfs\.(FSNamesystem|NameNode|StateChange|FSDirectory|FSEditLog|FSImage|PendingReplicationBlocks|Host2NodesMap)\b/, 'namenode'],
  [/^dfs\.(SecondaryNameNode)\b/, 'secondarynamenode'],
  [/^dfs\.DFSClient\b/, 'client'],
]

/** The node type of a component, or `unknown`. */
export function nodeTypeOf(component: string): string {
  for (const [pattern, type] of NODE_TYPES) if (pattern.test(component)) return type
  return 'unknown'
}

/** The first HDFS block id a text names (`blk_-6952295868487656571`), kept as a string. */
export function blockIdOf(text: string): string | null {
  return BLOCK_ID.exec(text)?.[0] ?? null
}

/**
 * One raw HDFS line as a log entry, or null when the line is not in HDFS's format.
 * The two-digit year is read as 20yy.
 *
 * @example
 * parseHdfsLine('081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating')
 * // → { text: 'PacketResponder 1 …', timestamp: '2008-11-09T20:36:15.000', log_level: 'INFO', node_type: 'datanode', pid: '148', … }
 */
export function parseHdfsLine(line: string): LogEntry | null {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line
  const m = HDFS_LINE.exec(trimmed)
  if (!m) return null
  const [, date, time, pid, level, component, content] = m as unknown as [string, string, string, string, string, string, string]
  const month = Number(date.slice(2, 4))
  const day = Number(date.slice(4, 6))
  const hour = Number(time.slice(0, 2))
  const minute = Number(time.slice(2, 4))
  const second = Number(time.slice(4, 6))
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null
  const text = content.trim()
  if (text === '') return null
  const nodeType = nodeTypeOf(component)
  return {
    text,
    original_text: trimmed,
    log_level: normaliseLevel(level),
    source: nodeType === 'unknown' ? 'hdfs' : `hdfs_${nodeType}`,
    timestamp: `20${date.slice(0, 2)}-${date.slice(2, 4)}-${date.slice(4, 6)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}.000`,
    node_type: nodeType,
    label: null,
    block_id: blockIdOf(text),
    component,
    pid,
  }
}
