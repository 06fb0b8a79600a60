import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstValueFrom, of } from 'rxjs'
import type { DedupedBatch, Embedder } from '../../operators/contracts.ts'
import { checkVectors, embed, vectorProblem } from '../../operators/embed.ts'
import { deduped } from '../../operators/dedup.ts'
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

const dedupedOf = (fresh: string[], all = fresh): DedupedBatch => {
  const batch = batchOf(all.map((t, i) => entry(t, i)))
  return deduped(batch, batch.entries.filter((e) => fresh.includes(e.entry.text)), all.length - fresh.length, 0)
}

test('only the fresh entries are embedded, in order', async () => {
  const embedder = countingEmbedder(3)
  const ctx = createTestContext('embed')
  const out = await firstValueFrom(of(dedupedOf(['b', 'c'], ['a', 'b', 'c'])).pipe(embed(ctx, { embedder })))
  assert.deepEqual(embedder.asked, [['b', 'c']])
  assert.equal(out.vectors.length, 2)
  assert.equal(await counterValue(ctx.metrics, 'embeddingsGenerated'), 2)
})

test('a batch with nothing fresh asks the embedder for nothing', async () => {
  const embedder = countingEmbedder(3)
  const out = await firstValueFrom(of(dedupedOf([], ['a'])).pipe(embed(createTestContext('embed'), { embedder })))
  assert.equal(embedder.asked.length, 0)
  assert.deepEqual(out.vectors, [])
})

const fast = { attempts: 2, delayMs: () => 1 }

test('a text whose vector is bad is dead-lettered with reason embedding-failed; the rest of the batch goes on', async () => {
  const bad: Array<(v: Float32Array) => Float32Array | null> = [
    () => new Float32Array(2), // wrong dimension
    () => Float32Array.from([0, NaN, 1]),
    () => new Float32Array(3), // all zero: cosine is undefined
    () => null, // no vector
  ]
  for (const corrupt of bad) {
    const embedder = countingEmbedder(3, (texts) => texts.map((t, i) => (t === 'poison' ? corrupt(Float32Array.from([1, 2, 3])) : Float32Array.from([i + 1, 1, 1]))) as Float32Array[])
    const released: string[] = []
    const ctx = createTestContext('embed')
    const out = await firstValueFrom(of(dedupedOf(['a', 'poison', 'c'])).pipe(embed(ctx, { embedder, ...fast, release: (ids) => released.push(...ids) })))
    assert.deepEqual(out.fresh.map((e) => e.entry.text), ['a', 'c'])
    assert.equal(out.vectors.length, 2)
    assert.equal(out.received, 3, 'the refused entry is still received')
    assert.equal(out.deadLetters.length, 1)
    assert.equal(out.deadLetters[0]!.reason, 'embedding-failed')
    assert.match(out.deadLetters[0]!.detail, /EMBEDDER_BAD_RESPONSE/)
    assert.equal(released.length, 1, 'the refused id leaves the recent-id cache')
    assert.equal(await counterValue(ctx.metrics, 'messagesMalformed', { reason: 'embedding-failed' }), 1)
  }
})

test('a vector shared by several texts is judged for each of them: a bad one refuses each, a good one stores each', async () => {
  const shared = Float32Array.from([1, 2, 3])
  const broken = new Float32Array(3) // all zero
  const embedder = countingEmbedder(3, (texts) => texts.map((t) => (t.startsWith('bad') ? broken : shared)))
  const ctx = createTestContext('embed')
  const out = await firstValueFrom(of(dedupedOf(['good 1', 'bad 1', 'good 2', 'bad 2'])).pipe(embed(ctx, { embedder, ...fast })))
  assert.deepEqual(out.fresh.map((e) => e.entry.text), ['good 1', 'good 2'])
  assert.deepEqual(out.vectors, [shared, shared])
  assert.deepEqual(out.deadLetters.map((d) => [d.record.offset, d.reason]), [[1, 'embedding-failed'], [3, 'embedding-failed']])
})

test('a text the service refuses every request for is found by splitting the batch; retries and the split are counted', async () => {
  const embedder = countingEmbedder(3)
  const refusing: Embedder = {
    name: 'refusing',
    dim: 3,
    async embed(texts) {
      if (texts.includes('t5')) throw Object.assign(new Error('400 bad input'), { code: 'EMBEDDER_REJECTED' })
      return embedder.embed(texts)
    },
  }
  const ctx = createTestContext('embed')
  const texts = Array.from({ length: 12 }, (_, i) => `t${i}`)
  const out = await firstValueFrom(of(dedupedOf(texts)).pipe(embed(ctx, { embedder: refusing, ...fast })))
  assert.deepEqual(out.deadLetters.map((d) => d.record.offset), [5])
  assert.equal(out.vectors.length, 11)
  assert.equal(await counterValue(ctx.metrics, 'batchRetries'), 1)
  assert.equal(await counterValue(ctx.metrics, 'batchSplits'), 1)
  assert.ok(ctx.lines.some((l) => /splitting it/.test(String(l.msg))))
})

test('a service that answers wrongly for everything, a probe too, is waited for: nothing is dead-lettered', async () => {
  let broken = 3
  const embedder: Embedder = {
    name: 'broken',
    dim: 3,
    async embed(texts) {
      // One vector too few: cannot be pinned on a text.
      if (broken-- > 0) return texts.slice(1).map(() => Float32Array.from([1, 1, 1]))
      return texts.map(() => Float32Array.from([1, 2, 3]))
    },
  }
  const ctx = createTestContext('embed')
  const out = await firstValueFrom(of(dedupedOf(['a', 'b'])).pipe(embed(ctx, { embedder, ...fast })))
  assert.equal(out.deadLetters.length, 0)
  assert.equal(out.vectors.length, 2)
  assert.ok((await counterValue(ctx.metrics, 'dependencyRetries', { dependency: 'embedder' })) >= 1)
})

test('checkVectors names what is wrong', () => {
  assert.throws(() => checkVectors([[1, Infinity]], 1, 2), /non-finite/)
  assert.throws(() => checkVectors([[0, 0]], 1, 2), /all-zero/)
  assert.throws(() => checkVectors([[1]], 2, 1), /1 vectors for 2 texts/)
})

test('vectorProblem finds a non-finite number at any position, and takes huge finite numbers and tiny ones', () => {
  // Every position of a 7-number vector (the four sums' lanes and the tail after them), each kind of non-finite number.
  for (const bad of [Number.NaN, Infinity, -Infinity]) {
    for (let at = 0; at < 7; at++) {
      const v = Array.from({ length: 7 }, (_, i) => (i === at ? bad : 0.5))
      assert.equal(vectorProblem(v, 7), `a non-finite number at position ${at}`)
      assert.equal(vectorProblem(Float32Array.from(v), 7), `a non-finite number at position ${at}`)
    }
  }
  // A plain array is read number by number: null and numeric text are not numbers (JSON.parse gives both).
  assert.equal(vectorProblem([0.5, null, 0.5] as unknown as number[], 3), 'a non-finite number at position 1')
  assert.equal(vectorProblem([0.5, 0.5, '0.5'] as unknown as number[], 3), 'a non-finite number at position 2')
  // Squares that overflow a double, or that are far below float32's range, still make a usable vector.
  assert.equal(vectorProblem([1e200, 1e200, 0, 0, 0], 5), null)
  assert.equal(vectorProblem(Float32Array.from([0, 0, 0, 0, 1.4e-45]), 5), null)
  assert.equal(vectorProblem(new Float32Array(384), 384), 'an all-zero vector (cosine similarity is undefined for it)')
  assert.equal(vectorProblem([-0, 0, -0], 3), 'an all-zero vector (cosine similarity is undefined for it)')
})
