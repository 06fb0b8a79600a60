import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Subject, firstValueFrom, lastValueFrom, of, toArray } from 'rxjs'
import type { AnomalyMessage, AnomalySink, StoredBatch } from '../../operators/contracts.ts'
import { deduped } from '../../operators/dedup.ts'
import { WAITING_KEPT, publishAnomalies } from '../../operators/publish-anomalies.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import type { PatternRecord } from '../../checkpoints/store.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createTestContext, counterValue } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const pattern = (shapeId: string, pointId: string): Omit<PatternRecord, 'lines'> => ({
  shapeId,
  shape: shapeId,
  firstSeenAt: 1,
  announcedAt: 1,
  announcements: 1,
  lastSeenAt: 1,
  score: 1,
  level: 'ERROR',
  pointId,
  example: 'x',
  sourcePosition: 'logs/0@1',
})
const message = (pointId: string) => JSON.stringify({ point_id: pointId, shape: pointId } as Partial<AnomalyMessage>)

function sinkOf(fail: () => Error | null = () => null): AnomalySink & { sent: string[] } {
  const sent: string[] = []
  return {
    describe: 'test sink',
    sent,
    async publish(messages) {
      const err = fail()
      if (err) throw err
      sent.push(...messages.map((m) => m.point_id))
    },
    async close() {},
  }
}

function setup(t: { after(fn: () => unknown): void }) {
  const checkpoints = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity: { job: 'j', source: 's', sink: 'k', dim: 2 } })
  t.after(() => checkpoints.close())
  const ledger = checkpoints.anomalies()
  const stored = (seq: number, deadIds: string[] = []): StoredBatch => {
    const b = batchOf([entry(`line ${seq}`, seq)], seq)
    const deadLetters = deadIds.map((id) => ({ kind: 'dead-letter' as const, reason: 'store-rejected' as const, detail: 'refused', record: b.entries[0]!.record, id }))
    return { ...deduped({ ...b, deadLetters }, b.entries, 0, 0), vectors: [], stored: 1 }
  }
  return { ledger, stored }
}

test("after a batch is stored, its announcements and earlier ones still waiting are published and marked; later batches' wait", async (t) => {
  const { ledger, stored } = setup(t)
  ledger.record({ batchId: 'a', seq: 3, at: 1, lines: new Map(), announcements: [{ pattern: pattern('s1', 'p1'), message: message('p1') }] })
  ledger.record({ batchId: 'b', seq: 4, at: 1, lines: new Map(), announcements: [{ pattern: pattern('s2', 'p2'), message: message('p2') }] })
  const sink = sinkOf()
  const ctx = createTestContext('publish')
  await firstValueFrom(of(stored(3)).pipe(publishAnomalies(ctx, { ledger, sink })))
  assert.deepEqual(sink.sent, ['p1'], 'batch 4 is not stored yet')
  await firstValueFrom(of(stored(4)).pipe(publishAnomalies(ctx, { ledger, sink })))
  assert.deepEqual(sink.sent, ['p1', 'p2'])
  assert.deepEqual(ledger.pending(100), [])
  assert.equal(await counterValue(ctx.metrics, 'announcements', { outcome: 'published' }), 2)
})

test('a sink that refuses is reported and the job goes on; the announcements are published after a later batch, a minute on', async (t) => {
  const { ledger, stored } = setup(t)
  ledger.record({ batchId: 'a', seq: 0, at: 1, lines: new Map(), announcements: [{ pattern: pattern('s1', 'p1'), message: message('p1') }] })
  let refusing = true
  const sink = sinkOf(() => (refusing ? new LogstreamError('DELIVERY_FAILED', 'topic does not exist', { retryable: false }) : null))
  const ctx = createTestContext('publish')
  let clock = 0
  const publish = publishAnomalies(ctx, { ledger, sink, now: () => clock })
  const batches = new Subject<ReturnType<typeof stored>>()
  const done = lastValueFrom(batches.pipe(publish, toArray()))
  const publisher = { next: (seq: number) => batches.next(stored(seq)) }
  const settle = () => new Promise((r) => setImmediate(r))
  publisher.next(0)
  await settle()
  assert.equal(ledger.pending(0).length, 1, 'kept')
  assert.equal(await counterValue(ctx.metrics, 'announcements', { outcome: 'failed' }), 1)
  assert.ok(ctx.lines.some((l) => /could not be published to test sink; they are kept and tried again after a batch in 60 s/.test(String(l.msg))))
  refusing = false
  clock = 30_000
  publisher.next(1)
  await settle()
  assert.deepEqual(sink.sent, [], 'not tried again within the minute')
  clock = 61_000
  publisher.next(2)
  await settle()
  assert.deepEqual(sink.sent, ['p1'])
  assert.equal(ledger.pending(5).length, 0)
  batches.complete()
  assert.deepEqual((await done).map((b) => b.seq), [0, 1, 2], 'every batch goes on')
})

test('an announcement whose line the store refused is dropped, not published', async (t) => {
  const { ledger, stored } = setup(t)
  ledger.record({ batchId: 'a', seq: 0, at: 1, lines: new Map(), announcements: [{ pattern: pattern('s1', 'p1'), message: message('p1') }, { pattern: pattern('s2', 'p2'), message: message('p2') }] })
  const sink = sinkOf()
  const ctx = createTestContext('publish')
  await firstValueFrom(of(stored(0, ['p1'])).pipe(publishAnomalies(ctx, { ledger, sink })))
  assert.deepEqual(sink.sent, ['p2'])
  assert.equal(ledger.pending(5).length, 0)
  assert.equal(await counterValue(ctx.metrics, 'announcements', { outcome: 'dropped' }), 1)
})

test('a sink that refuses for good keeps the newest announcements waiting, and drops the oldest past WAITING_KEPT, reported', async (t) => {
  const { ledger, stored } = setup(t)
  const announce = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ pattern: pattern(`s${from + i}`, `p${from + i}`), message: message(`p${from + i}`) }))
  ledger.record({ batchId: 'a', seq: 0, at: 1, lines: new Map(), announcements: announce(0, 2) })
  ledger.record({ batchId: 'b', seq: 1, at: 2, lines: new Map(), announcements: announce(2, WAITING_KEPT) })
  const sink = sinkOf(() => new LogstreamError('DELIVERY_FAILED', 'topic does not exist', { retryable: false }))
  const ctx = createTestContext('publish')
  await firstValueFrom(of(stored(1)).pipe(publishAnomalies(ctx, { ledger, sink })))
  const waiting = new Set(ledger.pending(1).map((p) => p.pointId))
  assert.equal(waiting.size, WAITING_KEPT)
  assert.deepEqual([waiting.has('p0'), waiting.has('p1'), waiting.has('p2'), waiting.has(`p${WAITING_KEPT + 1}`)], [false, false, true, true], 'the newest wait')
  assert.equal(await counterValue(ctx.metrics, 'announcements', { outcome: 'dropped' }), 2)
  assert.equal(await counterValue(ctx.metrics, 'announcements', { outcome: 'failed' }), WAITING_KEPT)
  assert.ok(ctx.lines.some((l) => /^2 announcement\(s\) dropped unpublished, the oldest/.test(String(l.msg))))
})
