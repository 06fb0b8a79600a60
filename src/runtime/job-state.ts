/**
 * What the running job knows about itself, for `/readyz` and the status page:
 * its phase, configuration (secrets masked), flow, and the recent batches.
 */
import type { CommittedBatch } from '../../operators/contracts.ts'
import type { FlowControl } from '../../operators/flow-control.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import type { CheckpointStore, PatternRecord } from '../../checkpoints/store.ts'
import type { Config } from '../config.ts'
import { maskSecrets } from '../../core/secrets.ts'

export type JobPhase = 'starting' | 'running' | 'stopping' | 'stopped'

export interface BatchSummary {
  readonly seq: number
  readonly id: string
  readonly committedAt: number
  readonly received: number
  readonly stored: number
  readonly skippedExisting: number
  readonly duplicatesInBatch: number
  readonly deadLettered: number
  readonly timings: Readonly<Record<string, number>>
  readonly ranges: ReadonlyArray<{ partition: string; from: number; to: number }>
  /** Lines at or above the anomaly threshold, when scoring is on. */
  readonly anomalous?: number | undefined
}

/** What the status page needs of the announced shapes. */
export interface PatternView {
  recent(limit: number): PatternRecord[]
}

export class JobState {
  phase: JobPhase = 'starting'
  readonly startedAt = Date.now()
  config: Config | null = null
  /** What the job reads, e.g. `kafka logs` or `file /data/app.log`. */
  source = ''
  metrics: PipelineMetrics | null = null
  checkpoints: CheckpointStore | null = null
  flow: FlowControl | null = null
  anomalies: PatternView | null = null
  lastCommitAt: number | null = null
  /** Recent committed batches, oldest first, at most `historyLimit`. */
  readonly history: BatchSummary[] = []

  constructor(readonly historyLimit = 500) {}

  setConfig(config: Config): void {
    this.config = maskSecrets(config)
  }
  attachMetrics(metrics: PipelineMetrics): void {
    this.metrics = metrics
  }
  attachCheckpoints(checkpoints: CheckpointStore): void {
    this.checkpoints = checkpoints
  }
  attachFlow(flow: FlowControl): void {
    this.flow = flow
  }
  attachAnomalies(anomalies: PatternView): void {
    this.anomalies = anomalies
  }

  setPhase(phase: JobPhase): void {
    this.phase = phase
  }

  batchCommitted(b: CommittedBatch): void {
    this.lastCommitAt = b.committedAt
    this.history.push({
      seq: b.seq,
      id: b.id,
      committedAt: b.committedAt,
      received: b.received,
      stored: b.stored,
      skippedExisting: b.skippedExisting,
      duplicatesInBatch: b.duplicatesInBatch,
      deadLettered: b.deadLetters.length,
      timings: b.stageTimings,
      ranges: b.ranges,
      anomalous: b.scoring?.anomalous,
    })
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit)
  }
}
