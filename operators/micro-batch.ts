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

export interface MicroBatchOptions {
  /** Records in a batch at most. */
  readonly maxSize: number
  /** Milliseconds from a batch's first record to its closing, at most. */
  readonly triggerMs: number
  /** Sequence number of the first new batch. */
  readonly firstSeq: number
  /** A batch planned before a crash and never committed: rebuilt first, over the same ranges. */
  readonly replay?: { readonly id: string; readonly seq: number; readonly ranges: readonly PartitionRange[] } | undefined
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
      // The replayed batch, while it is still being rebuilt.
      let replay = opts.replay ? { plan: opts.replay, acc: new Accumulator(), ends: new Map(opts.replay.ranges.map((r) => [r.partition, r.to])) } : null
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
        // Batches commit in order: nothing may close before the replayed batch.
        if (replay) {
          timer = scheduler.schedule(flushCurrent, opts.triggerMs)
          return
        }
        const acc = current
        current = new Accumulator()
        emit(acc, batchIdFor(acc.rangeList()), seq++)
      }

      const flushReplay = (complete: boolean): void => {
        if (!replay) return
        const { plan, acc } = replay
        replay = null
        replayTimer?.unsubscribe()
        if (acc.size > 0) {
          if (complete) emit(acc, plan.id, plan.seq)
          else {
            log.warn({ batch: plan.id, planned: plan.ranges, found: acc.rangeList() }, 'replayed batch could not be rebuilt over its planned ranges; committing what the source still holds')
            emit(acc, batchIdFor(acc.rangeList()), plan.seq)
          }
        }
        // Records that arrived past the replayed ranges wait for the trigger of their own batch.
        if (current.size >= opts.maxSize) flushCurrent()
      }

      const addCurrent = (item: ParsedItem): void => {
        current.add(item)
        if (current.size === 1 && timer === null) timer = scheduler.schedule(flushCurrent, opts.triggerMs)
        if (current.size >= opts.maxSize && replay === null) flushCurrent()
      }

      if (replay) replayTimer = scheduler.schedule(() => flushReplay(false), Math.max(opts.triggerMs, 1000) * 4)

      const subscription = source.subscribe({
        next(items) {
          try {
            for (const item of items) {
              if (replay) {
                const end = replay.ends.get(item.record.partition)
                if (end !== undefined && item.record.offset < end) {
                  replay.acc.add(item)
                  if (item.record.nextOffset >= end) replay.ends.delete(item.record.partition)
                  if (replay.ends.size === 0) flushReplay(true)
                  continue
                }
              }
              addCurrent(item)
            }
          } catch (err) {
            subscriber.error(err)
          }
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          flushReplay(replay !== null && replay.ends.size === 0)
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
