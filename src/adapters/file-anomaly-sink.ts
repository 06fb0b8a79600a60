/**
 * New patterns of a file job are appended to a JSON-lines file (default
 * `<checkpointDir>/<job>.anomalies.jsonl`, beside the checkpoint it belongs
 * to): one `AnomalyMessage` a line, flushed to disk (fsync) before the publish
 * counts as done. Written synchronously, as the embedded store and the
 * checkpoint are: a few lines, rarely, and the commit that follows waits for
 * them anyway.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
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
      const fd = openSync(opts.path, 'a')
      try {
        writeSync(fd, messages.map((m) => `${JSON.stringify(m)}\n`).join(''))
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
    },
    async close() {},
  }
}
