/** HDFS (LogHub): `081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block … terminating`. */
import { parseHdfsLine } from '../hdfs-line.ts'
import type { LineFormat } from './types.ts'

export const hdfs: LineFormat = {
  name: 'hdfs',
  description: 'Hadoop HDFS: yyMMdd HHmmss pid LEVEL component: message',
  example: '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
  parse(line) {
    const e = parseHdfsLine(line)
    if (!e) return null
    return { text: e.text, timestamp: e.timestamp, level: e.log_level, component: e.component ?? undefined, pid: e.pid ?? undefined, nodeType: e.node_type, source: e.source }
  },
}
