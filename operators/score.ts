/**
 * Score: gives every fresh entry of a batch its rarity score against the
 * history before it (`rarity.ts`, the score `score-service` answers), keeps it
 * in the point's payload (`anomaly_score`), and announces new patterns.
 *
 * Cost: entries are grouped by masked shape; a shape seen recently is answered
 * by the cache (`shape-cache.ts`, kept up to date from the batches scored
 * here), and the other shapes are asked of the store in one batched request
 * (`searchMany`), once the batch before has been stored; the batch's own
 * earlier entries are compared in memory (`ingest-scores.ts`).
 *
 * No query stops the job or loses a line: a store that refuses a shape's
 * query is retried and the refused shapes found (`isolate.ts`); their lines
 * are stored unscored (`anomaly_score: null`), counted in
 * `logstream_lines_unscored_total` and logged. A store down for everything is
 * waited for, as the sink would wait.
 *
 * Announcements (see `anomaly-tracker.ts`) are written to the checkpoint's
 * outbox here, before the batch is stored, and published after it is
 * (`publish-anomalies.ts`).
 */
import type { AnomalyMessage, EmbeddedBatch, Neighbour, StepContext, VectorStore } from './contracts.ts'
import { backoff, isFatal, runIsolated, type ItemOutcome } from './isolate.ts'
import { isolationReporter } from './refusals.ts'
import { stage } from './stage.ts'
import { shapeOf } from './mask.ts'
import { RARITY_NEIGHBOURS } from './rarity.ts'
import { ingestScores, type ShapeGroup } from './ingest-scores.ts'
import { saturated, type ShapeCache } from './shape-cache.ts'
import type { StoredMark } from './stored-mark.ts'
import { shapeIdOf, type AnomalyTracker, type BatchShapeLines } from './anomaly-tracker.ts'

/** Nearest lines listed in an announcement. */
const NEIGHBOURS_SHOWN = 5

export interface ScoreOptions {
  readonly store: Pick<VectorStore, 'name' | 'search' | 'get'> & Partial<Pick<VectorStore, 'searchMany' | 'probe'>>
  /** Scores at or above it are anomalous. */
  readonly threshold: number
  readonly cache: ShapeCache
  /** Announces new patterns; without it lines are scored only. */
  readonly tracker?: AnomalyTracker | undefined
  /** How far the sink has got: a batch's store queries wait for the batch before it to be stored. */
  readonly stored?: StoredMark | undefined
  /** The job's name, in announcements. */
  readonly job: string
  /** Wall clock (ms) for quiet periods and the cache; tests pin it. */
  readonly now?: () => number
  /** Whole-batch attempts of the neighbour query before it is split (default 3). */
  readonly attempts?: number
  readonly delayMs?: (n: number) => number
  /** The embedder gives each shape one vector object (`Embedder.vectorPerShape`): a line's shape is then its vector's. */
  readonly vectorPerShape?: boolean
}

interface Group {
  readonly shape: string
  readonly vector: Float32Array
  stored: readonly number[] | 'zero' | null
  hits: readonly Neighbour[]
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/**
 * @example
 * embedded$.pipe(score(ctx, { store, threshold: 0.5, cache: new ShapeCache(10_000), tracker, job: 'logs' }))
 */
export function score(ctx: StepContext, opts: ScoreOptions) {
  const now = opts.now ?? Date.now
  const delayMs = opts.delayMs ?? backoff(500, 60_000)
  const store = opts.store
  const searchMany = store.searchMany
    ? (vectors: readonly Float32Array[]) => store.searchMany!(vectors, { k: RARITY_NEIGHBOURS + 1 })
    : (vectors: readonly Float32Array[]) => Promise.all(vectors.map(async (v) => (await store.search(v, { k: RARITY_NEIGHBOURS + 1 })).map((h) => ({ id: h.id, score: h.score }))))
  const probe = store.probe ? () => store.probe!().catch(() => false) : async () => true

  let lastScored: number | undefined
  // Shape ids of recent shapes: hashing each shape once, not once a batch.
  const shapeIds = new Map<string, string>()
  const shapeIdMemo = (shape: string) => {
    let id = shapeIds.get(shape)
    if (id === undefined) {
      id = shapeIdOf(shape)
      shapeIds.set(shape, id)
      if (shapeIds.size > 10_000) shapeIds.delete(shapeIds.keys().next().value!)
    }
    return id
  }
  return stage<EmbeddedBatch, EmbeddedBatch>(ctx, async (batch, log) => {
    const previous = lastScored
    lastScored = batch.seq
    const at = now()
    const fresh = batch.fresh
    if (fresh.length === 0) return { ...batch, scoring: { scored: 0, unscored: 0, anomalous: 0, threshold: opts.threshold, max: 0, queried: 0, cached: 0, announced: [] } }

    // One group per shape, in order of first appearance. With an embedder that gives each shape one vector object, a
    // line's group is its vector's, and a shape is looked up once a vector instead of once a line.
    const byShape = new Map<string, number>()
    const byVector = opts.vectorPerShape ? new Map<Float32Array, number>() : undefined
    const groups: Group[] = []
    const groupOf = fresh.map((e, i) => {
      const vector = batch.vectors[i]!
      const known = byVector?.get(vector)
      if (known !== undefined) return known
      const shape = shapeOf(e.entry.text)
      let g = byShape.get(shape)
      if (g === undefined) {
        g = groups.length
        byShape.set(shape, g)
        groups.push({ shape, vector, stored: null, hits: [] })
      }
      byVector?.set(vector, g)
      return g
    })
    let cached = 0
    const asked: Group[] = []
    for (const g of groups) {
      const known = opts.cache.get(g.shape, at)
      if (known === undefined) asked.push(g)
      else {
        g.stored = known
        cached++
      }
    }
    ctx.metrics.shapeLookups.labels('cache').inc(cached)
    ctx.metrics.shapeLookups.labels('store').inc(asked.length)

    // One batched neighbour query for the shapes the cache does not answer; the batch's own lines are not history.
    const own = asked.length > 0 ? new Set(fresh.map((e) => e.id)) : new Set<string>()
    const querySome = async (some: readonly Group[]): Promise<Array<ItemOutcome<readonly Neighbour[]>>> => {
      const answers = await searchMany(some.map((g) => g.vector))
      if (answers.length !== some.length) throw new RangeError(`the store answered ${answers.length} neighbour lists for ${some.length} vectors`)
      return answers.map((hits) => ({ ok: true, value: hits.filter((h) => !own.has(h.id)).slice(0, RARITY_NEIGHBOURS) }))
    }
    // The history of a batch is every batch before it: wait for the sink to have stored the last one.
    if (asked.length > 0 && previous !== undefined) await opts.stored?.until(previous, ctx.signal)
    const report = isolationReporter(ctx, log, store.name, batch.id)
    const outcomes = await runIsolated(asked, querySome, { attempts: opts.attempts ?? 3, delayMs, probe, isFatal, signal: ctx.signal, onEvent: report.onEvent })
    report.done()
    let refusal: unknown
    outcomes.forEach((o, i) => {
      const g = asked[i]!
      if (!o.ok) {
        refusal ??= o.error
        return
      }
      g.hits = o.value
      const sims = o.value.map((h) => h.score)
      // As many stored lines near-identical to it as the score looks at: 0 now, and as long as they stay stored.
      g.stored = saturated(sims) ? 'zero' : sims
      opts.cache.put(g.shape, g.vector, sims, at)
    })

    const scores = ingestScores(groups as readonly ShapeGroup[], groupOf)
    // The batch is history to the next ones: the cache's entries take its lines.
    const counts = new Array<number>(groups.length).fill(0)
    for (const g of groupOf) counts[g]!++
    opts.cache.merge(groups.map((g, i) => ({ shape: g.shape, vector: g.vector, count: counts[i]! })))
    // The score joins the entry's fields, from which the sink builds the point's payload (the entry is this batch's own).
    fresh.forEach((e, i) => (e.entry.anomaly_score = scores[i]))
    let unscored = 0
    let anomalous = 0
    let max = 0
    scores.forEach((s, i) => {
      if (s === null) return void unscored++
      if (s > max) max = s
      if (s >= opts.threshold) {
        anomalous++
        ctx.metrics.anomalies.labels(fresh[i]!.entry.log_level).inc()
      }
    })
    if (unscored > 0) {
      ctx.metrics.linesUnscored.inc(unscored)
      const err = refusal as { message?: string; code?: string } | undefined
      log.warn({ batch: batch.id, unscored, err: { message: err?.message, code: err?.code } }, `${store.name} could not answer the neighbour query of ${unscored} lines; they are stored without an anomaly score`)
    }

    const announced = opts.tracker ? await announce(opts.tracker, batch, counts, scores, groups, groupOf, at) : []
    log.debug({ batch: batch.id, scored: fresh.length - unscored, unscored, anomalous, queried: asked.length, cached, announced: announced.length }, 'scored')
    return { ...batch, scoring: { scored: fresh.length - unscored, unscored, anomalous, threshold: opts.threshold, max, queried: asked.length, cached, announced } }
  })

  /** Decides the batch's announcements, builds their messages and records them with the batch's lines. */
  async function announce(tracker: AnomalyTracker, batch: EmbeddedBatch, counts: readonly number[], scores: ReadonlyArray<number | null>, groups: readonly Group[], groupOf: readonly number[], at: number): Promise<string[]> {
    const fresh = batch.fresh
    const firsts = new Array<{ line: number; score: number } | null>(groups.length).fill(null)
    scores.forEach((s, i) => {
      if (s !== null && s >= opts.threshold && firsts[groupOf[i]!] === null) firsts[groupOf[i]!] = { line: i, score: s }
    })
    const shapes: Array<BatchShapeLines<number>> = groups.map((g, k) => ({ shape: g.shape, shapeId: shapeIdMemo(g.shape), lines: counts[k]!, first: firsts[k]! }))
    const decided = tracker.decide(shapes, at)
    if (decided.announce.length === 0) {
      tracker.record(batch, at, decided.lines, [])
      return []
    }
    // The nearest lines of each announced line's history: stored ones (texts fetched once for all) and its batch's earlier ones.
    const nearest = decided.announce.map(({ shape }) => {
      const i = shape.first.line
      const g = groups[groupOf[i]!]!
      // The nearest few, kept in order as candidates come (a batch may hold a thousand lines before it).
      const best: Array<{ id: string; similarity: number; text?: string }> = []
      const offer = (c: { id: string; similarity: number; text?: string }) => {
        if (best.length === NEIGHBOURS_SHOWN && c.similarity <= best.at(-1)!.similarity) return
        best.splice(best.findIndex((b) => b.similarity < c.similarity) >>> 0, 0, c)
        if (best.length > NEIGHBOURS_SHOWN) best.pop()
      }
      for (const h of g.hits) offer({ id: h.id, similarity: h.score })
      const sims = new Map<number, number>()
      for (let j = 0; j < i; j++) {
        const h = groupOf[j]!
        if (!sims.has(h)) sims.set(h, cosine(g.vector, groups[h]!.vector))
        offer({ id: fresh[j]!.id, similarity: sims.get(h)!, text: fresh[j]!.entry.text })
      }
      return best
    })
    const texts = new Map<string, string>()
    const wanted = [...new Set(nearest.flat().filter((n) => n.text === undefined).map((n) => n.id))]
    if (wanted.length > 0) {
      try {
        for (const p of await store.get(wanted)) texts.set(p.id, p.payload.text)
      } catch (err) {
        if (isFatal(err)) throw err
        ctx.logger.child({ step: ctx.step }).warn({ batch: batch.id, err: { message: (err as Error).message } }, 'could not read the texts of the nearest stored lines; announcements list their ids only')
      }
    }
    const log = ctx.logger.child({ step: ctx.step })
    const announcements = decided.announce.map((a, k) => {
      const e = fresh[a.shape.first.line]!
      const pattern = tracker.patternOf(a, at, { level: e.entry.log_level, pointId: e.id, line: e.entry.original_text, sourcePosition: `${e.record.partition}@${e.record.offset}` })
      const message: AnomalyMessage = {
        point_id: e.id,
        shape: pattern.shape,
        shape_id: pattern.shapeId,
        score: pattern.score,
        threshold: opts.threshold,
        line: e.entry.original_text,
        text: e.entry.text,
        log_level: e.entry.log_level,
        timestamp: e.entry.timestamp,
        source: e.entry.source,
        source_position: pattern.sourcePosition,
        partition: e.record.partition,
        offset: e.record.offset,
        neighbours: nearest[k]!.map((n) => ({ id: n.id, text: n.text ?? texts.get(n.id) ?? '', similarity: n.similarity })),
        count: (a.previous?.lines ?? 0) + a.shape.lines,
        announcement: pattern.announcements,
        first_seen: new Date(pattern.firstSeenAt).toISOString(),
        announced_at: new Date(at).toISOString(),
        job: opts.job,
      }
      log.warn({ batch: batch.id, shape: pattern.shape.slice(0, 200), score: pattern.score, point: e.id, position: pattern.sourcePosition, count: message.count, announcement: pattern.announcements }, `New pattern (score ${pattern.score.toFixed(2)}): ${pattern.shape.length > 200 ? `${pattern.shape.slice(0, 200)}…` : pattern.shape}`)
      return { pattern, message: JSON.stringify(message) }
    })
    tracker.record(batch, at, decided.lines, announcements)
    return announcements.map((a) => a.pattern.shape)
  }
}
