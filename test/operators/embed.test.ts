import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstValueFrom, of } from 'rxjs'
import type { DedupedBatch, Embedder } from '../../operators/contracts.ts'
import { checkVectors, embed } from '../../operators/embed.ts'
import { createTestContext, counterValue } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'

function countingEmbedder(dim: number, reply?: (texts: readonly string[]) => Float32Array[]): Embedder & { asked: string[][] } {
  const asked: string[][] = []
  return {
    name: 'counting',
    dim,
    asked,
    async embed(texts) {
      asked.push([...texts])
      return reply ? reply(texts) : texts.map((_, i) => Float32Array.from({ length: dim }, (_, j) => (i + j + 1) / 10))
    },
  }
}

const deduped = (fresh: string[], all = fresh): DedupedBatch => {
  const batch = batchOf(all.map((t, i) => entry(t, i)))
  return { ...batch, fresh: batch.entries.filter((e) => fresh.includes(e.entry.text)), skippedExisting: all.length - fresh.length, duplicatesInBatch: 0 }
}

test('only the fresh entries are embedded, in order', async () => {
  const embedder = countingEmbedder(3)
  const ctx = createTestContext('embed')
  const out = await firstValueFrom(of(deduped(['b', 'c'], ['a', 'b', 'c'])).pipe(embed(ctx, { embedder })))
  assert.deepEqual(embedder.asked, [['b', 'c']])
  assert.equal(out.vectors.length, 2)
  assert.equal(await counterValue(ctx.metrics, 'embeddingsGenerated'), 2)
})

test('a batch with nothing fresh asks the embedder for nothing', async () => {
  const embedder = countingEmbedder(3)
  const out = await firstValueFrom(of(deduped([], ['a'])).pipe(embed(createTestContext('embed'), { embedder })))
  assert.equal(embedder.asked.length, 0)
  assert.deepEqual(out.vectors, [])
})

test('a wrong answer fails the batch: count, size, non-finite numbers', async () => {
  const cases: Array<(t: readonly string[]) => Float32Array[]> = [
    (t) => t.slice(1).map(() => new Float32Array(3)),
    (t) => t.map(() => new Float32Array(2)),
    (t) => t.map(() => Float32Array.from([0, NaN, 1])),
  ]
  for (const reply of cases) {
    const embedder = countingEmbedder(3, reply)
    await assert.rejects(firstValueFrom(of(deduped(['a', 'b'])).pipe(embed(createTestContext('embed'), { embedder }))), { code: 'EMBEDDER_BAD_RESPONSE' })
  }
  assert.throws(() => checkVectors([[1, Infinity]], 1, 2), /non-finite/)
})
