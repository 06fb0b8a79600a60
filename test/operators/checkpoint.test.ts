import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstValueFrom, of } from 'rxjs'
import type { StoredBatch } from '../../operators/contracts.ts'
import { batchReport, commitBatch, planBatch, spread } from '../../operators/checkpoint.ts'
import { FlowControl } from '../../operators/flow-control.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { counterValue, createTestContext, record } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'
import { deduped } from '../../operators/dedup.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const stored = (): StoredBatch => {
  const b = batchOf([entry('a', 0), entry('b', 1), entry('a', 2)], 4)
  const withDeadLetter = { ...b, deadLetters: [{ kind: 'dead-letter' as const, reason: 'empty' as const, detail: 'empty message', record: record('', 3, 'logs/0') }], ranges: [{ partition: 'logs/0', from: 0, to: 4 }] }
  return {
    ...deduped(withDeadLetter, b.entries.slice(0, 1), 1, 1),
    vectors: [new Float32Array(2)],
    stored: 1,
  }
}

test('commit advances positions with the dead letters, then the source commits, then the credit is freed', async (t) => {
  const checkpoints = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity: { job: 'j', source: 's', sink: 'k', dim: 2 } })
  t.after(() => checkpoints.close())
  const flow = new FlowControl(4)
  flow.admit(4)
  const order: string[] = []
  const batch = stored()
  const ctx = createTestContext('commit')
  await firstValueFrom(of(batch).pipe(planBatch(createTestContext('plan'), { checkpoints })))
  assert.deepEqual(checkpoints.pendingBatches().map((b) => b.id), [batch.id])
  const out = await firstValueFrom(
    of(batch).pipe(
      commitBatch(ctx, {
        checkpoints,
        flow,
        afterCheckpoint: () => order.push(`checkpoint at ${checkpoints.positions().get('logs/0')}`),
        source: { commit: async (p) => void order.push(`source ${p.get('logs/0')}`) },
      }),
    ),
  )
  assert.deepEqual(order, ['checkpoint at 4', 'source 4'])
  assert.equal(flow.inFlight, 0)
  assert.ok(out.committedAt > 0)
  assert.deepEqual(checkpoints.pendingBatches(), [])
  assert.equal(checkpoints.deadLetters()[0]!.reason, 'empty')
  assert.equal(await counterValue(ctx.metrics, 'batchesCommitted'), 1)
  const report = ctx.lines.find((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('Processing batch 4'))
  assert.ok(report, 'the batch report is logged')
  assert.equal(report.stored, 1)
  assert.equal(report.size, 4)
  const latency = await ctx.metrics.endToEndLatency.get()
  const observed = latency.values.find((v) => v.metricName === 'logstream_end_to_end_latency_seconds_count')?.value
  assert.equal(observed, 3, 'one end-to-end latency an entry: the stored one and the two let go at dedup')
})

test('dead letters dropped past their room are counted and logged as the commit is written', async (t) => {
  // Room for none: the batch's one dead letter (0 bytes of value, 13 of detail, 64) is dropped in its own commit.
  const checkpoints = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity: { job: 'j', source: 's', sink: 'k', dim: 2 }, deadLetterRoomBytes: 10 })
  t.after(() => checkpoints.close())
  const batch = stored()
  const ctx = createTestContext('commit')
  const flow = new FlowControl(4)
  flow.admit(4)
  await firstValueFrom(of(batch).pipe(planBatch(createTestContext('plan'), { checkpoints })))
  await firstValueFrom(of(batch).pipe(commitBatch(ctx, { checkpoints, flow, source: { commit: async () => {} } })))
  assert.deepEqual(checkpoints.deadLetters(), [])
  assert.equal(await counterValue(ctx.metrics, 'deadLettersDropped'), 1)
  const warning = ctx.lines.find((l) => String(l.msg).startsWith('the oldest dead letters were dropped'))
  assert.deepEqual([warning?.count, warning?.bytes, warning?.first, warning?.last], [1, 77, 'logs/0@3', 'logs/0@3'])
})

test('a failing source commit does not fail the batch: the checkpoint is the authority', async (t) => {
  const checkpoints = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity: { job: 'j', source: 's', sink: 'k', dim: 2 } })
  t.after(() => checkpoints.close())
  const batch = stored()
  checkpoints.plan(batch)
  const ctx = createTestContext('commit')
  await firstValueFrom(of(batch).pipe(commitBatch(ctx, { checkpoints, flow: new FlowControl(10), source: { commit: async () => Promise.reject(new Error('broker gone')) } })))
  assert.equal(checkpoints.positions().get('logs/0'), 4)
  assert.ok(ctx.lines.some((l) => l.level === 40 && String(l.msg).includes('source commit failed')))
})

test('the console block reads like the replaced job', () => {
  assert.deepEqual(batchReport(stored()), [
    'Processing batch 4...',
    '  Batch size: 4 messages',
    '  Skipped 1 existing entries',
    '  Dropped 1 duplicates within the batch',
    '  Dead-lettered 1 messages (1 empty)',
    '  Processing 1 new messages',
    '  Generated 1 embeddings',
    '  Batch 4 processed: 1 new entries stored, 2 duplicates skipped',
  ])
})

test('the stored-id sample of a batch is spread over it, first and last included', () => {
  assert.deepEqual(spread([1, 2, 3], 16), [1, 2, 3])
  assert.deepEqual(spread(Array.from({ length: 100 }, (_, i) => i), 4), [0, 33, 66, 99])
})
