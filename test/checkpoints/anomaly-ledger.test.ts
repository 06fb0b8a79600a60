import { test } from 'node:test'
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import type { JobIdentity, PatternRecord } from '../../checkpoints/store.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { checkpointAtMigration } from '../helpers/old-checkpoint.ts'
import { KEPT_PATTERNS } from '../../checkpoints/anomaly-ledger.ts'

const identity: JobIdentity = { job: 'j', source: 'kafka:logs', sink: 'embedded:logs_embeddings', dim: 384 }
const counts = { received: 1, skippedExisting: 0, duplicatesInBatch: 0, stored: 1, deadLettered: 0 }

const pattern = (shapeId: string, at: number, more: Partial<PatternRecord> = {}): Omit<PatternRecord, 'lines'> => ({
  shapeId,
  shape: `shape ${shapeId} <num>`,
  firstSeenAt: at,
  announcedAt: at,
  announcements: 1,
  lastSeenAt: at,
  score: 0.9,
  level: 'ERROR',
  pointId: `point-${shapeId}`,
  example: `line of ${shapeId} 7`,
  sourcePosition: 'logs/0@7',
  ...more,
})

function open(t: { after(fn: () => unknown): void }) {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity })
  t.after(() => store.close())
  return store
}

test("a batch's announcements and lines are recorded once per batch id: a replay of the batch adds nothing", (t) => {
  const store = open(t)
  const ledger = store.anomalies()
  store.plan({ id: 'b0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 10 }] })
  const first = ledger.record({ batchId: 'b0', seq: 0, at: 1000, lines: new Map([['s1', 4]]), announcements: [{ pattern: pattern('s1', 1000), message: '{"point_id":"point-s1"}' }] })
  assert.deepEqual(first.map((p) => [p.shapeId, p.lines]), [['s1', 4]])
  // The same batch again (a replay after a crash): nothing more.
  const again = ledger.record({ batchId: 'b0', seq: 0, at: 2000, lines: new Map([['s1', 4]]), announcements: [{ pattern: pattern('s1', 2000, { announcements: 2 }), message: '{"point_id":"point-s1"}' }] })
  assert.deepEqual(again, [])
  const [p] = ledger.patterns()
  assert.equal(p!.lines, 4)
  assert.equal(p!.announcements, 1)
  assert.equal(p!.announcedAt, 1000)
  assert.equal(ledger.pending(0).length, 1, 'one announcement waits')
  // Lines of shapes never announced are not kept.
  ledger.record({ batchId: 'b0x', seq: 0, at: 1000, lines: new Map([['unknown', 3]]), announcements: [] })
  assert.equal(ledger.pattern('unknown'), null)
})

test("lines of batches that are no longer pending join their shape's count; pending ones stay apart until then", (t) => {
  const store = open(t)
  const ledger = store.anomalies()
  store.plan({ id: 'b0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 10 }] })
  ledger.record({ batchId: 'b0', seq: 0, at: 1000, lines: new Map([['s1', 2]]), announcements: [{ pattern: pattern('s1', 1000), message: '{}' }] })
  store.plan({ id: 'b1', seq: 1, ranges: [{ partition: 'logs/0', from: 10, to: 20 }] })
  ledger.record({ batchId: 'b1', seq: 1, at: 1100, lines: new Map([['s1', 3]]), announcements: [] })
  assert.equal(ledger.pattern('s1')!.lines, 5)
  store.commit({ batchId: 'b0', positions: new Map([['logs/0', 10]]), counts, timings: {}, deadLetters: [] })
  store.commit({ batchId: 'b1', positions: new Map([['logs/0', 20]]), counts, timings: {}, deadLetters: [] })
  store.plan({ id: 'b2', seq: 2, ranges: [{ partition: 'logs/0', from: 20, to: 30 }] })
  ledger.record({ batchId: 'b2', seq: 2, at: 1200, lines: new Map([['s1', 1]]), announcements: [] })
  assert.equal(ledger.pattern('s1')!.lines, 6)
  assert.equal(ledger.pattern('s1')!.lastSeenAt, 1200)
  const db = new Database(store.path, { readonly: true })
  t.after(() => db.close())
  assert.deepEqual(db.prepare('SELECT batch_id FROM anomaly_batch_lines').pluck().all(), ['b2'], 'committed batches folded')
})

test('announcements wait until their batch is published; later batches publish earlier ones that failed', (t) => {
  const store = open(t)
  const ledger = store.anomalies()
  ledger.record({ batchId: 'b0', seq: 0, at: 1, lines: new Map(), announcements: [{ pattern: pattern('s1', 1), message: 'm1' }] })
  ledger.record({ batchId: 'b1', seq: 1, at: 2, lines: new Map(), announcements: [{ pattern: pattern('s2', 2), message: 'm2' }, { pattern: pattern('s3', 2), message: 'm3' }] })
  assert.deepEqual(ledger.pending(0).map((p) => p.message), ['m1'], 'batch 1 is not stored yet')
  assert.deepEqual(ledger.pending(1).map((p) => p.message), ['m1', 'm2', 'm3'])
  ledger.markPublished([{ batchId: 'b0', shapeId: 's1' }])
  assert.deepEqual(ledger.pending(5).map((p) => [p.batchId, p.shapeId, p.pointId]), [['b1', 's2', 'point-s2'], ['b1', 's3', 'point-s3']])
  assert.deepEqual(ledger.patterns({ since: 2 }).map((p) => p.shapeId), ['s2', 's3'])
  assert.deepEqual(ledger.patterns({ limit: 1 }).length, 1)
})

test('a re-announcement after a quiet period keeps when the shape was first seen and its count', (t) => {
  const store = open(t)
  const ledger = store.anomalies()
  ledger.record({ batchId: 'b0', seq: 0, at: 1000, lines: new Map([['s1', 2]]), announcements: [{ pattern: pattern('s1', 1000), message: 'first' }] })
  ledger.record({ batchId: 'b9', seq: 9, at: 9000, lines: new Map([['s1', 1]]), announcements: [{ pattern: pattern('s1', 9000, { firstSeenAt: 1000, announcements: 2, score: 0.7 }), message: 'again' }] })
  const p = ledger.pattern('s1')!
  assert.equal(p.firstSeenAt, 1000)
  assert.equal(p.announcedAt, 9000)
  assert.equal(p.announcements, 2)
  assert.equal(p.score, 0.7)
  assert.equal(p.lines, 3)
})

test('a checkpoint written before the anomaly tables: read-only it has no patterns; opened by the job it gains them', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const db = checkpointAtMigration(path, 2)
  db.close()
  const readonly = openCheckpointStore({ path, identity, readonly: true })
  assert.deepEqual(readonly.anomalies().patterns(), [])
  assert.equal(readonly.anomalies().pattern('x'), null)
  readonly.close()
  const store = openCheckpointStore({ path, identity })
  t.after(() => store.close())
  store.anomalies().record({ batchId: 'b0', seq: 0, at: 1, lines: new Map(), announcements: [{ pattern: pattern('s1', 1), message: 'm' }] })
  assert.equal(store.anomalies().patterns().length, 1)
})

test('the most recently seen shapes are kept: past KEPT_PATTERNS the least recently seen are forgotten', (t) => {
  const store = open(t)
  const ledger = store.anomalies()
  store.plan({ id: 'b0', seq: 0, ranges: [] })
  const many = Array.from({ length: KEPT_PATTERNS }, (_, i) => ({ pattern: pattern(`s${i}`, 1000 + i), message: '{}' }))
  ledger.record({ batchId: 'b0', seq: 0, at: 1000, lines: new Map(), announcements: many })
  assert.equal(ledger.patterns().length, KEPT_PATTERNS)
  // s1 is seen again, so s0, s2 and s3 are now the least recently seen.
  store.plan({ id: 'b1', seq: 1, ranges: [] })
  ledger.record({ batchId: 'b1', seq: 1, at: 90_000, lines: new Map([['s1', 1]]), announcements: [] })
  store.plan({ id: 'b2', seq: 2, ranges: [] })
  const fresh = ['n0', 'n1', 'n2'].map((id) => ({ pattern: pattern(id, 100_000), message: '{}' }))
  assert.deepEqual(ledger.record({ batchId: 'b2', seq: 2, at: 100_000, lines: new Map(), announcements: fresh }).map((p) => p.shapeId), ['n0', 'n1', 'n2'])
  assert.equal(ledger.patterns().length, KEPT_PATTERNS)
  assert.deepEqual(['s0', 's1', 's2', 's3', 's4', 'n0'].map((id) => ledger.pattern(id) !== null), [false, true, false, false, true, true])
})
