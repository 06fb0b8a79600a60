import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import type { Embedder } from '../../operators/contracts.ts'
import { createPipelineMetrics } from '../../operators/metrics.ts'
import { maskVariables } from '../../operators/mask.ts'
import { EmbeddingShapeError } from '../../core/errors.ts'
import { embedText } from '../../src/adapters/builtin-embedder.ts'
import { createMaskingEmbedder } from '../../src/adapters/masking-embedder.ts'
import { metricSum } from '../helpers/metrics.ts'

const DIM = 16

/** A service that embeds what it is sent with the built-in embedder, and records every request; `answer` can spoil answers. */
function recordingService(answer: (texts: readonly string[], vectors: Float32Array[]) => Array<Float32Array | null> = (_, v) => v) {
  const requests: string[][] = []
  let closed = 0
  const service: Embedder = {
    name: 'http',
    dim: DIM,
    async embed(texts) {
      requests.push([...texts])
      return answer(texts, texts.map((t) => embedText(t, DIM))) as Float32Array[]
    },
    async close() {
      closed++
    },
  }
  return { service, requests, closed: () => closed }
}

const served = (a: string, b: string) => `${a}:Served block blk_${b} to /10.250.11.${a.length}`
const receiving = (n: number) => `Receiving block blk_${n} src: /10.250.19.${n % 250}:54106 dest: /10.250.19.102:50010`

test("each line's shape is sent instead of its message, each shape once a request; lines of a shape share its vector, in order", async () => {
  const { service, requests } = recordingService()
  const metrics = createPipelineMetrics(new Registry())
  const embedder = createMaskingEmbedder(service, { metrics })
  const texts = [receiving(1), served('10.251.30.85', '-2918'), receiving(2), receiving(3), served('10.251.91.84', '77')]
  const vectors = await embedder.embed(texts)
  assert.deepEqual(requests, [[maskVariables(texts[0]!), maskVariables(texts[1]!)]])
  assert.ok(!requests[0]!.some((t) => /\d/.test(t)), `no variable reaches the service: ${requests[0]}`)
  assert.equal(vectors.length, texts.length)
  assert.deepEqual(vectors.map((v) => Array.from(v)), [0, 1, 0, 0, 1].map((k) => Array.from(embedText(requests[0]![k]!, DIM))))
  assert.equal(metricSum(await metrics.registry.metrics(), 'logstream_embedding_texts_shared_total'), 3)
  assert.equal(embedder.dim, DIM)
  assert.match(embedder.name, /masked/)
})

test('shapes asked recently are answered from memory, the least recently used forgotten first', async () => {
  const { service, requests } = recordingService()
  const embedder = createMaskingEmbedder(service, { remembered: 2 })
  const a = receiving(1)
  const b = served('10.251.30.85', '1')
  const c = 'Verification succeeded for blk_-4117999745005013424'
  await embedder.embed([a, b])
  await embedder.embed([receiving(7)])
  assert.equal(requests.length, 1, 'a remembered shape asks nothing')
  await embedder.embed([c])
  // b was used least recently when c came: b is forgotten, a is not.
  await embedder.embed([receiving(8), served('10.251.30.85', '2')])
  assert.deepEqual(requests.slice(1), [[maskVariables(c)], [maskVariables(b)]])
})

test('an answer of the wrong count is refused whole; a bad vector goes to every line of its shape and is asked again next time', async () => {
  let spoil: 'count' | 'null' | 'zero' | null = 'count'
  const { service, requests } = recordingService((texts, vectors) => {
    const s = spoil
    spoil = null
    if (s === 'count') return vectors.slice(1)
    if (s === 'null') return vectors.map((v, i) => (texts[i]!.startsWith('Receiving') ? null : v))
    if (s === 'zero') return vectors.map(() => new Float32Array(DIM))
    return vectors
  })
  const embedder = createMaskingEmbedder(service)
  const texts = [receiving(1), served('10.251.30.85', '1'), receiving(2)]
  await assert.rejects(embedder.embed(texts), (err: unknown) => err instanceof EmbeddingShapeError && /1 vectors for 2 texts/.test(err.message))

  spoil = 'null'
  const withNull = await embedder.embed(texts)
  assert.equal(withNull[0], null)
  assert.equal(withNull[2], null)
  assert.ok(withNull[1] instanceof Float32Array)
  const again = await embedder.embed(texts)
  assert.deepEqual(requests.at(-1), [maskVariables(texts[0]!)], 'only the shape whose vector was bad is asked again')
  assert.ok(again.every((v) => v instanceof Float32Array))

  spoil = 'zero'
  const zeroText = 'Verification succeeded for blk_1'
  const [zero] = await embedder.embed([zeroText])
  assert.ok(zero!.every((x) => x === 0))
  await embedder.embed([zeroText])
  assert.deepEqual(requests.at(-1), [maskVariables(zeroText)], 'an all-zero vector is not remembered either')
})

test('shapes past 1,024 characters are asked each time; close reaches the service', async () => {
  const { service, requests, closed } = recordingService()
  const embedder = createMaskingEmbedder(service)
  const long = `BLOCK* ask 10.250.14.38:50010 to delete ${'word '.repeat(300)}`
  await embedder.embed([long, long])
  await embedder.embed([long])
  assert.deepEqual(requests, [[maskVariables(long)], [maskVariables(long)]], 'asked once a request, and again in the next')
  await embedder.close!()
  assert.equal(closed(), 1)
})

test('lines of different shapes never share a vector object (vectorPerShape), even from a service that answers every text with one object', async () => {
  const one = embedText('one', DIM)
  const { service } = recordingService((texts) => texts.map(() => one))
  const embedder = createMaskingEmbedder(service)
  assert.equal(embedder.vectorPerShape, true)
  const vectors = await embedder.embed([receiving(1), served('10.251.30.85', '-2918'), receiving(2)])
  assert.equal(vectors[0], vectors[2], 'one shape, one object')
  assert.notEqual(vectors[0], vectors[1], 'two shapes, two objects')
  assert.deepEqual(Array.from(vectors[1]!), Array.from(one), 'the same numbers')
})
