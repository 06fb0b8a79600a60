/**
 * The acceptance test of log formats, embeddings and anomaly scores, on the
 * nine LogHub samples bundled in `data/` (2,000 lines each, with LogPAI's
 * structured CSV giving every line's header fields and event template). For
 * each set the whole job runs in-process with its defaults (file source,
 * built-in embedder, embedded store), then:
 * - every line is stored: none dead-lettered, and the id of every line (its
 *   message and timestamp) is in the store;
 * - the message, timestamp and level of every line are those of the CSV's
 *   columns (timestamps and levels where the format has them);
 * - search: the nearest other stored line is of the same template for ≥ 99% of
 *   lines and ≥ 97% on average over templates;
 * - anomaly scores rank lines of rare templates (fewer than 5, 10, 25 or 50
 *   lines in the file) above the others with ROC AUC ≥ 0.95 at every cut.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { runJob } from '../../src/main.ts'
import { createVectorStore } from '../../src/adapters/factory.ts'
import { anomalyScore, RARITY_NEIGHBOURS } from '../../src/scoring/anomaly.ts'
import { parseRecord } from '../../operators/parse.ts'
import { plausibleFileTime } from '../../operators/file-source.ts'
import type { LogEntry, ScoredPoint } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { LOGHUB_SETS, loadLoghub, type LoghubSet } from '../helpers/loghub.ts'
import { rocAuc } from '../helpers/roc.ts'

const LEVELS: Record<string, string> = { INFO: 'INFO', WARN: 'WARN', WARNING: 'WARN', ERROR: 'ERROR', FATAL: 'FATAL', SEVERE: 'ERROR', notice: 'INFO', error: 'ERROR' }
const MONTHS: Record<string, string> = { Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12' }
const two = (s: string) => s.padStart(2, '0')

/**
 * The timestamp the CSV's columns give a line, as the start of an ISO text; formats without a year
 * (syslog files) give it from the month on, and the year must be inferred.
 */
const EXPECTED_TIME: Record<LoghubSet, (r: Record<string, string>) => { iso: string; yearless?: boolean }> = {
  HDFS: (r) => ({ iso: `20${r.Date!.slice(0, 2)}-${r.Date!.slice(2, 4)}-${r.Date!.slice(4)}T${r.Time!.slice(0, 2)}:${r.Time!.slice(2, 4)}:${r.Time!.slice(4)}` }),
  BGL: (r) => ({ iso: r.Time!.replace(/^(\d{4}-\d\d-\d\d)-(\d\d)\.(\d\d)\.(\d\d)\./, '$1T$2:$3:$4.') }),
  Hadoop: (r) => ({ iso: `${r.Date}T${r.Time!.replace(',', '.')}` }),
  Zookeeper: (r) => ({ iso: `${r.Date}T${r.Time!.replace(',', '.')}` }),
  Spark: (r) => ({ iso: `20${r.Date!.replace(/\//g, '-')}T${r.Time}` }),
  OpenStack: (r) => ({ iso: `${r.Date}T${r.Time}` }),
  Linux: (r) => ({ iso: `-${MONTHS[r.Month!]}-${two(r.Date!)}T${r.Time}`, yearless: true }),
  Apache: (r) => {
    const [, month, day, time, year] = /^\w+ (\w+) (\d+) ([\d:]+) (\d{4})$/.exec(r.Time!)!
    return { iso: `${year}-${MONTHS[month!]}-${two(day!)}T${time}` }
  },
  OpenSSH: (r) => ({ iso: `-${MONTHS[r.Date!]}-${two(r.Day!)}T${r.Time}`, yearless: true }),
}

const DATA_FILE: Record<LoghubSet, string> = Object.fromEntries(
  LOGHUB_SETS.map((s) => [s, fileURLToPath(new URL(s === 'HDFS' ? '../../data/hdfs/HDFS_2k.log' : `../../data/loghub/${s}/${s}_2k.log`, import.meta.url))]),
) as Record<LoghubSet, string>

/** Every stored point, with vectors. */
async function storedPoints(store: { scroll: (o: { limit: number; after?: string; withVector?: boolean }) => Promise<{ points: ScoredPoint[]; next: string | null }> }): Promise<ScoredPoint[]> {
  const all: ScoredPoint[] = []
  let after: string | undefined
  for (;;) {
    const page = await store.scroll({ limit: 1000, after, withVector: true })
    all.push(...page.points)
    if (!page.next) return all
    after = page.next
  }
}

const figures: string[] = []

for (const name of LOGHUB_SETS) {
  test(`${name}: every line stored and its fields parsed; same-template neighbours; rare templates score high at every cut`, async (t) => {
    const sample = loadLoghub(name)
    const dir = tempDir(t)
    const flags = new Map<string, string[]>([
      ['source', [`file:${DATA_FILE[name]}`]],
      ['data-dir', [join(dir, 'data')]],
      ['checkpoint-dir', [join(dir, 'checkpoints')]],
      ['http', ['false']],
      ['trigger', ['200ms']],
    ])
    const config = loadConfig({ flags, env: {} })
    const summary = await runJob(config, { logger: pino({ level: 'silent' }) })

    // Every line read, none dead-lettered; each line's entry as the job reads it, for its id.
    assert.equal(summary.received, sample.lines.length)
    assert.equal(summary.deadLettered, 0, 'no line is dead-lettered')
    // Years are inferred from the file's time (its checkout's), as the file source reads it.
    const fileTimeMs = plausibleFileTime(statSync(DATA_FILE[name]).mtimeMs)
    const parsed = sample.lines.map((line, i) => {
      const out = parseRecord({ partition: 'p', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(line), fileTimeMs }, { maxMessageBytes: config.maxMessageBytes })
      assert.ok('entry' in out, `line ${i + 1} parses`)
      return out
    })
    const entries: LogEntry[] = parsed.map((out) => out.entry)
    const ids = parsed.map((out) => out.id)

    // Fields against the CSV's columns.
    const referenceYear = new Date(fileTimeMs ?? Date.now()).getUTCFullYear()
    entries.forEach((e, i) => {
      const row = sample.rows[i]!
      assert.equal(e.text, row.Content!.trim(), `line ${i + 1}: the message`)
      assert.equal(e.original_text, sample.lines[i]!.trim(), `line ${i + 1}: the whole line`)
      const { iso, yearless } = EXPECTED_TIME[name](row)
      if (yearless) {
        assert.match(e.timestamp, /^\d{4}-/, `line ${i + 1}: a year is inferred`)
        const year = Number(e.timestamp.slice(0, 4))
        assert.ok(year <= referenceYear && year >= referenceYear - 1, `line ${i + 1}: a year of the twelve months before the file's time`)
        assert.ok(e.timestamp.slice(4).startsWith(iso), `line ${i + 1}: timestamp ${e.timestamp}, expected …${iso}`)
      } else assert.ok(e.timestamp.startsWith(iso), `line ${i + 1}: timestamp ${e.timestamp}, expected ${iso}`)
      if (row.Level !== undefined && name !== 'Linux') assert.equal(e.log_level, LEVELS[row.Level], `line ${i + 1}: level ${row.Level}`)
    })

    // Stored: exactly the distinct ids of the lines (the same line twice is one entry; the same message from two processes in one second is two).
    const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) }, { mustExist: true })
    t.after(() => store.close())
    const points = await storedPoints(store)
    const distinct = new Set(ids)
    assert.equal(points.length, distinct.size)
    assert.equal(summary.stored, distinct.size)
    assert.deepEqual(new Set(points.map((p) => p.id)), distinct)

    // Each stored point's template (its first line's), and how many lines of that template the file holds.
    const templateOf = new Map<string, string>()
    ids.forEach((id, i) => templateOf.has(id) || templateOf.set(id, sample.rows[i]!.EventId!))
    const linesPerTemplate = new Map<string, number>()
    for (const row of sample.rows) linesPerTemplate.set(row.EventId!, (linesPerTemplate.get(row.EventId!) ?? 0) + 1)
    const pointsPerTemplate = new Map<string, number>()
    for (const p of points) pointsPerTemplate.set(templateOf.get(p.id)!, (pointsPerTemplate.get(templateOf.get(p.id)!) ?? 0) + 1)

    // One neighbour query per point gives both its nearest other point and its anomaly score.
    const perTemplate = new Map<string, { right: number; all: number }>()
    const scores: number[] = []
    for (const p of points) {
      const hits = await store.search(p.vector!, { k: RARITY_NEIGHBOURS + 1 })
      scores.push(anomalyScore(hits, p.id))
      const template = templateOf.get(p.id)!
      if (pointsPerTemplate.get(template)! < 2) continue
      const nearest = hits.find((h) => h.id !== p.id)!
      const tally = perTemplate.get(template) ?? { right: 0, all: 0 }
      tally.all++
      if (templateOf.get(nearest.id) === template) tally.right++
      perTemplate.set(template, tally)
    }
    const judged = [...perTemplate.values()]
    const lineShare = judged.reduce((s, v) => s + v.right, 0) / judged.reduce((s, v) => s + v.all, 0)
    const templateShare = judged.reduce((s, v) => s + v.right / v.all, 0) / judged.length
    const aucs = [5, 10, 25, 50].map((cut) => {
      const rare = points.map((p) => linesPerTemplate.get(templateOf.get(p.id)!)! < cut)
      return rare.some(Boolean) && !rare.every(Boolean) ? rocAuc(scores, rare) : null
    })
    const row = `| ${name} | ${points.length} of ${sample.lines.length} | ${lineShare.toFixed(3)} / ${templateShare.toFixed(3)} | ${aucs.map((a) => (a === null ? '—' : a.toFixed(3))).join(' / ')} |`
    figures.push(row)
    console.log(row)
    assert.ok(lineShare >= 0.99, `nearest other line of the same template for ${lineShare} of lines`)
    assert.ok(templateShare >= 0.97, `nearest other line of the same template for ${templateShare} on average over templates`)
    aucs.forEach((auc, i) => assert.ok(auc === null || auc >= 0.95, `rare-template ROC AUC at cut ${[5, 10, 25, 50][i]}: ${auc}`))
  })
}

test('ROC AUC is the chance a positive outscores a negative, ties counting half', () => {
  assert.equal(rocAuc([0.9, 0.1], [true, false]), 1)
  assert.equal(rocAuc([0.1, 0.9], [true, false]), 0)
  assert.equal(rocAuc([0.5, 0.5], [true, false]), 0.5)
  assert.equal(rocAuc([0.9, 0.5, 0.5, 0.1], [true, true, false, false]), 0.875)
})
