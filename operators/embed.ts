/**
 * Embed: asks the embedder for the vectors of each batch's fresh entries, and
 * only those, keeping batch order. Every vector is checked: `dim` finite
 * numbers, not all zero (cosine similarity is undefined for a zero vector).
 *
 * No single text can stop the job: a text whose vector is bad, or that makes
 * the service refuse every request it is in, is found (retries, then halving
 * the batch; see `isolate.ts`) and dead-lettered with reason
 * `embedding-failed`; the rest of the batch is stored. A service that fails
 * for every text, an ordinary probe included, is waited for instead.
 */
import type { DeadLetter, DedupedBatch, EmbeddedBatch, Embedder, ParsedEntry, StepContext } from './contracts.ts'
import { EmbeddingShapeError } from '../core/errors.ts'
import { backoff, isFatal, runIsolated, type ItemOutcome } from './isolate.ts'
import { isolationReporter, refusal, withoutRefused } from './refusals.ts'
import { stage } from './stage.ts'

/** What is wrong with one vector, or null when it is usable. */
export function vectorProblem(v: ArrayLike<number> | null | undefined, dim: number): string | null {
  if (!v || typeof v.length !== 'number') return 'no vector'
  if (v.length !== dim) return `a vector of ${v.length} numbers, expected ${dim}`
  // Every embedder answers float32, whose squares sum to a finite number exactly when every component is finite: one
  // fast pass, and a second only for a bad vector. Anything else (a plain array may hold null or text) is read number by number.
  const norm = v instanceof Float32Array ? squaredNorm(v) : Number.NaN
  if (!(norm < Infinity)) {
    let sum = 0
    for (let j = 0; j < v.length; j++) {
      const x = v[j]!
      if (!Number.isFinite(x)) return `a non-finite number at position ${j}`
      sum += x * x
    }
    return sum === 0 ? ALL_ZERO : null
  }
  return norm === 0 ? ALL_ZERO : null
}

const ALL_ZERO = 'an all-zero vector (cosine similarity is undefined for it)'

/** The sum of the squares of `v`, in four independent sums (four additions a step, not one chain of 384). */
function squaredNorm(v: Float32Array): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  const whole = v.length - (v.length % 4)
  let j = 0
  for (; j < whole; j += 4) {
    const x0 = v[j]!
    const x1 = v[j + 1]!
    const x2 = v[j + 2]!
    const x3 = v[j + 3]!
    s0 += x0 * x0
    s1 += x1 * x1
    s2 += x2 * x2
    s3 += x3 * x3
  }
  for (; j < v.length; j++) s0 += v[j]! * v[j]!
  return s0 + s1 + s2 + s3
}

/** Throws unless `vectors` holds one usable vector of `dim` numbers per text. */
export function checkVectors(vectors: readonly ArrayLike<number>[], texts: number, dim: number): void {
  if (vectors.length !== texts) throw new EmbeddingShapeError(`embedder returned ${vectors.length} vectors for ${texts} texts`)
  for (let i = 0; i < vectors.length; i++) {
    const problem = vectorProblem(vectors[i], dim)
    if (problem) throw new EmbeddingShapeError(`embedder returned ${problem} at ${i}`)
  }
}

/** A text every embedding service embeds: asked when every text of a batch fails, to tell a broken service from broken texts. */
export const PROBE_TEXT = 'logstream probe: INFO service check'

export interface EmbedOptions {
  readonly embedder: Embedder
  /** Whole-batch attempts before the batch is split (default 3). */
  readonly attempts?: number
  /** Backoff between attempts and while the service fails for everything (default 0.5 s doubling to 60 s, jittered). */
  readonly delayMs?: (n: number) => number
  /** Told of the ids of entries dead-lettered here, so nothing takes them for stored. */
  readonly release?: (ids: readonly string[]) => void
}

/**
 * @example
 * deduped$.pipe(embed(ctx, { embedder }))
 */
export function embed(ctx: StepContext, opts: EmbedOptions) {
  const { embedder } = opts
  const delayMs = opts.delayMs ?? backoff(500, 60_000)
  const embedSome = async (entries: readonly ParsedEntry[]): Promise<Array<ItemOutcome<Float32Array>>> => {
    const vectors = await embedder.embed(
      entries.map((e) => e.entry.text),
      { signal: ctx.signal },
    )
    // A wrong count cannot be pinned on a text: the whole call is refused.
    if (vectors.length !== entries.length) throw new EmbeddingShapeError(`embedder returned ${vectors.length} vectors for ${entries.length} texts`)
    // Lines of one shape may share one vector (the built-in embedder, `--embedding-text masked`): it is checked once.
    const checked = new Map<Float32Array, string | null>()
    const outcomes = vectors.map((v): ItemOutcome<Float32Array> => {
      let problem = checked.get(v)
      if (problem === undefined) checked.set(v, (problem = vectorProblem(v, embedder.dim)))
      return problem ? { ok: false, error: new EmbeddingShapeError(`embedder returned ${problem}`) } : { ok: true, value: v }
    })
    // Every vector of an answer bad is the answer's fault (a wrong model, a passing fault), not every text's.
    const bad = outcomes.filter((o) => !o.ok)
    if (entries.length > 1 && bad.length === entries.length) throw (bad[0] as { error: Error }).error
    return outcomes
  }
  const probe = () =>
    embedder.embed([PROBE_TEXT], { signal: ctx.signal }).then(
      (v) => v.length === 1 && vectorProblem(v[0], embedder.dim) === null,
      () => false,
    )

  return stage<DedupedBatch, EmbeddedBatch>(ctx, async (batch, log) => {
    if (batch.fresh.length === 0) return { ...batch, vectors: [] }
    const report = isolationReporter(ctx, log, 'embedder', batch.id)
    const outcomes = await runIsolated(batch.fresh, embedSome, { attempts: opts.attempts ?? 3, delayMs, probe, isFatal, signal: ctx.signal, onEvent: report.onEvent })
    report.done()
    const fresh: ParsedEntry[] = []
    const vectors: Float32Array[] = []
    const refused: DeadLetter[] = []
    outcomes.forEach((o, i) => {
      const e = batch.fresh[i]!
      if (o.ok) {
        fresh.push(e)
        vectors.push(o.value)
      } else refused.push(refusal(e, 'embedding-failed', o.error))
    })
    ctx.metrics.embeddingsGenerated.inc(vectors.length)
    log.debug({ batch: batch.id, n: vectors.length, refused: refused.length }, 'embedded')
    return { ...withoutRefused(batch, refused, ctx, opts.release), fresh, vectors }
  })
}
