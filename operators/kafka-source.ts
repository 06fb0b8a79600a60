/**
 * Kafka source over librdkafka (`@confluentinc/kafka-javascript`, its
 * node-rdkafka API, which gives manual assignment, pause/resume and commits
 * under our control).
 *
 * Two ways to own partitions:
 * - partition-group mode (`partitions` given): the instance assigns itself its
 *   partitions and resumes each from the checkpoint store, the authority, as
 *   with Spark checkpoints; the starting offset applies to partitions it has no
 *   checkpoint for;
 * - consumer-group mode: subscribes with a group id and cooperative-sticky
 *   rebalancing; an assigned partition resumes from the checkpoint or the
 *   group's committed offset, whichever is further.
 *
 * Offsets are never auto-committed nor auto-stored: librdkafka commits stored
 * offsets on unassign, so nothing is stored until a batch is checkpointed, and
 * then `commit` commits exactly the checkpointed positions (and, once every
 * record received from a partition is checkpointed, the position past the
 * transaction markers librdkafka stepped over after them). A revoked
 * partition's records already in flight are finished and checkpointed by this
 * instance (their Kafka commit is skipped, the new owner's offsets win); the
 * new owner may read some of them again, which costs nothing because point ids
 * are deterministic and existing ids are skipped.
 *
 * Backpressure: while the flow control is closed the loop first only holds
 * off taking records: librdkafka keeps its prefetched records (bounded by
 * `queued.max.messages.kbytes`), so reading goes on at once when the pipeline
 * has room. A librdkafka pause drops them, and after a resume its fetcher
 * waits up to a second before fetching again (it is not woken), which made
 * replays commit in bursts with second-long gaps. Only when the pipeline stays
 * full for `HOLD_MS` are the partitions paused and polling resumed (so
 * `max.poll.interval.ms` never expires while a batch waits on embedding, and
 * events keep coming); resuming them then asks the broker for a partition's
 * watermarks, which wakes the fetcher at once.
 */
import type { KafkaConsumer as KafkaConsumerType, LibrdKafkaError, Message, TopicPartition } from '@confluentinc/kafka-javascript'
import { Observable } from 'rxjs'
import type { PartitionRange, PositionOutOfRange, Positions, Source, SourceContext, SourceRecord } from './contracts.ts'
import type { PipelineMetrics } from './metrics.ts'
import { createConsumer, withConsumer } from './kafka-clients.ts'
import { partitionName, partitionNamer, splitPartitionName, type PartitionSpec } from './kafka-partitions.ts'
import { maskSecrets } from '../core/secrets.ts'

/** Methods the binding has and its type declarations lack. */
interface CooperativeConsumer {
  incrementalAssign(assignments: TopicPartition[]): void
  incrementalUnassign(assignments: TopicPartition[]): void
}

const ERR_ASSIGN = -175
/** How long a replay may wait for one partition's records before the other partitions are read anyway. */
const REPLAY_WAIT_MS = 30_000
const ERR_REVOKE = -174
/** How long a full pipeline only stops the taking of records before the partitions are paused. */
export const HOLD_MS = 2000

export interface KafkaSourceOptions {
  readonly brokers: string
  readonly topics: readonly string[]
  /** Partition-group mode when given; consumer-group mode otherwise. */
  readonly partitions?: readonly PartitionSpec[] | undefined
  readonly groupId: string
  readonly startingOffsets: 'earliest' | 'latest'
  /** librdkafka properties passed through (security, client id, fetch sizes). */
  readonly properties?: Readonly<Record<string, string>>
  /** Records fetched per poll at most. */
  readonly chunkSize?: number
  /** Complete after this long with no message and nothing in flight; 0 never. */
  readonly stopWhenIdleMs?: number
  readonly metrics?: PipelineMetrics | undefined
}

function toRecord(m: Message, partition: string): SourceRecord {
  return {
    partition,
    offset: m.offset,
    nextOffset: m.offset + 1,
    key: m.key === null || m.key === undefined ? null : Buffer.isBuffer(m.key) ? m.key.toString('utf8') : String(m.key),
    value: m.value ?? Buffer.alloc(0),
    timestampMs: m.timestamp !== undefined && m.timestamp > 0 ? m.timestamp : undefined,
    headers: m.headers?.length ? headersOf(m.headers) : undefined,
  }
}

// Only for messages that have headers: most have none, and an object a record is garbage a replay pays for.
function headersOf(list: NonNullable<Message['headers']>): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const h of list) for (const [k, v] of Object.entries(h)) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v)
  return headers
}

type Watermarks = { low: number; high: number }

/**
 * librdkafka's position in each of `names` (the offset after what the consumer has returned and stepped over: it moves
 * past transaction markers and aborted records), -1 where it has none. Read only between consume calls: during one,
 * librdkafka has moved it past records the call has not handed over yet.
 */
function positionsOf(c: KafkaConsumerType, names: Iterable<string>): Map<string, number> {
  const found = new Map<string, number>()
  const list = [...names].map((name) => ({ name, ...splitPartitionName(name) }))
  if (list.length === 0 || !c.isConnected()) return found
  try {
    const got = c.position(list.map(({ topic, partition }) => ({ topic, partition })))
    for (let i = 0; i < list.length; i++) found.set(list[i]!.name, got[i]?.offset ?? -1)
  } catch {
    // Partitions the consumer no longer holds: nothing stepped over that counts.
  }
  return found
}

function queryWatermarks(c: KafkaConsumerType, p: PartitionSpec): Promise<Watermarks> {
  return new Promise((resolve, reject) =>
    c.queryWatermarkOffsets(p.topic, p.partition, 10_000, (err, w) => (err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }))),
  )
}

/** Positions outside what their partitions' logs hold. */
async function outOfRange(c: KafkaConsumerType, positions: Positions): Promise<PositionOutOfRange[]> {
  const problems: PositionOutOfRange[] = []
  for (const [partition, position] of positions) {
    if (!partition.includes('/')) continue
    const { low, high } = await queryWatermarks(c, splitPartitionName(partition))
    if (position < low || position > high) problems.push({ partition, position, low, high })
  }
  return problems
}

/**
 * Which partitions a restart must read first: those of the oldest replayed
 * batch whose records have not all been delivered yet. Records are delivered
 * in offset order per partition, so delivery alone tells when a batch's
 * ranges are complete.
 */
export class ReplayDemand {
  readonly #batches: Array<Map<string, number>>
  constructor(replay: ReadonlyArray<{ readonly ranges: readonly PartitionRange[] }>) {
    this.#batches = replay.map((b) => new Map(b.ranges.filter((r) => r.to > r.from).map((r) => [r.partition, r.to])))
    this.#trim()
  }
  /** True while a replayed batch still waits for records. */
  get active(): boolean {
    return this.#batches.length > 0
  }
  /** Partitions the oldest incomplete replayed batch still needs. */
  wanted(): ReadonlySet<string> {
    return new Set(this.#batches[0]?.keys() ?? [])
  }
  /** Notes a delivered record; true when what is wanted changed. */
  delivered(partition: string, nextOffset: number): boolean {
    let changed = false
    for (const batch of this.#batches) {
      const end = batch.get(partition)
      if (end !== undefined && nextOffset >= end) {
        batch.delete(partition)
        changed = true
      }
    }
    return this.#trim() || changed
  }
  /** Gives up on partitions this instance cannot read (revoked, not owned). */
  drop(partitions: Iterable<string>): boolean {
    let changed = false
    for (const p of partitions) for (const batch of this.#batches) changed = batch.delete(p) || changed
    return this.#trim() || changed
  }
  #trim(): boolean {
    const before = this.#batches.length
    while (this.#batches.length > 0 && this.#batches[0]!.size === 0) this.#batches.shift()
    return this.#batches.length !== before
  }
}

/**
 * @example
 * createKafkaSource({ brokers: 'localhost:9092', topics: ['logs'], partitions: [{ topic: 'logs', partition: 0 }, { topic: 'logs', partition: 1 }], groupId: 'logstream', startingOffsets: 'earliest' })
 */
export function createKafkaSource(opts: KafkaSourceOptions): Source {
  const chunkSize = opts.chunkSize ?? 1000
  let consumer: KafkaConsumerType | null = null
  const owned = new Set<string>()
  const nameOf = partitionNamer()
  const highWatermarks = new Map<string, number>()
  // Per partition: the checkpoint's position (where the instance resumed, then each commit), the offset last committed to
  // Kafka, and librdkafka's position as of the last consume call's end.
  const committed = new Map<string, number>()
  const committedToKafka = new Map<string, number>()
  const stepped = new Map<string, number>()
  // Next offset expected per partition: a record elsewhere means records were skipped or the log was replaced.
  const expected = new Map<string, number>()
  const groupMode = !opts.partitions || opts.partitions.length === 0

  const sourceSettings: Record<string, unknown> = {
    'enable.partition.eof': false,
    'statistics.interval.ms': 5000,
    'socket.keepalive.enable': true,
    // Prefetched messages are memory outside the flow control: bound them. The bound is checked before a fetch, which then
    // brings up to max.partition.fetch.bytes (compressed) of every partition, and a message pins the whole decompressed
    // set it came in: librdkafka's defaults (64 MiB, 1 MiB a partition) held 50 MB more at the peak of a 6-partition
    // backlog than these (measured).
    'queued.max.messages.kbytes': 1024,
    'max.partition.fetch.bytes': 262_144,
    // A full prefetch queue postpones the partition's next fetch by this long, and the postponement outlives a
    // pause: at librdkafka's 1 s, every resume after the pipeline filled cost up to a second of reading.
    'fetch.queue.backoff.ms': 10,
    // A message larger than the client can receive would stall its partition for ever; received, it is dead-lettered as oversized.
    'receive.message.max.bytes': 1_000_000_000,
  }

  /**
   * Where a partition is done once `next` is committed: past what the consumer stepped over after its last record (a
   * transaction's marker, an aborted transaction's records) when every record received is committed, else `next`.
   * Without it a log written in transactions ends 1 behind for good, in the lag gauge and in Kafka's own tools.
   */
  const donePast = (partition: string, next: number): number =>
    owned.has(partition) && expected.get(partition) === next ? Math.max(next, stepped.get(partition) ?? -1) : next

  const updateLag = (partition: string) => {
    const hi = highWatermarks.get(partition)
    const pos = committed.get(partition)
    if (hi !== undefined && opts.metrics) opts.metrics.consumerLag.labels(partition).set(Math.max(0, hi - (pos === undefined ? 0 : donePast(partition, pos))))
  }

  /** Commits to Kafka (asynchronously: the checkpoint already holds these positions; this is for the group and for monitoring). */
  const commitToKafka = (c: KafkaConsumerType | null, offsets: Array<{ topic: string; partition: number; offset: number }>) => {
    if (!c || !c.isConnected() || offsets.length === 0) return
    for (const o of offsets) committedToKafka.set(partitionName(o.topic, o.partition), o.offset)
    c.commit(offsets)
  }

  /** Where the instance resumes a partition: what it has committed there so far. */
  const resumedAt = (name: string, offset: number) => {
    expected.set(name, offset)
    if (offset > (committed.get(name) ?? -1)) committed.set(name, offset)
  }

  return {
    kind: 'kafka',
    describe: opts.topics.join(','),

    open(ctx: SourceContext): Observable<readonly SourceRecord[]> {
      return new Observable<readonly SourceRecord[]>((subscriber) => {
        const log = ctx.logger.child({ step: 'source' })
        const metrics = opts.metrics
        let closed = false
        let lastMessageAt = Date.now()
        let brokerDown = false
        // Partitions paused now, for backpressure (all) or so a restart reads the partitions its replayed batches need first.
        let pausedNow = new Set<string>()
        // Since when the pipeline is full while the partitions are not paused (0: not full, or paused).
        let holdingSince = 0
        let holdTimer: ReturnType<typeof setTimeout> | null = null
        const demand = new ReplayDemand(ctx.replay ?? [])
        let demandProgressAt = Date.now()
        expected.clear()
        const gapCheckedAt = new Map<string, number>()
        let checkingIdle = false
        /** True when every owned partition's next offset is at its log end. */
        const readToEnd = async (): Promise<boolean> => {
          for (const name of owned) {
            const tp = splitPartitionName(name)
            const w = await queryWatermarks(c, tp)
            // A partition this instance has read nothing of starts where the checkpoint says, else where reading starts.
            const next = expected.get(name) ?? ctx.resumeFrom(name) ?? (await startOf(tp, w))
            // On a topic written in transactions the log ends with a commit marker, which no consumer receives as a record, and
            // an aborted transaction's records are skipped: the next record's offset stays below the end for good.
            // librdkafka's position steps over both.
            if (Math.max(next, stepped.get(name) ?? -1) < w.high) return false
          }
          return true
        }
        /**
         * Between consume calls: notes where librdkafka's position is, and commits to Kafka the partitions whose records
         * are all committed and that it has stepped past since (a transaction's final marker), so Kafka's tools and lag
         * exporters see them at their end, as they see a Java consumer's.
         */
        const stepOver = (k: KafkaConsumerType) => {
          for (const [name, offset] of positionsOf(k, owned)) stepped.set(name, offset)
          const offsets: Array<{ topic: string; partition: number; offset: number }> = []
          for (const name of owned) {
            const next = committed.get(name)
            if (next === undefined) continue
            const past = donePast(name, next)
            if (past <= next || past <= (committedToKafka.get(name) ?? -1)) continue
            offsets.push({ ...splitPartitionName(name), offset: past })
            updateLag(name)
          }
          commitToKafka(k, offsets)
        }
        const groupOffset = (tp: PartitionSpec): Promise<number | undefined> =>
          new Promise((resolve, reject) => c.committed([{ topic: tp.topic, partition: tp.partition }], 10_000, (err, list) => (err ? reject(err) : resolve(list[0] && list[0].offset >= 0 ? list[0].offset : undefined))))
        /**
         * Where reading starts in a partition the checkpoint has no position for: in consumer-group mode the group's
         * committed offset, else the starting offset. A committed offset outside the log is reset to the starting offset by
         * the consumer (auto.offset.reset), so an emptied log is read to its end at once.
         */
        const startOf = async (tp: PartitionSpec, { low, high }: Watermarks): Promise<number> => {
          const group = groupMode ? await groupOffset(tp) : undefined
          return group !== undefined && group >= low && group <= high ? group : opts.startingOffsets === 'latest' ? high : low
        }
        /**
         * The lag of a partition the checkpoint has no position for counts from where reading starts until a batch commits
         * there. Without it an idle partition started at 'latest' showed its whole length as lag for good.
         */
        const countFromStart = (name: string) => {
          const tp = splitPartitionName(name)
          queryWatermarks(c, tp).then((w) => startOf(tp, w)).then(
            (offset) => {
              if (!owned.has(name) || committed.has(name)) return
              committed.set(name, offset)
              updateLag(name)
            },
            (err: unknown) => log.debug({ err, partition: name }, 'could not find where reading starts; the lag counts from 0 until a batch commits'),
          )
        }

        const startOffset = (p: PartitionSpec): number | 'earliest' | 'latest' => ctx.resumeFrom(partitionName(p.topic, p.partition)) ?? opts.startingOffsets

        const conf: Record<string, unknown> = {
          ...sourceSettings,
        }
        if (groupMode) {
          conf['partition.assignment.strategy'] = 'cooperative-sticky'
          conf.rebalance_cb = function (this: KafkaConsumerType & CooperativeConsumer, err: LibrdKafkaError, assignment: TopicPartition[]) {
            try {
              if (err.code === ERR_ASSIGN) {
                const withOffsets = assignment.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: ctx.resumeFrom(partitionName(tp.topic, tp.partition)) ?? undefined }))
                this.incrementalAssign(withOffsets as TopicPartition[])
                for (const tp of withOffsets) {
                  const name = partitionName(tp.topic, tp.partition)
                  owned.add(name)
                  if (tp.offset !== undefined) resumedAt(name, tp.offset)
                  else {
                    expected.delete(name)
                    countFromStart(name)
                  }
                }
                lastMessageAt = Date.now()
                log.info({ partitions: assignment.map((tp) => partitionName(tp.topic, tp.partition)) }, 'partitions assigned')
                // Replayed batches wait only on partitions this member reads.
                if (demand.active) demand.drop([...demand.wanted()].filter((name) => !owned.has(name)))
                applyPause(this)
                aheadOfCheckpoint(this, withOffsets)
              } else if (err.code === ERR_REVOKE) {
                this.incrementalUnassign(assignment)
                const revoked = assignment.map((tp) => partitionName(tp.topic, tp.partition))
                for (const name of revoked) {
                  owned.delete(name)
                  pausedNow.delete(name)
                  expected.delete(name)
                  stepped.delete(name)
                  committedToKafka.delete(name)
                }
                if (demand.drop(revoked)) applyPause(this)
                log.info({ partitions: assignment.map((tp) => partitionName(tp.topic, tp.partition)) }, 'partitions revoked; their records in flight still complete')
              }
            } catch (e) {
              log.error({ err: e }, 'rebalance failed')
            }
          }
        }
        const c = createConsumer({ brokers: opts.brokers, groupId: opts.groupId, properties: opts.properties, settings: conf, topicSettings: { 'auto.offset.reset': opts.startingOffsets } })
        consumer = c
        // Short polls: while paused a poll returns nothing after this long, and resuming must not wait on it.
        c.setDefaultConsumeTimeout(25)

        /** In consumer-group mode: moves a partition to the group's committed offset when that is further than the checkpoint. */
        const aheadOfCheckpoint = (k: KafkaConsumerType, tps: Array<{ topic: string; partition: number; offset: number | undefined }>) => {
          const known = tps.filter((tp) => tp.offset !== undefined)
          if (known.length === 0) return
          k.committed(known.map(({ topic, partition }) => ({ topic, partition })), 10_000, (err, list) => {
            if (err) return log.warn({ err }, 'could not read committed group offsets; resuming from the checkpoint')
            for (const tp of list) {
              const mine = known.find((k2) => k2.topic === tp.topic && k2.partition === tp.partition)?.offset
              if (mine !== undefined && tp.offset > mine) {
                log.info({ partition: partitionName(tp.topic, tp.partition), checkpoint: mine, group: tp.offset }, 'the group committed further than the checkpoint (another member read on, or this job stepped over transaction markers); resuming there')
                resumedAt(partitionName(tp.topic, tp.partition), tp.offset)
                k.seek({ topic: tp.topic, partition: tp.partition, offset: tp.offset }, 5000, (e) => e && log.warn({ err: e }, 'seek failed'))
              }
            }
          })
        }

        c.on('event.error', (err: LibrdKafkaError) => {
          if (!brokerDown) log.warn({ err: { message: err.message, code: err.code } }, 'Kafka unreachable; librdkafka keeps reconnecting')
          brokerDown = true
          metrics?.dependencyUp.labels('kafka').set(0)
        })
        c.on('event.stats', (event: { message: string }) => {
          try {
            const stats = JSON.parse(event.message) as { brokers?: Record<string, { state: string; nodeid: number }>; topics?: Record<string, { partitions: Record<string, { hi_offset: number }> }> }
            const up = Object.values(stats.brokers ?? {}).some((b) => b.nodeid >= 0 && b.state === 'UP')
            if (up && brokerDown) log.info('Kafka reachable again')
            brokerDown = !up
            metrics?.dependencyUp.labels('kafka').set(up ? 1 : 0)
            for (const [topic, t] of Object.entries(stats.topics ?? {})) {
              for (const [p, s] of Object.entries(t.partitions)) {
                const name = partitionName(topic, Number(p))
                if (Number(p) >= 0 && owned.has(name) && s.hi_offset >= 0) {
                  highWatermarks.set(name, s.hi_offset)
                  updateLag(name)
                }
              }
            }
          } catch {
            // Statistics are best effort.
          }
        })

        /**
         * Pauses every partition while the pipeline is full; otherwise, while a
         * replayed batch waits for records, every partition it does not need.
         */
        function applyPause(k: KafkaConsumerType = c): void {
          const full = !ctx.flow.isOpen
          if (!full) holdingSince = 0
          else if (holdingSince === 0 && pausedNow.size === 0) holdingSince = Date.now()
          // A full pipeline pauses the partitions only once it has held off for HOLD_MS (see the file comment).
          const pauseAll = full && (holdingSince === 0 || Date.now() - holdingSince >= HOLD_MS)
          if (pauseAll) holdingSince = 0
          const want = new Set<string>()
          const needed = demand.active ? demand.wanted() : null
          for (const name of owned) if (pauseAll || (full && pausedNow.has(name)) || (needed && !needed.has(name))) want.add(name)
          const pause = [...want].filter((name) => !pausedNow.has(name))
          const resume = [...pausedNow].filter((name) => !want.has(name) && owned.has(name))
          if (pause.length > 0) k.pause(pause.map(splitPartitionName))
          if (resume.length > 0) {
            k.resume(resume.map(splitPartitionName))
            // librdkafka's fetcher sleeps up to a second after a resume; any request to the broker wakes it.
            for (const name of resume) k.queryWatermarkOffsets(splitPartitionName(name).topic, splitPartitionName(name).partition, 5000, () => {})
          }
          pausedNow = want
          if (pause.length > 0 || resume.length > 0) log.debug({ paused: pause, resumed: resume, replaying: needed ? [...needed] : [] }, full ? 'pipeline full: fetching paused' : 'fetching resumed')
          else if (holdingSince > 0 && full) log.debug('pipeline full: holding off')
        }
        /** True while the pipeline is full and the loop holds off instead of polling. */
        const holding = () => holdingSince > 0 && !ctx.flow.isOpen
        const unsubscribeFlow = ctx.flow.onChange(() => {
          applyPause()
          // Room again while holding off: read at once.
          if (!holding() && holdTimer) {
            clearTimeout(holdTimer)
            holdTimer = null
            setImmediate(poll)
          }
        })

        /** A record that is not the next expected one of its partition: find out whether records were lost. */
        const checkJump = (name: string, want: number, got: number): void => {
          const now = Date.now()
          // Gaps are normal on compacted and transactional topics: ask the broker at most once a partition every 5 s.
          if (got > want && now - (gapCheckedAt.get(name) ?? 0) < 5000) return
          gapCheckedAt.set(name, now)
          queryWatermarks(c, splitPartitionName(name)).then(
            ({ low, high }) => {
              // Backwards: the log was replaced under the job. Forwards past the log start: retention deleted unread records.
              if (got < want || want < low) ctx.positionLost?.({ partition: name, position: want, low, high })
            },
            (err: unknown) => log.warn({ err, partition: name }, 'could not check the offsets of a partition after a jump'),
          ).catch((err: unknown) => finish(err))
        }

        const finish = (err?: unknown) => {
          if (closed) return
          closed = true
          if (holdTimer) clearTimeout(holdTimer)
          unsubscribeFlow()
          if (err) subscriber.error(err)
          else subscriber.complete()
        }

        const poll = (): void => {
          if (closed) return
          if (ctx.signal.aborted) return finish()
          if (holding()) {
            // Taking nothing while the pipeline is full; a flow change polls again, or the hold ends in a pause.
            const left = HOLD_MS - (Date.now() - holdingSince)
            if (left <= 0) applyPause()
            else {
              holdTimer = setTimeout(() => {
                holdTimer = null
                poll()
              }, Math.min(left, 100))
              return
            }
          }
          c.consume(chunkSize, (err, messages) => {
            if (closed) return
            if (err) {
              log.warn({ err: { message: err.message, code: err.code } }, 'consume failed; retrying')
              setTimeout(poll, 500)
              return
            }
            if (messages.length > 0) {
              lastMessageAt = Date.now()
              if (brokerDown) {
                brokerDown = false
                metrics?.dependencyUp.labels('kafka').set(1)
              }
              // Records of partitions revoked since the fetch belong to their new owner.
              const records: SourceRecord[] = []
              for (const m of messages) {
                const name = nameOf(m.topic, m.partition)
                if (owned.has(name)) records.push(toRecord(m, name))
              }
              let demandChanged = false
              for (const r of records) {
                const want = expected.get(r.partition)
                if (want !== undefined && r.offset !== want) checkJump(r.partition, want, r.offset)
                expected.set(r.partition, r.nextOffset)
                if (demand.active) demandChanged = demand.delivered(r.partition, r.nextOffset) || demandChanged
              }
              if (demandChanged) {
                demandProgressAt = Date.now()
                if (!demand.active) log.info('the replayed batches have their records; reading every partition')
                applyPause()
              }
              if (records.length > 0) {
                ctx.flow.admit(records.length)
                subscriber.next(records)
              }
            }
            if (closed) return
            stepOver(c)
            if (messages.length === 0 && opts.stopWhenIdleMs && opts.stopWhenIdleMs > 0 && owned.size > 0 && ctx.flow.inFlight === 0 && Date.now() - lastMessageAt > opts.stopWhenIdleMs && !checkingIdle) {
              // Quiet is not the end: on a busy machine fetches can pause for longer than the idle time. Stop only when every partition is read to its end.
              checkingIdle = true
              readToEnd().then(
                (done) => {
                  checkingIdle = false
                  // Records may have come while the broker was asked.
                  if (!done || ctx.flow.inFlight > 0) return void (lastMessageAt = Date.now())
                  log.info({ idleMs: opts.stopWhenIdleMs }, 'every partition read to its end and nothing in flight: stopping')
                  finish()
                },
                (err: unknown) => {
                  checkingIdle = false
                  lastMessageAt = Date.now()
                  log.warn({ err }, 'could not check whether every partition is read to its end; reading on')
                },
              )
            }
            // A replayed batch whose records stopped coming (deleted, or read by another member) no longer holds the others back.
            if (demand.active && Date.now() - demandProgressAt > REPLAY_WAIT_MS) {
              log.warn({ partitions: [...demand.wanted()] }, 'records of a replayed batch are not coming; reading every partition')
              demand.drop(demand.wanted())
              demandProgressAt = Date.now()
              applyPause()
            }
            setImmediate(poll)
          })
        }

        // librdkafka reconnects by itself once connected; a first connection that fails is reported and tried again.
        const connect = () =>
          c.connect({ timeout: 30_000 }, (err) => {
            if (!err || closed) return
            metrics?.dependencyUp.labels('kafka').set(0)
            log.warn({ err: { message: err.message }, brokers: opts.brokers }, 'cannot reach Kafka yet; retrying in 2 s')
            setTimeout(() => !closed && !c.isConnected() && connect(), 2000)
          })
        connect()
        c.on('ready', () => {
          metrics?.dependencyUp.labels('kafka').set(1)
          log.info({ brokers: opts.brokers, mode: groupMode ? 'consumer-group' : 'partition-group', properties: maskSecrets(opts.properties ?? {}) }, `Connected to Kafka at ${opts.brokers}`)
          if (groupMode) {
            c.subscribe([...opts.topics])
          } else {
            const assignment = opts.partitions!.map((p) => ({ topic: p.topic, partition: p.partition, offset: startOffset(p) }))
            c.assign(assignment as never)
            for (const a of assignment) {
              owned.add(partitionName(a.topic, a.partition))
              if (typeof a.offset === 'number') resumedAt(partitionName(a.topic, a.partition), a.offset)
              else countFromStart(partitionName(a.topic, a.partition))
            }
            demand.drop([...demand.wanted()].filter((name) => !owned.has(name)))
            log.info({ partitions: assignment.map((a) => `${partitionName(a.topic, a.partition)}@${a.offset}`) }, 'partitions assigned')
          }
          applyPause()
          lastMessageAt = Date.now()
          poll()
        })

        return () => {
          closed = true
          if (holdTimer) clearTimeout(holdTimer)
          unsubscribeFlow()
        }
      })
    },

    async checkPositions(positions: Positions): Promise<PositionOutOfRange[]> {
      const kafkaPositions = new Map([...positions].filter(([name]) => opts.topics.includes(splitPartitionName(name).topic)))
      if (kafkaPositions.size === 0) return []
      return withConsumer({ brokers: opts.brokers, groupId: opts.groupId, properties: opts.properties, clientId: 'logstream-check' }, (c) => outOfRange(c, kafkaPositions))
    },

    async commit(positions: Positions): Promise<void> {
      const offsets: Array<{ topic: string; partition: number; offset: number }> = []
      for (const [name, next] of positions) {
        committed.set(name, next)
        updateLag(name)
        if (owned.has(name)) offsets.push({ ...splitPartitionName(name), offset: donePast(name, next) })
      }
      commitToKafka(consumer, offsets)
    },

    async close(): Promise<void> {
      const c = consumer
      consumer = null
      if (!c) return
      await new Promise<void>((resolve) => {
        if (!c.isConnected()) return resolve()
        const timer = setTimeout(resolve, 10_000)
        c.disconnect(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    },
  }
}
