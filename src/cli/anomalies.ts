/**
 * `logstream anomalies [--since ISO] [--json]`: the new patterns a job
 * announced, from the table its checkpoint keeps (announced shapes with their
 * first line, score, quiet period and the lines counted since), most recently
 * announced first. Read-only: it may run beside the job.
 */
import { LogstreamError } from '../../core/errors.ts'
import { existingCheckpoint, jobIdentity } from '../adapters/factory.ts'
import { openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import type { PatternRecord } from '../../checkpoints/store.ts'
import { field, int, optionalField, text } from '../options.ts'
import { defineCommand } from './command.ts'
import { jsonOption } from './common-options.ts'

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

const iso = (ms: number) => new Date(ms).toISOString()

/** A pattern as `--json` prints it. */
export function patternJson(p: PatternRecord): Record<string, unknown> {
  return {
    shape: p.shape,
    shape_id: p.shapeId,
    first_seen: iso(p.firstSeenAt),
    announced_at: iso(p.announcedAt),
    announcements: p.announcements,
    lines: p.lines,
    last_seen: iso(p.lastSeenAt),
    score: p.score,
    log_level: p.level,
    point_id: p.pointId,
    example: p.example,
    source_position: p.sourcePosition,
  }
}

export const command = defineCommand({
  name: 'anomalies',
  summary: 'New patterns the job announced, with their counts',
  usage: ['anomalies [--since ISO] [--limit N] [--json] [options]'],
  description:
    'Lists the shapes the job announced as new patterns (lines that scored at or above --anomaly-threshold against the\nhistory before them), most recently announced first: when first seen, lines counted since, the first line and its score.\nRead from the job\'s checkpoint, so name the job (--job, --checkpoint-dir) as for `logstream run`.',
  options: {
    since: optionalField(text({ pattern: ISO, patternMessage: 'must be an ISO date or time' }), { flag: 'since', description: 'Only patterns announced at or after this ISO date or time (a time without a zone is local)' }),
    limit: field(int(1), 100, { flag: 'limit', description: 'Patterns listed at most' }),
    json: jsonOption(),
  },
  async run(args) {
    const { since, limit, json } = args.options
    const config = args.config()
    const sinceMs = since === undefined ? undefined : Date.parse(since)
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new LogstreamError('USAGE', `--since is not a date: ${since}`)
    const store = openCheckpointStore({ path: existingCheckpoint(config), identity: jobIdentity(config), readonly: true })
    try {
      const patterns = store.anomalies().patterns({ since: sinceMs, limit })
      if (json) {
        process.stdout.write(`${JSON.stringify(patterns.map(patternJson), null, 2)}\n`)
        return 0
      }
      process.stdout.write(`${patterns.length} new pattern(s) of job ${config.job}${since ? ` announced since ${since}` : ''}\n`)
      const short = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s)
      for (const p of patterns) {
        process.stdout.write(`\n${iso(p.firstSeenAt)}  ${String(p.lines).padStart(7)} lines  score ${p.score.toFixed(2)}  ${p.level.padEnd(5)}  ${short(p.shape)}\n`)
        process.stdout.write(`  first line: ${short(p.example)}\n  point ${p.pointId} at ${p.sourcePosition}${p.announcements > 1 ? `; announced ${p.announcements} times, last ${iso(p.announcedAt)}` : ''}\n`)
      }
      return 0
    } finally {
      store.close()
    }
  },
})
