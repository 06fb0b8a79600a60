/**
 * A benchmark row of its own: what reading text lines costs per message, in
 * process (no Kafka, no store), on the lines of the nine bundled LogHub sets
 * mixed: `parse` is the parse stage's record parser with format detection
 * (the work it adds over the JSON message format), `mask` the built-in
 * embedder's masking of the message. Compare its CPU µs a message with the
 * engine row's.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseRecord } from '../operators/parse.ts'
import { maskVariables } from '../operators/mask.ts'
import type { SourceRecord } from '../operators/contracts.ts'
import type { RowResult } from './worker.ts'

const FILES = ['hdfs/HDFS_2k.log', ...['BGL', 'Hadoop', 'Zookeeper', 'Spark', 'OpenStack', 'Linux', 'Apache', 'OpenSSH'].map((s) => `loghub/${s}/${s}_2k.log`)]

/** The sets' lines, interleaved so that no format runs in a streak. */
function mixedLines(): string[] {
  const sets = FILES.map((f) => readFileSync(join(process.cwd(), 'data', f), 'utf8').split(/\r?\n/).filter(Boolean))
  const out: string[] = []
  for (let i = 0; i < Math.max(...sets.map((s) => s.length)); i++) for (const s of sets) if (s[i] !== undefined) out.push(s[i]!)
  return out
}

/** Runs `step` over `rounds` passes of the mixed lines; one warm-up pass first. */
export function formatsRow(step: 'parse' | 'mask', rounds: number): RowResult {
  const lines = mixedLines()
  const records: SourceRecord[] = lines.map((line, i) => ({ partition: 'bench', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(line), timestampMs: 1_700_000_000_000 }))
  const texts = records.map((r) => {
    const out = parseRecord(r, { maxMessageBytes: 1 << 20 })
    if (!('entry' in out)) throw new Error(`bench line not parsed: ${out.reason}`)
    return out.entry.text
  })
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let sink = 0
  const pass = () => {
    if (step === 'parse') for (const r of records) sink += 'entry' in parseRecord(r, { maxMessageBytes: 1 << 20 }, decoder) ? 1 : 0
    else for (const t of texts) sink += maskVariables(t).length
  }
  pass()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < rounds; i++) pass()
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  if (sink === 0) throw new Error('nothing was measured')
  return { messages: lines.length * rounds, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 }
}
