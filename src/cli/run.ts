/**
 * `logstream run`: the streaming job. SIGTERM or SIGINT stops reading, lets the
 * batch in flight finish and commit, and exits 0 within the shutdown timeout;
 * a second signal exits at once, which is safe because nothing is committed
 * before it is stored. The same signal again within `REPEATED_SIGNAL_MS` of
 * the first is the same request delivered twice (GNU `timeout` and some init
 * processes signal both the process and its group), not a second one.
 */
import { defineCommand } from './command.ts'
import type { Config } from '../config.ts'
import { createLogger } from '../runtime/logger.ts'
import { runJob } from '../main.ts'
import { JobState } from '../runtime/job-state.ts'
import { crashHooksFromEnv } from '../runtime/crash-hooks.ts'
import { bool, field } from '../options.ts'
import { exitCodeFor } from '../../core/errors.ts'
import { resetToEarliest } from './checkpoint.ts'
import type { CheckpointStore } from '../../checkpoints/store.ts'

/** How long a repeat of the first stop signal counts as the same request. */
export const REPEATED_SIGNAL_MS = 2000

export const command = defineCommand({
  name: 'run',
  summary: 'Run the streaming job',
  usage: ['run [options]'],
  description: 'Runs the job: source → parse → micro-batch → dedup → embed → sink → checkpoint.\nWith no options it reads the bundled HDFS sample into the embedded store.',
  options: {
    rebuild: field(bool(), false, {
      flag: 'rebuild',
      description: 'Read the source again from its start (every partition, or the file) before running: what the store holds is skipped, what it lacks is stored again. For a store that lost points, or a collection deleted and created again',
    }),
  },
  async run(args) {
    const config = args.config()
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const stop = new AbortController()
    const abort = new AbortController()
    const state = new JobState()
    let first: { signal: NodeJS.Signals; at: number } | undefined
    let shutdownTimer: NodeJS.Timeout | undefined
    const onSignal = (signal: NodeJS.Signals) => {
      if (!first) {
        first = { signal, at: Date.now() }
        logger.info({ signal, timeoutMs: config.shutdownTimeout }, 'stopping: finishing the batch in flight')
        state.setPhase('stopping')
        stop.abort()
        shutdownTimer = setTimeout(() => {
          logger.error({ timeoutMs: config.shutdownTimeout }, 'shutdown timeout passed; exiting with work in flight (it is replayed on restart)')
          abort.abort()
          process.exit(1)
        }, config.shutdownTimeout)
        shutdownTimer.unref()
      } else if (signal === first.signal && Date.now() - first.at < REPEATED_SIGNAL_MS) {
        logger.info({ signal }, 'the same signal again at once: still stopping (send it again later to exit now)')
      } else {
        logger.warn({ signal }, 'second signal: exiting now; uncommitted work is replayed on restart')
        process.exit(130)
      }
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    const http = config.http.enabled ? await startHttp(config, state, logger) : null
    const rebuild = args.options.rebuild ? (checkpoints: CheckpointStore) => resetToEarliest(config, checkpoints) : undefined
    // Whatever holds the process open once the job failed (a client that will not disconnect), it exits within the shutdown timeout.
    const exitSoon = (err: unknown) => {
      logger.error({ err }, 'job failed; closing')
      state.setPhase('stopping')
      setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeout }, 'the job failed and did not close within the shutdown timeout; exiting')
        process.exit(exitCodeFor(err))
      }, config.shutdownTimeout).unref()
    }
    try {
      await runJob(config, { logger, stopSignal: stop.signal, abortSignal: abort.signal, state, registry: http?.registry, hooks: crashHooksFromEnv(process.env, logger), rebuild, onFailure: exitSoon })
      return 0
    } finally {
      clearTimeout(shutdownTimer)
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      await http?.close()
      logger.flush?.()
    }
  },
})

/** The metrics and status server, when the HTTP server module is there. */
async function startHttp(
  config: Config,
  state: JobState,
  logger: import('pino').Logger,
): Promise<{ registry: import('prom-client').Registry; close(): Promise<void> } | null> {
  const { startStatusServer } = await import('../services/status-server.ts')
  return startStatusServer({ host: config.http.host, port: config.http.port, state, logger, stallMs: config.readiness.stall })
}
