import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync, readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { MIGRATIONS } from '../../checkpoints/migrations.ts'
import type { CommitRecord, JobIdentity } from '../../checkpoints/store.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { checkpointAtMigration } from '../helpers/old-checkpoint.ts'

const identity: JobIdentity = { job: 'j', source: 'kafka:logs', sink: 'embedded:logs_embeddings', dim: 384 }
const counts = { received: 3, skippedExisting: 1, duplicatesInBatch: 0, stored: 2, deadLettered: 0 }
const commitOf = (batchId: string, positions: Record<string, number>, extra: Partial<CommitRecord> = {}): CommitRecord => ({
  batchId,
  positions: new Map(Object.entries(positions)),
  counts,
  timings: { dedup: 0.01 },
  deadLetters: [],
  ...extra,
})

test('migrations apply in order, in WAL mode, and set the schema version', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  openCheckpointStore({ path, identity }).close()
  const db = new Database(path, { readonly: true })
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length)
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)
  assert.deepEqual(tables, ['anomaly_batch_lines', 'anomaly_outbox', 'anomaly_patterns', 'batches', 'dead_letter_room', 'dead_letters', 'identity', 'positions', 'store_state'])
  db.close()
})

test('plan then commit advances positions, keeps the batch history and dead letters, and survives reopening', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const store = openCheckpointStore({ path, identity })
  assert.equal(store.nextSeq(), 0)
  store.plan({ id: 'b0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 10 }] })
  assert.deepEqual(store.pendingBatches().map((b) => b.id), ['b0'])
  assert.equal(store.positions().size, 0)
  store.commit(
    commitOf('b0', { 'logs/0': 10 }, {
      deadLetters: [{ partition: 'logs/0', offset: 4, reason: 'bad-json', detail: 'x', key: 'k', value: Buffer.from('{'), headers: { a: 'b' }, timestampMs: 1_700_000_000_123 }],
    }),
  )
  store.close()

  const again = openCheckpointStore({ path, identity })
  assert.deepEqual([...again.positions()], [['logs/0', 10]])
  assert.deepEqual(again.pendingBatches(), [])
  assert.equal(again.nextSeq(), 1)
  const [b] = again.recentBatches(5)
  assert.equal(b!.state, 'committed')
  assert.deepEqual(b!.counts, counts)
  const [dl] = again.deadLetters()
  assert.equal(dl!.offset, 4)
  assert.equal(dl!.value.toString(), '{')
  assert.deepEqual(dl!.headers, { a: 'b' })
  assert.equal(dl!.timestampMs, 1_700_000_000_123, 'the record\'s own time, for the replay')
  again.markDeadLettersReplayed([{ partition: 'logs/0', offset: 4 }])
  assert.equal(again.deadLetters().length, 0)
  assert.equal(again.deadLetters({ includeReplayed: true }).length, 1)
  again.close()
})

test('dead letters kept before their time was: read-only they have none; the job adds the column and keeps new ones\' time', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const db = checkpointAtMigration(path, 3)
  db.prepare("INSERT INTO dead_letters (partition, offset, reason, detail, key, value, batch_id, created_at) VALUES ('logs/0', 1, 'bad-json', 'x', NULL, X'7B', 'b0', 1)").run()
  db.close()
  const readonly = openCheckpointStore({ path, identity, readonly: true })
  assert.deepEqual(readonly.deadLetters().map((d) => [d.offset, d.timestampMs]), [[1, null]])
  readonly.close()
  const store = openCheckpointStore({ path, identity })
  t.after(() => store.close())
  store.plan({ id: 'b1', seq: 1, ranges: [{ partition: 'logs/0', from: 2, to: 3 }] })
  store.commit(commitOf('b1', { 'logs/0': 3 }, { deadLetters: [{ partition: 'logs/0', offset: 2, reason: 'empty', detail: 'y', key: null, value: Buffer.from(' '), headers: null, timestampMs: 1234 }] }))
  assert.deepEqual(store.deadLetters().map((d) => [d.offset, d.timestampMs]), [[1, null], [2, 1234]])
  // The room counts the letter kept before the move (1 byte of value, 1 of detail, 64) and the new one (1 + 1 + 64).
  const room = new Database(path, { readonly: true })
  t.after(() => room.close())
  assert.equal(room.prepare('SELECT bytes FROM dead_letter_room').pluck().get(), 132)
})

/** A dead letter of `size` bytes of value at `offset` of logs/0 (its room: size + 1 of detail + 64). */
const letter = (offset: number, size: number) => ({ partition: 'logs/0', offset, reason: 'bad-json', detail: 'x', key: null, value: Buffer.alloc(size, 0x7b), headers: null, timestampMs: null })

test('past their room, the oldest dead letters are dropped in the commit, this batch\'s too, and reported', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const store = openCheckpointStore({ path, identity, deadLetterRoomBytes: 1000 })
  t.after(() => store.close())
  const commit = (seq: number, letters: ReturnType<typeof letter>[]) => {
    store.plan({ id: `b${seq}`, seq, ranges: [] })
    return store.commit(commitOf(`b${seq}`, { 'logs/0': seq + 1 }, { deadLetters: letters }))
  }
  // 235 bytes of room each: four fit (940), the fifth makes 1,175 and drops the first.
  assert.equal(commit(0, [letter(0, 170), letter(1, 170)]).droppedDeadLetters, null)
  assert.equal(commit(1, [letter(2, 170), letter(3, 170)]).droppedDeadLetters, null)
  assert.deepEqual(commit(2, [letter(4, 170)]).droppedDeadLetters, { count: 1, bytes: 235, first: 'logs/0@0', last: 'logs/0@0' })
  assert.deepEqual(store.deadLetters().map((d) => d.offset), [1, 2, 3, 4])
  // A batch of letters larger than the room keeps only what fits of its newest.
  assert.deepEqual(commit(3, [letter(5, 900), letter(6, 100)]).droppedDeadLetters, { count: 5, bytes: 235 * 4 + 965, first: 'logs/0@1', last: 'logs/0@5' })
  assert.deepEqual(store.deadLetters().map((d) => d.offset), [6])
  // A batch committed again (replayed after a crash) adds nothing and drops nothing.
  store.plan({ id: 'b3', seq: 3, ranges: [] })
  assert.equal(store.commit(commitOf('b3', { 'logs/0': 4 }, { deadLetters: [letter(6, 100)] })).droppedDeadLetters, null)
  const db = new Database(path, { readonly: true })
  t.after(() => db.close())
  assert.equal(db.prepare('SELECT bytes FROM dead_letter_room').pluck().get(), 165, 'the room follows what is kept')
})

test('a room made smaller is kept at start: the oldest dead letters past it are dropped, durably, and reported once', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const wide = openCheckpointStore({ path, identity, deadLetterRoomBytes: 10_000 })
  wide.plan({ id: 'b0', seq: 0, ranges: [] })
  wide.commit(commitOf('b0', { 'logs/0': 5 }, { deadLetters: [0, 1, 2, 3, 4].map((o) => letter(o, 170)) }))
  assert.equal(wide.trimDeadLetters(), null, 'within its room, nothing to drop')
  wide.close()
  // 235 bytes of room each: 500 bytes keep two.
  const narrow = openCheckpointStore({ path, identity, deadLetterRoomBytes: 500 })
  assert.deepEqual(narrow.trimDeadLetters(), { count: 3, bytes: 705, first: 'logs/0@0', last: 'logs/0@2' })
  assert.equal(narrow.trimDeadLetters(), null, 'once')
  narrow.close()
  const again = openCheckpointStore({ path, identity, deadLetterRoomBytes: 500, readonly: true })
  t.after(() => again.close())
  assert.deepEqual(again.deadLetters().map((d) => d.offset), [3, 4])
})

test('planning the same batch twice is harmless; committing an unplanned batch is refused', (t) => {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity })
  store.plan({ id: 'b0', seq: 0, ranges: [] })
  store.plan({ id: 'b0', seq: 0, ranges: [] })
  assert.equal(store.pendingBatches().length, 1)
  assert.throws(() => store.commit(commitOf('nope', { 'logs/0': 1 })), { code: 'CHECKPOINT_BATCH_UNKNOWN' })
  assert.equal(store.positions().size, 0, 'a refused commit changes nothing')
  store.close()
})

test('a checkpoint written for another source, sink or dimension refuses to open and is left as it was', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  openCheckpointStore({ path, identity }).close()
  const before = readFileSync(path)
  for (const other of [{ ...identity, source: 'kafka:other' }, { ...identity, sink: 'qdrant:x' }, { ...identity, dim: 768 }]) {
    assert.throws(() => openCheckpointStore({ path, identity: other }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CHECKPOINT_MISMATCH')
      assert.match(err.message, /written for another job/)
      return true
    })
  }
  assert.deepEqual(readFileSync(path), before)
})

test('a corrupt file refuses to open with a clear error', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0x5a)]))
  const before = readFileSync(path)
  assert.throws(() => openCheckpointStore({ path, identity }), { code: 'CHECKPOINT_CORRUPT' })
  assert.deepEqual(readFileSync(path), before)
})

test('reset moves positions and drops pending batches', (t) => {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity })
  store.plan({ id: 'b0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 5 }] })
  store.commit(commitOf('b0', { 'logs/0': 5, 'logs/1': 7 }))
  store.plan({ id: 'b1', seq: 1, ranges: [{ partition: 'logs/0', from: 5, to: 9 }] })
  store.resetPositions(new Map<string, number | null>([['logs/0', 2], ['logs/1', null]]))
  assert.deepEqual([...store.positions()], [['logs/0', 2]])
  assert.equal(store.pendingBatches().length, 0)
  store.close()
})

test('a commit drops older planned batches it replaced', (t) => {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity })
  store.plan({ id: 'old', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 5 }] })
  store.plan({ id: 'new', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 3 }] })
  store.commit(commitOf('new', { 'logs/0': 3 }))
  assert.deepEqual(store.pendingBatches(), [])
  store.close()
})

test('a commit never moves a position backwards', (t) => {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity })
  store.plan({ id: 'b1', seq: 1, ranges: [{ partition: 'logs/0', from: 5, to: 9 }] })
  store.commit(commitOf('b1', { 'logs/0': 9 }))
  store.plan({ id: 'b0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 5 }] })
  store.commit(commitOf('b0', { 'logs/0': 5 }))
  assert.equal(store.positions().get('logs/0'), 9)
  store.close()
})

test('only the most recent committed batch rows are kept', (t) => {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity, retainBatches: 3 })
  for (let seq = 0; seq < 10; seq++) {
    store.plan({ id: `b${seq}`, seq, ranges: [{ partition: 'logs/0', from: seq, to: seq + 1 }] })
    store.commit(commitOf(`b${seq}`, { 'logs/0': seq + 1 }))
  }
  assert.deepEqual(store.recentBatches(100).map((b) => b.seq), [9, 8, 7])
  assert.equal(store.nextSeq(), 10)
  store.close()
})

test('the checkpoint knows its store: the marker it adopted, the points acknowledged, the ids the last batches stored', (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const store = openCheckpointStore({ path, identity })
  assert.deepEqual(store.storeState(), { marker: null, acknowledged: 0 })
  store.adoptStore('m-1')
  for (let seq = 0; seq < 3; seq++) {
    store.plan({ id: `b${seq}`, seq, ranges: [{ partition: 'logs/0', from: seq * 10, to: seq * 10 + 10 }] })
    store.commit({ ...commitOf(`b${seq}`, { 'logs/0': seq * 10 + 10 }), counts: { received: 10, skippedExisting: 0, duplicatesInBatch: 0, stored: 4, deadLettered: 0 }, storedIds: [`id${seq}a`, `id${seq}b`] })
  }
  store.close()
  const again = openCheckpointStore({ path, identity })
  assert.deepEqual(again.storeState(), { marker: 'm-1', acknowledged: 12 })
  assert.deepEqual(again.recentStoredIds(2), ['id2a', 'id2b', 'id1a', 'id1b'])
  // Moving positions by hand forgets the store: the next start adopts the collection it finds.
  again.resetPositions(new Map([['logs/0', 0]]))
  assert.deepEqual(again.storeState(), { marker: null, acknowledged: 0 })
  again.close()
})

test('rewinding a partition moves its position back and drops the pending batches that cover it, and only those', (t) => {
  const store = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity })
  store.plan({ id: 'b0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 10 }] })
  store.commit(commitOf('b0', { 'logs/0': 10, 'logs/1': 7 }))
  store.plan({ id: 'b1', seq: 1, ranges: [{ partition: 'logs/0', from: 10, to: 20 }] })
  store.plan({ id: 'b2', seq: 2, ranges: [{ partition: 'logs/1', from: 7, to: 9 }] })
  store.rewindPartition('logs/0', 3)
  assert.equal(store.positions().get('logs/0'), 3)
  assert.equal(store.positions().get('logs/1'), 7)
  assert.deepEqual(store.pendingBatches().map((b) => b.id), ['b2'])
  store.close()
})

test('with deferSync a plan and a commit are durable once flush resolves; the connection leaves the fsync to flush', async (t) => {
  const path = checkpointPath(tempDir(t), 'j')
  const store = openCheckpointStore({ path, identity, deferSync: true })
  store.plan({ id: 'b1', seq: 0, ranges: [{ partition: 'p', from: 0, to: 5 }] })
  store.commit({ batchId: 'b1', positions: new Map([['p', 5]]), counts: { received: 5, skippedExisting: 0, duplicatesInBatch: 0, stored: 5, deadLettered: 0 }, timings: {}, deadLetters: [] })
  await store.flush()
  // Another connection (a restart) reads what was committed.
  const reader = openCheckpointStore({ path, identity, readonly: true })
  assert.deepEqual([...reader.positions()], [['p', 5]])
  reader.close()
  store.close()
  const full = openCheckpointStore({ path, identity })
  await full.flush()
  assert.deepEqual([...full.positions()], [['p', 5]])
  full.close()
})
