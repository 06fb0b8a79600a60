/**
 * `logstream anomalies [--since ISO] [--json] [--from auto|checkpoint|store]`:
 * the new patterns a job announced, from the table its checkpoint keeps
 * (announced shapes with their first line, score, quiet period and the lines
 * counted since), or from the vector store (its lines scored at or above the
 * threshold, grouped by shape: every job writing to the collection), most
 * recent first. Read-only: it may run beside the job.
 */
import { LogstreamError } from '../../core/errors.ts'
import { existsSync } from 'node:fs'
import { createVectorStore, existingCheckpoint, jobIdentity } from '../adapters/factory.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { createToolLogger } from '../runtime/logger.ts'
import { storedPatterns, type StoredPattern } from './stored-patterns.ts'
import type { PatternRecord } from '../../checkpoints/store.ts'
import { field, int, oneOf, optionalField, text } from '../options.ts'
import { defineCommand } from './command.ts'
import { jsonOption } from './common-options.ts'

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

const iso = (ms: number) => new Date(ms).toISOString()

/** A pattern from either place; what only a checkpoint knows (announcements) is null from the store. */
type Listed = StoredPattern & { readonly announcedAt: number | null; readonly announcements: number | null }

const fromCheckpoint = (p: PatternRecord): Listed => p
const fromStore = (p: StoredPattern): Listed => ({ ...p, announcedAt: null, announcements: null })

/** A pattern as `--json` prints it. */
export function patternJson(p: Listed): Record<string, unknown> {
  return {
    shape: p.shape,
    shape_id: p.shapeId,
    first_seen: iso(p.firstSeenAt),
    announced_at: p.announcedAt === null ? null : iso(p.announcedAt),
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

const short = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s)

function print(title: string, patterns: readonly Listed[]): void {
  process.stdout.write(`${patterns.length} new pattern(s) ${title}\n`)
  for (const p of patterns) {
    const since = p.announcements === null ? `; last ${iso(p.lastSeenAt)}` : p.announcements > 1 ? `; announced ${p.announcements} times, last ${iso(p.announcedAt!)}` : ''
    process.stdout.write(`\n${iso(p.firstSeenAt)}  ${String(p.lines).padStart(7)} lines  score ${p.score.toFixed(2)}  ${p.level.padEnd(5)}  ${short(p.shape)}\n`)
    process.stdout.write(`  first line: ${short(p.example)}\n  point ${p.pointId} at ${p.sourcePosition}${since}\n`)
  }
}

export const command = defineCommand({
  name: 'anomalies',
  summary: 'New patterns the job announced, with their counts',
  usage: ['anomalies [--since ISO] [--limit N] [--json] [--from auto|checkpoint|store] [options]'],
  description:
    'Lists the new patterns (lines that scored at or above --anomaly-threshold against the history before them), most\nrecent first: when first seen, lines counted, the first line and its score.\n' +
    "From the job's checkpoint (name the job with --job, --checkpoint-dir as for `logstream run`): the shapes it announced,\nwith every line counted since and how often each was announced. From the vector store (--from store; --data-dir, or\n--sink qdrant and --collection): the stored lines that scored at or above the threshold, grouped by shape, across every\njob writing to the collection. 'auto' reads the checkpoint when the job has one, the store otherwise.",
  options: {
    since: optionalField(text({ pattern: ISO, patternMessage: 'must be an ISO date or time' }), { flag: 'since', description: 'Only patterns announced (from the store: first ingested) at or after this ISO date or time (a time without a zone is local)' }),
    limit: field(int(1), 100, { flag: 'limit', description: 'Patterns listed at most' }),
    from: field(oneOf('auto', 'checkpoint', 'store'), 'auto', { flag: 'from', description: "Where to read them: the job's checkpoint, the vector store, or 'auto' (the checkpoint when the job has one)" }),
    json: jsonOption(),
  },
  async run(args) {
    const { since, limit, json, from } = args.options
    const config = args.config()
    const sinceMs = since === undefined ? undefined : Date.parse(since)
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new LogstreamError('USAGE', `--since is not a date: ${since}`)
    const useStore = from === 'store' || (from === 'auto' && !existsSync(checkpointPath(config.checkpointDir, config.job)))
    let patterns: Listed[]
    let title: string
    if (useStore) {
      const store = await createVectorStore(config, { logger: createToolLogger(config.log.format) }, { mustExist: true })
      try {
        patterns = (await storedPatterns(store, { threshold: config.anomaly.threshold, sinceMs, limit })).map(fromStore)
      } finally {
        await store.close()
      }
      title = `in collection ${config.collection} (stored lines scoring ≥ ${config.anomaly.threshold})${since ? ` first seen since ${since}` : ''}`
    } else {
      const store = openCheckpointStore({ path: existingCheckpoint(config), identity: jobIdentity(config), readonly: true })
      try {
        patterns = store.anomalies().patterns({ since: sinceMs, limit }).map(fromCheckpoint)
      } finally {
        store.close()
      }
      title = `of job ${config.job}${since ? ` announced since ${since}` : ''}`
    }
    if (json) process.stdout.write(`${JSON.stringify(patterns.map(patternJson), null, 2)}\n`)
    else print(title, patterns)
    return 0
  },
})
