/**
 * `npm run bench -- bodies`: what writing a Qdrant upsert costs the job's main
 * thread, a point at a time, for the vectors an embedding service gives.
 *
 * 1,000 points as the sink makes them (HDFS traffic through the parse stage
 * and `pointsOf`, so the payloads are the job's), in three kinds of vectors:
 * dense (a model's: every component non-zero), sparse (the built-in
 * embedder's, which `serve-embeddings` serves to the production rows: most
 * components zero) and shared (`--embedding-text masked`: the lines of one
 * shape hold one vector). Each body is written by the REST writer
 * (`points-json.ts`) and the gRPC one (`qdrant-proto.ts`), against the
 * baseline measured beside them: `JSON.stringify` of the same body.
 *
 * Sizes: BENCH_BODY_ROUNDS (50) bodies a writer and kind, after 10 to warm up.
 */
import { createBuiltinEmbedder } from '../src/adapters/builtin-embedder.ts'
import { upsertBody } from '../src/adapters/points-json.ts'
import { upsertFrame } from '../src/adapters/qdrant-proto.ts'
import { pointsOf } from '../operators/sink.ts'
import type { Point } from '../operators/contracts.ts'
import { freshEntries } from './fresh-entries.ts'
import { prng } from './hdfs-traffic.ts'

const DIM = 384
const POINTS = 1000
const ROUNDS = Number(process.env.BENCH_BODY_ROUNDS ?? 50)

const fresh = freshEntries(POINTS)

const random = prng(5)
/** A unit vector with every component non-zero, as a model's (a sum of uniforms: near-normal components). */
function dense(): Float32Array {
  const v = Float32Array.from({ length: DIM }, () => random() + random() + random() - 1.5)
  const norm = Math.hypot(...v)
  return v.map((x) => x / norm)
}
// The built-in embedder gives the lines of one shape one vector object: shared as they come, and each copied apart for
// the sparse kind, as an HTTP embedder's vectors are each their own object (views of its answer).
const shared = await createBuiltinEmbedder({ dim: DIM }).embed(fresh.map((f) => f.entry.text))
const sparse = shared.map((v) => Float32Array.from(v))
const now = new Date().toISOString()
const kinds: Array<[string, Point[]]> = [
  ['dense (a model)', pointsOf({ fresh, vectors: fresh.map(dense) }, now)],
  ['sparse (the built-in embedder)', pointsOf({ fresh, vectors: sparse }, now)],
  ['shared (one vector a shape)', pointsOf({ fresh, vectors: shared }, now)],
]

const writers: Array<[string, (points: readonly Point[], into: Buffer) => Buffer]> = [
  ['JSON.stringify (baseline)', (points) => Buffer.from(JSON.stringify({ points: points.map((p) => ({ id: p.id, vector: Array.from(p.vector), payload: p.payload })) }))],
  ['REST (points-json)', (points, into) => upsertBody(points, into)],
  ['gRPC (qdrant-proto)', (points, into) => upsertFrame(points, { collection: 'bench', wait: true, ordering: 'weak' }, into)],
]

/** µs a point and bytes a point of one writer on one kind, best of three runs of ROUNDS bodies (the machine is shared). */
function measure(write: (points: readonly Point[], into: Buffer) => Buffer, points: Point[]): { us: number; bytes: number } {
  const into = Buffer.allocUnsafeSlow(16 << 20)
  let bytes = 0
  for (let i = 0; i < 10; i++) bytes = write(points, into).length
  let best = Infinity
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now()
    for (let i = 0; i < ROUNDS; i++) write(points, into)
    best = Math.min(best, (performance.now() - t0) / ROUNDS)
  }
  return { us: (best * 1000) / points.length, bytes: bytes / points.length }
}

console.log(`Qdrant upsert bodies: ${POINTS.toLocaleString('en-US')} points of ${DIM} dimensions with the job's payloads, best of 3 runs of ${ROUNDS} bodies`)
console.log('| vectors | writer | µs a point | bytes a point | vs baseline |')
console.log('| --- | --- | --- | --- | --- |')
for (const [kind, points] of kinds) {
  let baseline = 0
  for (const [name, write] of writers) {
    const r = measure(write, points)
    baseline ||= r.us
    console.log(`| ${kind} | ${name} | ${r.us.toFixed(2)} | ${Math.round(r.bytes).toLocaleString('en-US')} | ${(baseline / r.us).toFixed(2)}x |`)
  }
}
