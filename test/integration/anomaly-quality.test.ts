/**
 * The acceptance test of anomaly scores at ingest, on the nine LogHub samples
 * bundled in `data/` (their structured CSVs give every line's event
 * template): each set streamed in file order through the whole job from an
 * empty store, with the defaults (file source, built-in embedder, embedded
 * store, 1,000-line batches, scoring on). Every stored point carries the
 * score it got at ingest, against the history before it; that score must
 * separate lines whose template had appeared fewer than 3 times before them
 * from lines whose template had appeared 25 or more times before them with a
 * ROC AUC of at least 0.95.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { runJob } from '../../src/main.ts'
import { createVectorStore } from '../../src/adapters/factory.ts'
import { parseRecord } from '../../operators/parse.ts'
import type { ScoredPoint } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { LOGHUB_SETS, loadLoghub, logFileOf } from '../helpers/loghub.ts'
import { rocAuc } from '../helpers/roc.ts'

const RARE = 3
const COMMON = 25

for (const name of LOGHUB_SETS) {
  test(`${name}: streamed from an empty store, the ingest-time score separates templates seen < ${RARE} times before a line from those seen ≥ ${COMMON} times (ROC AUC ≥ 0.95)`, async (t) => {
    const sample = loadLoghub(name)
    const dir = tempDir(t)
    const flags = new Map<string, string[]>([
      ['source', [`file:${logFileOf(name)}`]],
      ['data-dir', [join(dir, 'data')]],
      ['checkpoint-dir', [join(dir, 'checkpoints')]],
      ['http', ['false']],
    ])
    const config = loadConfig({ flags, env: {} })
    const summary = await runJob(config, { logger: pino({ level: 'silent' }) })
    assert.equal(summary.received, sample.lines.length)

    // Each stored point's first line, and how often its template had appeared before that line (repeats included).
    const firstLineOf = new Map<string, number>()
    const before: number[] = []
    const seen = new Map<string, number>()
    sample.lines.forEach((line, i) => {
      const out = parseRecord({ partition: 'p', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(line) }, { maxMessageBytes: config.maxMessageBytes })
      assert.ok('entry' in out)
      if (!firstLineOf.has(out.id)) firstLineOf.set(out.id, i)
      const template = sample.rows[i]!.EventId!
      before.push(seen.get(template) ?? 0)
      seen.set(template, (seen.get(template) ?? 0) + 1)
    })

    const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) }, { mustExist: true })
    t.after(() => store.close())
    const points: ScoredPoint[] = []
    for (let after: string | undefined; ; ) {
      const page = await store.scroll({ limit: 1000, after })
      points.push(...page.points)
      if (!page.next) break
      after = page.next
    }
    assert.equal(points.length, firstLineOf.size)
    const scores: number[] = []
    const rare: boolean[] = []
    for (const p of points) {
      const score = p.payload.anomaly_score
      assert.equal(typeof score, 'number', `point ${p.id} carries its ingest score`)
      assert.ok((score as number) >= 0 && (score as number) <= 1)
      const n = before[firstLineOf.get(p.id)!]!
      if (n < RARE || n >= COMMON) {
        scores.push(score as number)
        rare.push(n < RARE)
      }
    }
    const positives = rare.filter(Boolean).length
    const auc = rocAuc(scores, rare)
    const announced = readFileSync(join(dir, 'checkpoints', 'logs.anomalies.jsonl'), 'utf8').trim().split('\n').length
    console.log(`| ${name} | ${points.length} | ${positives} | ${scores.length - positives} | ${auc.toFixed(3)} | ${announced} |`)
    assert.ok(positives > 0 && positives < scores.length, 'both kinds of line are there')
    assert.ok(auc >= 0.95, `ROC AUC ${auc}`)
  })
}
