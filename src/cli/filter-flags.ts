/**
 * The search filters every collection command takes: --level, --node-type, --since, --until, or
 * --filter level=ERROR,node_type=datanode,source=hdfs_datanode (`--source` names the job's source, so the
 * payload's source is only a --filter key).
 */
import type { SearchFilter } from '../../operators/contracts.ts'
import { LogstreamError } from '../../core/errors.ts'

export const FILTER_FLAGS = { level: 'value', 'node-type': 'value', since: 'value', until: 'value', filter: 'value' } as const

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

export function filterFromFlags(flags: ReadonlyMap<string, readonly string[]>): SearchFilter | undefined {
  const pairs: Record<string, string> = {}
  for (const f of flags.get('filter') ?? []) {
    for (const pair of f.split(',').map((s) => s.trim()).filter(Boolean)) {
      const eq = pair.indexOf('=')
      if (eq <= 0) throw new LogstreamError('USAGE', `--filter takes key=value pairs, got ${JSON.stringify(pair)}`)
      pairs[pair.slice(0, eq).trim().replace(/_/g, '-').replace(/^log-level$/, 'level')] = pair.slice(eq + 1).trim()
    }
  }
  const get = (name: string) => flags.get(name)?.at(-1) ?? pairs[name]
  for (const k of Object.keys(pairs)) if (!['level', 'node-type', 'source', 'since', 'until'].includes(k)) throw new LogstreamError('USAGE', `--filter knows level, node_type, source, since and until, not ${k}`)
  const filter: SearchFilter = { logLevel: get('level')?.toUpperCase(), nodeType: get('node-type'), source: pairs.source, since: get('since'), until: get('until') }
  for (const k of ['since', 'until'] as const) if (filter[k] !== undefined && !ISO.test(filter[k]!)) throw new LogstreamError('USAGE', `--${k} must be an ISO date or time, got ${JSON.stringify(filter[k])}`)
  return Object.values(filter).some((v) => v !== undefined) ? filter : undefined
}
