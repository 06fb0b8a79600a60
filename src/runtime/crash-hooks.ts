/**
 * Crash tests stop the job with SIGKILL at a chosen stage boundary of a chosen
 * batch: `LOGSTREAM_CRASH_AT=after-sink:3` kills the process right after batch
 * 3's points are stored and before its checkpoint commit. Unset, nothing happens.
 */
import type { Logger } from 'pino'
import type { Boundary, GraphHooks } from '../graph.ts'

const BOUNDARIES: readonly Boundary[] = ['after-fetch', 'after-dedup', 'after-plan', 'after-embed', 'after-score', 'after-sink', 'after-publish', 'after-checkpoint']

export function crashHooksFromEnv(env: NodeJS.ProcessEnv, logger: Logger): GraphHooks | undefined {
  const spec = env.LOGSTREAM_CRASH_AT
  if (!spec) return undefined
  const m = /^([a-z-]+):(\d+)$/.exec(spec)
  if (!m || !BOUNDARIES.includes(m[1] as Boundary)) throw new Error(`LOGSTREAM_CRASH_AT must be BOUNDARY:SEQ with BOUNDARY one of ${BOUNDARIES.join(', ')}, got ${spec}`)
  const boundary = m[1] as Boundary
  const seq = Number(m[2])
  logger.warn({ boundary, seq }, 'crash test: the process will kill itself')
  return {
    onBoundary(at, batch) {
      if (at === boundary && batch.seq === seq) {
        logger.flush?.()
        process.kill(process.pid, 'SIGKILL')
      }
    },
  }
}
