/**
 * Which shapes to announce as new patterns, and how many lines each has had.
 *
 * A shape is announced by its first line that scores at or above the
 * threshold; then it is quiet for `quietMs`: its further lines are counted
 * but not announced, so one new error repeated 10,000 times is one
 * announcement with a count. A shape that is still rare when its quiet period
 * is over is announced again (a rare line that comes back a day later is news
 * again; one seen often since scores low and is not).
 *
 * The state is the checkpoint's (`AnomalyLedger`), written once per batch id,
 * so a restart neither forgets a quiet period nor counts a replayed batch
 * twice; this class keeps the recently seen shapes in memory, bounded.
 */
import { hash } from 'node:crypto'
import type { AnomalyLedger, PatternRecord } from '../checkpoints/store.ts'

/** Shapes kept in memory (the ledger keeps more: `KEPT_PATTERNS`). */
export const TRACKED_SHAPES = 10_000
/** Characters of a shape and of an example line kept with a pattern. */
const SHAPE_CHARS = 2000
const EXAMPLE_CHARS = 4000

/** A short, stable id of a shape: the first 16 hex digits of its SHA-256. */
export function shapeIdOf(shape: string): string {
  return hash('sha256', shape, 'hex').slice(0, 16)
}

/** One shape of a batch, as the tracker needs it: its lines, and its first line at or above the threshold. */
export interface BatchShapeLines<L> {
  readonly shape: string
  readonly shapeId: string
  readonly lines: number
  /** The first anomalous line and its score, or null when none of its lines is. */
  readonly first: { readonly line: L; readonly score: number } | null
}

/** A shape to announce, and what was known of it before. */
export interface Announcement<L> {
  readonly shape: BatchShapeLines<L> & { readonly first: { readonly line: L; readonly score: number } }
  readonly previous: PatternRecord | null
}

export interface AnomalyTrackerOptions {
  readonly ledger: AnomalyLedger
  readonly threshold: number
  readonly quietMs: number
  readonly capacity?: number
}

export class AnomalyTracker {
  /** Shape id → pattern; Map order is recency of being seen. */
  readonly #known = new Map<string, PatternRecord>()
  readonly #ledger: AnomalyLedger
  readonly #capacity: number

  constructor(readonly opts: AnomalyTrackerOptions) {
    this.#ledger = opts.ledger
    this.#capacity = opts.capacity ?? TRACKED_SHAPES
    const loaded = opts.ledger.patterns({ limit: this.#capacity }).sort((a, b) => a.lastSeenAt - b.lastSeenAt)
    for (const p of loaded) this.#known.set(p.shapeId, p)
  }

  /**
   * The shapes a batch announces and the lines it adds to shapes already announced. Nothing is written:
   * `record` does, once the announcements' messages are built.
   */
  decide<L>(shapes: ReadonlyArray<BatchShapeLines<L>>, now: number): { lines: Map<string, number>; announce: Array<Announcement<L>> } {
    const lines = new Map<string, number>()
    const announce: Array<Announcement<L>> = []
    for (const s of shapes) {
      let announced = false
      if (s.first) {
        // A shape the memory has let go of may still be quiet: the ledger knows.
        const previous = this.#known.get(s.shapeId) ?? this.#ledger.pattern(s.shapeId)
        if (!previous || now - previous.announcedAt >= this.opts.quietMs) {
          announce.push({ shape: s as Announcement<L>['shape'], previous })
          announced = true
        }
      }
      if (announced || this.#known.has(s.shapeId)) lines.set(s.shapeId, (lines.get(s.shapeId) ?? 0) + s.lines)
    }
    return { lines, announce }
  }

  /** The new state of an announced shape. */
  patternOf<L>(a: Announcement<L>, now: number, example: { readonly level: string; readonly pointId: string; readonly line: string; readonly sourcePosition: string }): Omit<PatternRecord, 'lines'> {
    return {
      shapeId: a.shape.shapeId,
      shape: a.shape.shape.slice(0, SHAPE_CHARS),
      firstSeenAt: a.previous?.firstSeenAt ?? now,
      announcedAt: now,
      announcements: (a.previous?.announcements ?? 0) + 1,
      lastSeenAt: now,
      score: a.shape.first.score,
      level: example.level,
      pointId: example.pointId,
      example: example.line.slice(0, EXAMPLE_CHARS),
      sourcePosition: example.sourcePosition,
    }
  }

  /** Writes a batch's lines and announcements to the ledger (once per batch id) and keeps what it touched. */
  record(batch: { id: string; seq: number }, now: number, lines: ReadonlyMap<string, number>, announcements: ReadonlyArray<{ pattern: Omit<PatternRecord, 'lines'>; message: string }>): void {
    for (const p of this.#ledger.record({ batchId: batch.id, seq: batch.seq, at: now, lines, announcements })) {
      this.#known.delete(p.shapeId)
      this.#known.set(p.shapeId, p)
    }
    while (this.#known.size > this.#capacity) this.#known.delete(this.#known.keys().next().value!)
  }

  /** Announced shapes in memory, most recently announced first. */
  recent(limit: number): PatternRecord[] {
    return [...this.#known.values()].sort((a, b) => b.announcedAt - a.announcedAt).slice(0, limit)
  }

  /** How many announced shapes were first seen at or after `since` (ms). */
  firstSeenSince(since: number): number {
    let n = 0
    for (const p of this.#known.values()) if (p.firstSeenAt >= since) n++
    return n
  }
}
