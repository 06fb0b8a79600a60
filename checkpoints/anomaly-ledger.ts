/**
 * The anomaly state of a job, in its checkpoint file (migration 3): announced
 * shapes, the lines of batches not yet committed, and the announcement outbox.
 *
 * Exactly once per batch: a batch's lines and announcements are written under
 * its id, and a replay of the batch (same id) adds nothing, so a crash never
 * counts a line twice nor announces a shape twice. Announcements are durable
 * (fsync) before their batch is stored; a batch's lines alone are written
 * without an fsync of their own, so a power cut (not a crash of the process)
 * between them and the next durable write can leave a replayed batch's lines
 * uncounted. Lines of a batch are kept
 * apart until it is no longer pending, then folded into its shape's count.
 * Announcements wait in the outbox until their batch is stored and published.
 * The `KEPT_PATTERNS` most recently seen shapes are kept.
 */
import type Database from 'better-sqlite3'
import type { AnomalyBatchRecord, AnomalyLedger, PatternRecord, PendingAnnouncement } from './store.ts'

/** Published announcements are kept this long (for a look back), then dropped. */
const PUBLISHED_KEPT_MS = 7 * 24 * 3600 * 1000
/**
 * Announced shapes kept, the most recently seen: months of lines no mask tames (each a shape of its own) must not fill
 * the checkpoint's disk (a pattern takes up to some 12 KB). A shape forgotten and seen again is announced again.
 */
export const KEPT_PATTERNS = 20_000

interface PatternRow {
  shape_id: string
  shape: string
  first_seen_at: number
  announced_at: number
  announcements: number
  total: number
  last_seen_at: number
  score: number
  level: string
  point_id: string
  example: string
  source_position: string
}

const toPattern = (r: PatternRow): PatternRecord => ({
  shapeId: r.shape_id,
  shape: r.shape,
  firstSeenAt: r.first_seen_at,
  announcedAt: r.announced_at,
  announcements: r.announcements,
  lines: r.total,
  lastSeenAt: r.last_seen_at,
  score: r.score,
  level: r.level,
  pointId: r.point_id,
  example: r.example,
  sourcePosition: r.source_position,
})

const SELECT_PATTERN = `SELECT p.*, p.lines + COALESCE((SELECT SUM(l.lines) FROM anomaly_batch_lines l WHERE l.shape_id = p.shape_id), 0) AS total FROM anomaly_patterns p`
const NOT_PENDING = `batch_id NOT IN (SELECT id FROM batches WHERE state = 'planned')`

/**
 * @example
 * const ledger = createAnomalyLedger(db)
 * ledger.record({ batchId, seq, at: Date.now(), lines: new Map([[shapeId, 3]]), announcements: [] })
 */
export function createAnomalyLedger(db: Database.Database): AnomalyLedger {
  // A read-only look at a checkpoint written before the anomaly tables has none: it has no patterns.
  const hasTables = () => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'anomaly_patterns'").get() !== undefined
  const prepared = new Map<string, Database.Statement>()
  const sql = (text: string) => {
    let s = prepared.get(text)
    if (!s) prepared.set(text, (s = db.prepare(text)))
    return s
  }

  const pattern = (shapeId: string): PatternRecord | null => {
    if (!hasTables()) return null
    const row = sql(`${SELECT_PATTERN} WHERE p.shape_id = ?`).get(shapeId) as PatternRow | undefined
    return row ? toPattern(row) : null
  }

  const forgetLeastRecentlySeen = () => {
    const excess = (sql('SELECT COUNT(*) FROM anomaly_patterns').pluck().get() as number) - KEPT_PATTERNS
    if (excess > 0) sql('DELETE FROM anomaly_patterns WHERE shape_id IN (SELECT shape_id FROM anomaly_patterns ORDER BY last_seen_at, shape_id LIMIT ?)').run(excess)
  }

  const record = db.transaction((batch: AnomalyBatchRecord): PatternRecord[] => {
    const touched = new Set<string>()
    let announced = false
    for (const { pattern: p, message } of batch.announcements) {
      const fresh = sql('INSERT INTO anomaly_outbox (batch_id, batch_seq, shape_id, point_id, message, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING').run(batch.batchId, batch.seq, p.shapeId, p.pointId, message, batch.at)
      if (fresh.changes === 0) continue
      sql(
        `INSERT INTO anomaly_patterns (shape_id, shape, first_seen_at, announced_at, announcements, lines, last_seen_at, score, level, point_id, example, source_position)
         VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (shape_id) DO UPDATE SET announced_at = excluded.announced_at, announcements = excluded.announcements, last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
           score = excluded.score, level = excluded.level, point_id = excluded.point_id, example = excluded.example, source_position = excluded.source_position`,
      ).run(p.shapeId, p.shape, p.firstSeenAt, p.announcedAt, p.announcements, p.lastSeenAt, p.score, p.level, p.pointId, p.example, p.sourcePosition)
      touched.add(p.shapeId)
      announced = true
    }
    if (announced) forgetLeastRecentlySeen()
    for (const [shapeId, n] of batch.lines) {
      if (n <= 0) continue
      const fresh = sql('INSERT INTO anomaly_batch_lines (batch_id, shape_id, lines) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM anomaly_patterns WHERE shape_id = ?) ON CONFLICT DO NOTHING').run(batch.batchId, shapeId, n, shapeId)
      if (fresh.changes === 0) continue
      sql('UPDATE anomaly_patterns SET last_seen_at = MAX(last_seen_at, ?) WHERE shape_id = ?').run(batch.at, shapeId)
      touched.add(shapeId)
    }
    // Batches no longer pending are never replayed: their lines join their shapes' counts.
    sql(`UPDATE anomaly_patterns SET lines = lines + (SELECT SUM(l.lines) FROM anomaly_batch_lines l WHERE l.shape_id = anomaly_patterns.shape_id AND l.${NOT_PENDING})
         WHERE shape_id IN (SELECT shape_id FROM anomaly_batch_lines WHERE ${NOT_PENDING})`).run()
    sql(`DELETE FROM anomaly_batch_lines WHERE ${NOT_PENDING}`).run()
    sql('DELETE FROM anomaly_outbox WHERE published_at IS NOT NULL AND published_at < ?').run(batch.at - PUBLISHED_KEPT_MS)
    // A batch announcing more shapes than are kept forgets some of its own.
    return [...touched].flatMap((id) => {
      const row = sql(`${SELECT_PATTERN} WHERE p.shape_id = ?`).get(id) as PatternRow | undefined
      return row ? [toPattern(row)] : []
    })
  })

  return {
    patterns(opts = {}) {
      if (!hasTables()) return []
      const rows = sql(`${SELECT_PATTERN} WHERE p.announced_at >= ? ORDER BY p.announced_at DESC, p.shape_id LIMIT ?`).all(opts.since ?? 0, opts.limit ?? -1) as PatternRow[]
      return rows.map(toPattern)
    },
    pattern,
    record(batch) {
      if (batch.announcements.length > 0) return record(batch)
      if (![...batch.lines.values()].some((n) => n > 0)) return []
      // Lines alone are not worth an fsync of their own: the batch's checkpoint commit (or the next write) makes
      // them durable with it, and a process that dies before keeps what it wrote (SQLite's WAL is in the OS cache).
      const level = db.pragma('synchronous', { simple: true }) as number
      db.pragma('synchronous = NORMAL')
      try {
        return record(batch)
      } finally {
        db.pragma(`synchronous = ${level}`)
      }
    },
    pending(uptoSeq) {
      const rows = sql('SELECT batch_id, shape_id, point_id, message FROM anomaly_outbox WHERE published_at IS NULL AND batch_seq <= ? ORDER BY batch_seq, created_at, shape_id').all(uptoSeq) as Array<{
        batch_id: string
        shape_id: string
        point_id: string
        message: string
      }>
      return rows.map((r): PendingAnnouncement => ({ batchId: r.batch_id, shapeId: r.shape_id, pointId: r.point_id, message: r.message }))
    },
    markPublished(keys, at = Date.now()) {
      db.transaction(() => {
        for (const k of keys) sql('UPDATE anomaly_outbox SET published_at = ? WHERE batch_id = ? AND shape_id = ?').run(at, k.batchId, k.shapeId)
      })()
    },
  }
}
