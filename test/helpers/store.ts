/** Reading back what a job stored in its embedded store, and flag maps for in-process runs. */
import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { createVectorStore } from '../../src/adapters/factory.ts'
import type { ScoredPoint } from '../../operators/contracts.ts'

/** Every point in the embedded store under `dir/data`, in id order. */
export async function storedPoints(dir: string, opts: { withVector?: boolean } = {}): Promise<ScoredPoint[]> {
  const config = loadConfig({ flags: new Map([['data-dir', [join(dir, 'data')]]]) })
  const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
  const points: ScoredPoint[] = []
  let after: string | undefined
  try {
    for (;;) {
      const page = await store.scroll({ limit: 1000, after, withVector: opts.withVector ?? false })
      points.push(...page.points)
      if (!page.next) return points
      after = page.next
    }
  } finally {
    await store.close()
  }
}

/** Every id in the embedded store under `dir/data`. */
export async function storedIds(dir: string): Promise<string[]> {
  return (await storedPoints(dir)).map((p) => p.id)
}

/** `--flag value` words → the flag map `loadConfig` takes. */
export function toFlags(words: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (!w.startsWith('--')) continue
    const name = w.slice(2)
    if (name.startsWith('no-')) {
      out[name.slice(3)] = ['false']
      continue
    }
    ;(out[name] ??= []).push(words[++i]!)
  }
  return out
}

/**
 * Every point in the embedded store under `dir/data`, by id, payloads without what differs between runs by design:
 * the ingest time, and the anomaly score (it depends on which lines were stored before, and lines of several
 * partitions arrive in another order in every run).
 */
export async function storedPayloads(dir: string): Promise<Array<Record<string, unknown>>> {
  return (await storedPoints(dir)).map((p) => ({ ...p.payload, id: p.id, ingested_at: undefined, anomaly_score: undefined }))
}
