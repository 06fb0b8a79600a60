/**
 * `logstream stats [--html FILE]`: what the store holds — counts by level, node
 * type, source and message shape (the message with its variables masked, as
 * the built-in embedder sees it: for LogHub's sets, close to their event
 * templates); the duplicate ratio from the
 * checkpoint history; the distributions of vector norms and of the distance
 * of each line to its nearest other line. `--html` writes a self-contained page
 * with the same figures as charts (inline SVG, no external resources).
 */
import { existsSync, writeFileSync } from 'node:fs'
import { defineCommand } from './command.ts'
import type { Config } from '../config.ts'
import { field, int, optionalField, text } from '../options.ts'
import { jsonOption } from './common-options.ts'
import { createToolLogger } from '../runtime/logger.ts'
import { createVectorStore, jobIdentity } from '../adapters/factory.ts'
import type { ScoredPoint, VectorStore } from '../../operators/contracts.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { maskVariables } from '../../operators/mask.ts'

export interface Stats {
  collection: string
  points: number
  byLevel: Record<string, number>
  byNodeType: Record<string, number>
  bySource: Record<string, number>
  /** Points by message shape (`maskVariables`). */
  byShape: Record<string, number>
  duplicates: { received: number; skipped: number; ratio: number | null; batches: number } | null
  norms: Histogram
  nearestDistance: Histogram & { sampled: number }
}

export interface Histogram {
  min: number
  max: number
  mean: number
  buckets: Array<{ from: number; to: number; count: number }>
}

export function histogram(values: readonly number[], buckets = 20): Histogram {
  if (values.length === 0) return { min: 0, max: 0, mean: 0, buckets: [] }
  const min = Math.min(...values)
  const max = Math.max(...values)
  const width = max > min ? (max - min) / buckets : 1
  const out = Array.from({ length: max > min ? buckets : 1 }, (_, i) => ({ from: min + i * width, to: min + (i + 1) * width, count: 0 }))
  for (const v of values) out[Math.min(out.length - 1, Math.floor((v - min) / width))]!.count++
  return { min, max, mean: values.reduce((a, b) => a + b, 0) / values.length, buckets: out }
}

const tally = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1)

export async function collectStats(store: VectorStore, config: Config, opts: { sample: number }): Promise<Stats> {
  const stats: Omit<Stats, 'norms' | 'nearestDistance' | 'duplicates'> = { collection: config.collection, points: 0, byLevel: {}, byNodeType: {}, bySource: {}, byShape: {} }
  const norms: number[] = []
  const sample: ScoredPoint[] = []
  let after: string | undefined
  for (;;) {
    const page = await store.scroll({ limit: 1000, after, withVector: true })
    for (const p of page.points) {
      stats.points++
      tally(stats.byLevel, p.payload.log_level ?? 'unknown')
      tally(stats.byNodeType, p.payload.node_type ?? 'unknown')
      tally(stats.bySource, p.payload.source ?? 'unknown')
      tally(stats.byShape, maskVariables(p.payload.text ?? ''))
      if (p.vector) norms.push(Math.sqrt(p.vector.reduce((s, x) => s + x * x, 0)))
      // An evenly spread sample for the nearest-neighbour distances (reservoir sampling, seeded by position).
      if (sample.length < opts.sample) sample.push(p)
      else {
        const j = (stats.points * 2654435761) % stats.points
        if (j < opts.sample) sample[j] = p
      }
    }
    if (!page.next) break
    after = page.next
  }
  const distances: number[] = []
  for (const p of sample) {
    if (!p.vector) continue
    const hits = await store.search(p.vector, { k: 2 })
    const other = hits.find((h) => h.id !== p.id)
    if (other) distances.push(1 - other.score)
  }
  return { ...stats, duplicates: duplicateHistory(config), norms: histogram(norms), nearestDistance: { ...histogram(distances), sampled: distances.length } }
}

/** Skipped and received counts of the job's recent committed batches, from its checkpoint. */
function duplicateHistory(config: Config): Stats['duplicates'] {
  const path = checkpointPath(config.checkpointDir, config.job)
  if (!existsSync(path)) return null
  const store = openCheckpointStore({ path, identity: jobIdentity(config), readonly: true })
  try {
    const batches = store.recentBatches(1000).filter((b) => b.counts)
    const received = batches.reduce((s, b) => s + b.counts!.received, 0)
    const skipped = batches.reduce((s, b) => s + b.counts!.skippedExisting + b.counts!.duplicatesInBatch, 0)
    return { received, skipped, ratio: received ? skipped / received : null, batches: batches.length }
  } finally {
    store.close()
  }
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)

function barChart(id: string, title: string, rows: Array<[string, number]>): string {
  const max = Math.max(1, ...rows.map(([, v]) => v))
  const height = 22 * rows.length + 10
  const bars = rows
    .map(([label, v], i) => {
      const w = Math.max(1, (v / max) * 460)
      return `<g transform="translate(0 ${i * 22 + 4})"><text x="0" y="14" class="l">${esc(label.length > 60 ? `${label.slice(0, 57)}…` : label)}</text><rect x="330" y="2" width="${w.toFixed(1)}" height="16" rx="2"/><text x="${(336 + w).toFixed(1)}" y="14" class="v">${v.toLocaleString('en-US')}</text></g>`
    })
    .join('')
  return `<section><h2>${esc(title)}</h2><svg id="${id}" class="chart" width="860" height="${height}" viewBox="0 0 860 ${height}" role="img" aria-label="${esc(title)}">${bars}</svg></section>`
}

function histogramChart(id: string, title: string, h: Histogram, unit: string): string {
  const max = Math.max(1, ...h.buckets.map((b) => b.count))
  const bw = h.buckets.length ? 800 / h.buckets.length : 800
  const bars = h.buckets.map((b, i) => `<rect x="${(30 + i * bw).toFixed(1)}" y="${(170 - (b.count / max) * 150).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${((b.count / max) * 150).toFixed(1)}"><title>${b.from.toFixed(3)}–${b.to.toFixed(3)}: ${b.count}</title></rect>`).join('')
  return `<section><h2>${esc(title)}</h2><svg id="${id}" class="chart" width="860" height="200" viewBox="0 0 860 200" role="img" aria-label="${esc(title)}">${bars}<text x="30" y="192" class="v">${h.min.toFixed(3)}${unit}</text><text x="830" y="192" class="v" text-anchor="end">${h.max.toFixed(3)}${unit}</text></svg><p>mean ${h.mean.toFixed(4)}${unit}</p></section>`
}

export function statsHtml(s: Stats): string {
  const sorted = (m: Record<string, number>) => Object.entries(m).sort((a, b) => b[1] - a[1])
  const dup = s.duplicates
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>logstream stats: ${esc(s.collection)}</title><link rel="icon" href="data:,">
<style>body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;margin:24px;background:#f7f8fa}section{background:#fff;border:1px solid #e4e7ec;border-radius:8px;padding:12px 16px;margin:0 0 16px;max-width:900px}
h1{font-size:20px}h2{font-size:13px;text-transform:uppercase;color:#667085;letter-spacing:.04em;margin:0 0 8px}rect{fill:#2e6ee6}.l{font-size:12px;fill:#1d2330}.v{font-size:11px;fill:#667085}</style></head>
<body><h1>logstream stats — ${esc(s.collection)}</h1>
<section><h2>Summary</h2><p id="summary"><b>${s.points.toLocaleString('en-US')}</b> points. ${dup ? `Duplicate ratio over the last ${dup.batches} batches: <b>${dup.ratio === null ? '–' : `${(dup.ratio * 100).toFixed(1)}%`}</b> (${dup.skipped.toLocaleString('en-US')} of ${dup.received.toLocaleString('en-US')} messages skipped).` : 'No checkpoint history for this job.'}</p></section>
${barChart('by-level', 'By level', sorted(s.byLevel))}
${barChart('by-node-type', 'By node type', sorted(s.byNodeType))}
${barChart('by-source', 'By source', sorted(s.bySource))}
${barChart('by-shape', `By message shape (the ${Math.min(SHAPES_SHOWN, Object.keys(s.byShape).length)} most common of ${Object.keys(s.byShape).length})`, sorted(s.byShape).slice(0, SHAPES_SHOWN))}
${histogramChart('norms', 'Vector norms', s.norms, '')}
${histogramChart('nearest', `Cosine distance to the nearest other line (${s.nearestDistance.sampled} sampled)`, s.nearestDistance, '')}
</body></html>
`
}

/** Shapes listed in the table and the chart; `--json` has them all. */
const SHAPES_SHOWN = 50

function printTable(title: string, m: Record<string, number>, limit = Infinity): string {
  const rows = Object.entries(m).sort((a, b) => b[1] - a[1])
  const more = rows.length > limit ? [`  … and ${rows.length - limit} more`] : []
  return [`${title}:`, ...rows.slice(0, limit).map(([k, v]) => `  ${String(v).padStart(9)}  ${k}`), ...more].join('\n')
}

export const command = defineCommand({
  name: 'stats',
  summary: 'Counts, duplicate ratio and vector distributions of the stored entries',
  usage: ['stats [--html FILE] [--json] [--sample N] [options]'],
  options: {
    html: optionalField(text(), { flag: 'html', description: 'Also write a self-contained page of charts to this file' }),
    json: jsonOption(),
    sample: field(int(0), 500, { flag: 'sample', description: 'Lines sampled for the nearest-neighbour distances' }),
  },
  async run(args) {
    const { html, json, sample } = args.options
    const config = args.config()
    const store: VectorStore = await createVectorStore(config, { logger: createToolLogger(config.log.format) }, { mustExist: true })
    try {
      const s = await collectStats(store, config, { sample })
      if (html) writeFileSync(html, statsHtml(s))
      if (json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`)
      else {
        const d = s.duplicates
        process.stdout.write(
          [
            `${s.collection}: ${s.points} points`,
            d ? `duplicate ratio: ${d.ratio === null ? '–' : `${(d.ratio * 100).toFixed(1)}%`} over ${d.batches} batches` : 'no checkpoint history',
            printTable('by level', s.byLevel),
            printTable('by node type', s.byNodeType),
            printTable('by source', s.bySource),
            printTable('by message shape', s.byShape, SHAPES_SHOWN),
            `vector norms: min ${s.norms.min.toFixed(4)}, mean ${s.norms.mean.toFixed(4)}, max ${s.norms.max.toFixed(4)}`,
            `nearest-neighbour cosine distance (${s.nearestDistance.sampled} sampled): min ${s.nearestDistance.min.toFixed(4)}, mean ${s.nearestDistance.mean.toFixed(4)}, max ${s.nearestDistance.max.toFixed(4)}`,
            html ? `charts written to ${html}` : '',
          ]
            .filter(Boolean)
            .join('\n') + '\n',
        )
      }
      return 0
    } finally {
      await store.close()
    }
  },
})
