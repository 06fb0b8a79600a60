/**
 * New patterns of a file job are appended to a JSON-lines file (default
 * `<checkpointDir>/<job>.anomalies.jsonl`, beside the checkpoint it belongs
 * to): one `AnomalyMessage` a line, flushed to disk (fsync) before the publish
 * counts as done.
 */
import { mkdirSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { AnomalyMessage, AnomalySink } from '../../operators/contracts.ts'

export function anomalyFileFor(checkpointDir: string, job: string, configured: string): string {
  return resolve(configured || join(checkpointDir, `${job}.anomalies.jsonl`))
}

/**
 * @example
 * const sink = createFileAnomalySink({ path: '.logstream/checkpoints/logs.anomalies.jsonl' })
 */
export function createFileAnomalySink(opts: { path: string }): AnomalySink {
  return {
    describe: `file ${opts.path}`,
    async publish(messages: readonly AnomalyMessage[]) {
      if (messages.length === 0) return
      mkdirSync(dirname(opts.path), { recursive: true })
      const file = await open(opts.path, 'a')
      try {
        await file.appendFile(messages.map((m) => `${JSON.stringify(m)}\n`).join(''))
        await file.sync()
      } finally {
        await file.close()
      }
    },
    async close() {},
  }
}
