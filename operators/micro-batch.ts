/**
 * Micro-batch: closes a batch when it holds `maxSize` records or `triggerMs` has
 * passed since its first record, whichever comes first (the replaced job's
 * trigger was 15 s, its batch 1000). Dead letters count towards the size, so
 * every position a batch covers is accounted for when it commits.
 *
 * After a crash, the batch that was planned and never committed is rebuilt over
 * exactly its planned ranges and keeps its id and sequence number; records past
 * those ranges wait for the batches after it.
 */
import { Observable, asyncScheduler, type OperatorFunction, type Subscription } from 'rxjs'
import type { Batch, DeadLetter, ParsedEntry, ParsedItem, PartitionRange, StepContext } from './contracts.ts'
import { batchIdFor } from './batch-id.ts'

export interface PlannedBatch {
  readonly id: string
  readonly seq: number
  readonly ranges: readonly PartitionRange[]
}

export interface MicroBatchOptions {
  /** Records in a batch at most. */
  readonly maxSize: number
  /** Milliseconds from a batch's first record to its closing, at most. */
  readonly triggerMs: number
  /** Sequence number of the first new batch. */
  readonly firstSeq: number
  /**
   * Batches planned before a crash and never committed, oldest first: rebuilt
   * first, over the same ranges, with the same ids. If the source cannot
   * deliver all of their records within `replayTimeoutMs` (retention deleted
   * them, a file was truncated), what arrived is emitted under new ids.
   */
  readonly replay?: readonly PlannedBatch[] | undefined
  readonly replayTimeoutMs?: number
}

class Accumulator {
  entries: ParsedEntry[] = []
  deadLetters: DeadLetter[] = []
  ranges = new Map<string, { from: number; to: number }>()
  openedAt = 0

  get size(): number {
    return this.entries.length + this.deadLetters.length
  }

  add(item: ParsedItem): void {
    if (this.size === 0) this.openedAt = performance.now()
    if (item.kind === 'entry') this.entries.push(item)
    else this.deadLetters.push(item)
    const { partition, offset, nextOffset } = item.record
    const range = this.ranges.get(partition)
    if (range) range.to = Math.max(range.to, nextOffset)
    else this.ranges.set(partition, { from: offset, to: nextOffset })
  }

  rangeList(): PartitionRange[] {
    return [...this.ranges].map(([partition, r]) => ({ partition, from: r.from, to: r.to }))
  }
}

/** A planned batch being rebuilt: which partitions still owe records. */
class Rebuild {
  readonly acc = new Accumulator()
  readonly owed: Map<string, number>
  constructor(readonly plan: PlannedBatch) {
    this.owed = new Map(plan.ranges.filter((r) => r.to > r.from).map((r) => [r.partition, r.to]))
  }
  covers(partition: string, offset: number): boolean {
    return this.plan.ranges.some((r) => r.partition === partition && offset >= r.from && offset < r.to)
  }
  add(item: ParsedItem): void {
    this.acc.add(item)
    const end = this.owed.get(item.record.partition)
    if (end !== undefined && item.record.nextOffset >= end) this.owed.delete(item.record.partition)
  }
  get complete(): boolean {
    return this.owed.size === 0
  }
}

/**
 * @example
 * parsed$.pipe(microBatch(ctx, { maxSize: 1000, triggerMs: 15_000, firstSeq: store.nextSeq() }))
 */
export function microBatch(ctx: StepContext, opts: MicroBatchOptions): OperatorFunction<readonly ParsedItem[], Batch> {
  if (!(opts.maxSize >= 1)) throw new RangeError(`maxSize must be at least 1, got ${opts.maxSize}`)
  const scheduler = ctx.scheduler ?? asyncScheduler
  const log = ctx.logger.child({ step: ctx.step })

  return (source) =>
    new Observable<Batch>((subscriber) => {
      let seq = opts.firstSeq
      let current = new Accumulator()
      let timer: Subscription | null = null
      let rebuilds = (opts.replay ?? []).map((plan) => new Rebuild(plan))
      // Records past the replayed ranges, held until every replayed batch is out: batches commit in order.
      let held: ParsedItem[] = []
      let replayTimer: Subscription | null = null

      const emit = (acc: Accumulator, id: string, batchSeq: number): void => {
        subscriber.next({
          id,
          seq: batchSeq,
          ranges: acc.rangeList(),
          entries: acc.entries,
          deadLetters: acc.deadLetters,
          openedAt: acc.openedAt,
          stageTimings: {},
        })
      }

      const flushCurrent = (): void => {
        timer?.unsubscribe()
        timer = null
        if (current.size === 0) return
        const acc = current
        current = new Accumulator()
        emit(acc, batchIdFor(acc.rangeList()), seq++)
      }

      const addCurrent = (item: ParsedItem): void => {
        current.add(item)
        if (current.size === 1 && timer === null) timer = scheduler.schedule(flushCurrent, opts.triggerMs)
        if (current.size >= opts.maxSize) flushCurrent()
      }

      /** Emits the replayed batches that are complete and whose predecessors are out; `force` emits them all. */
      const drainRebuilds = (force: boolean): void => {
        while (rebuilds.length > 0 && (force || rebuilds[0]!.complete)) {
          const r = rebuilds.shift()!
          if (r.acc.size === 0) continue
          if (r.complete) emit(r.acc, r.plan.id, r.plan.seq)
          else {
            log.warn({ batch: r.plan.id, planned: r.plan.ranges, found: r.acc.rangeList() }, 'a replayed batch could not be rebuilt over its planned ranges; committing what the source still holds')
            emit(r.acc, batchIdFor(r.acc.rangeList()), r.plan.seq)
          }
        }
        if (rebuilds.length === 0) {
          replayTimer?.unsubscribe()
          replayTimer = null
          const waiting = held
          held = []
          for (const item of waiting) addCurrent(item)
        }
      }

      if (rebuilds.length > 0) {
        replayTimer = scheduler.schedule(() => drainRebuilds(true), opts.replayTimeoutMs ?? Math.max(opts.triggerMs * 4, 30_000))
      }

      const subscription = source.subscribe({
        next(items) {
          try {
            for (const item of items) {
              if (rebuilds.length === 0) {
                addCurrent(item)
                continue
              }
              const owner = rebuilds.find((r) => r.covers(item.record.partition, item.record.offset))
              if (owner) {
                owner.add(item)
                if (owner === rebuilds[0] && owner.complete) drainRebuilds(false)
              } else held.push(item)
            }
          } catch (err) {
            subscriber.error(err)
          }
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          drainRebuilds(true)
          flushCurrent()
          subscriber.complete()
        },
      })

      return () => {
        subscription.unsubscribe()
        timer?.unsubscribe()
        replayTimer?.unsubscribe()
      }
    })
}
