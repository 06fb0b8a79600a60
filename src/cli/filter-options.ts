/**
 * The search filters every collection command takes: --level, --node-type, --since, --until, or
 * --filter level=ERROR,node_type=datanode,source=hdfs_datanode (the job's own source is a configuration field, so the
 * payload's source is only a --filter key).
 */
import type { SearchFilter } from '../../operators/contracts.ts'
import { LogstreamError } from '../../core/errors.ts'
import { list, optionalField, text } from '../options.ts'

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const iso = () => text({ pattern: ISO, patternMessage: 'must be an ISO date or time' })

/** The filter options, for a command's option spec. */
export const filterOptions = () => ({
  level: optionalField(text(), { flag: 'level', description: 'Only lines of this level (e.g. ERROR)' }),
  nodeType: optionalField(text(), { flag: 'node-type', description: 'Only lines of this node type (e.g. datanode)' }),
  since: optionalField(iso(), { flag: 'since', description: 'Only lines with a timestamp at or after this ISO date or time' }),
  until: optionalField(iso(), { flag: 'until', description: 'Only lines with a timestamp at or before this ISO date or time' }),
  filter: optionalField(list(), { flag: 'filter', description: 'Filters as key=value pairs: level, node_type, source, since, until (comma-separated or repeated)' }),
})

export interface FilterValues {
  readonly level?: string | undefined
  readonly nodeType?: string | undefined
  readonly since?: string | undefined
  readonly until?: string | undefined
  readonly filter?: readonly string[] | undefined
}

/** The store filter the options name, or undefined for none; the dedicated options win over --filter pairs. */
export function filterFrom(o: FilterValues): SearchFilter | undefined {
  const pairs: Record<string, string> = {}
  for (const pair of o.filter ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new LogstreamError('USAGE', `--filter takes key=value pairs, got ${JSON.stringify(pair)}`)
    const key = pair.slice(0, eq).trim().replace(/-/g, '_').replace(/^log_level$/, 'level')
    if (!['level', 'node_type', 'source', 'since', 'until'].includes(key)) throw new LogstreamError('USAGE', `--filter knows level, node_type, source, since and until, not ${key}`)
    pairs[key] = pair.slice(eq + 1).trim()
  }
  const filter: SearchFilter = {
    logLevel: (o.level ?? pairs.level)?.toUpperCase(),
    nodeType: o.nodeType ?? pairs.node_type,
    source: pairs.source,
    since: o.since ?? pairs.since,
    until: o.until ?? pairs.until,
  }
  for (const k of ['since', 'until'] as const) if (filter[k] !== undefined && !ISO.test(filter[k]!)) throw new LogstreamError('USAGE', `--${k} must be an ISO date or time, got ${JSON.stringify(filter[k])}`)
  return Object.values(filter).some((v) => v !== undefined) ? filter : undefined
}
