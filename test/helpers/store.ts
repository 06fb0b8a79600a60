/** Reading back what a job stored in its embedded store, and flag maps for in-process runs. */
import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { createVectorStore } from '../../src/adapters/factory.ts'

/** Every id in the embedded store under `dir/data`. */
export async function storedIds(dir: string): Promise<string[]> {
  const config = loadConfig({ flags: new Map([['data-dir', [join(dir, 'data')]]]) })
  const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
  const ids: string[] = []
  let after: string | undefined
  try {
    for (;;) {
      const page = await store.scroll({ limit: 1000, after })
      ids.push(...page.points.map((p) => p.id))
      if (!page.next) break
      after = page.next
    }
  } finally {
    await store.close()
  }
  return ids
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
  const config = loadConfig({ flags: new Map([['data-dir', [join(dir, 'data')]]]) })
  const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
  const out: Array<Record<string, unknown>> = []
  let after: string | undefined
  try {
    for (;;) {
      const page = await store.scroll({ limit: 1000, after })
      for (const p of page.points) out.push({ ...p.payload, id: p.id, ingested_at: undefined, anomaly_score: undefined })
      if (!page.next) break
      after = page.next
    }
  } finally {
    await store.close()
  }
  return out
}
