/**
 * Realistic HDFS traffic for benchmarks and load tests: lines drawn from the
 * bundled sample (so components, levels and event templates keep their real
 * mix), with fresh block ids, addresses, sizes and advancing timestamps, and a
 * chosen share of exact duplicates of earlier lines.
 */
import { readFileSync } from 'node:fs'

export interface TrafficOptions {
  readonly count: number
  /** Share of lines that repeat an earlier line exactly (0..1). */
  readonly duplicateShare?: number
  readonly seed?: number
  /** Lines of the sample to draw from; the bundled HDFS_2k.log by default. */
  readonly sample?: readonly string[]
}

/** A small, fast, seedable PRNG (mulberry32), so the same seed gives the same traffic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function bundledSample(): string[] {
  return readFileSync(new URL('../data/hdfs/HDFS_2k.log', import.meta.url), 'utf8').split('\n').filter(Boolean)
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/**
 * Yields raw HDFS lines.
 *
 * @example
 * for (const line of hdfsTraffic({ count: 1000, duplicateShare: 0.1 })) console.log(line)
 */
export function* hdfsTraffic(opts: TrafficOptions): Generator<string> {
  const sample = opts.sample ?? bundledSample()
  const random = prng(opts.seed ?? 42)
  const dupShare = opts.duplicateShare ?? 0
  const recent: string[] = []
  let clock = Date.UTC(2008, 10, 9, 20, 0, 0)
  const blockId = () => {
    const hi = BigInt(Math.floor(random() * 2 ** 31)) << 32n
    const lo = BigInt(Math.floor(random() * 2 ** 32))
    const v = hi | lo
    return (random() < 0.5 ? -v : v).toString()
  }
  const ip = () => `10.251.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`
  for (let i = 0; i < opts.count; i++) {
    if (recent.length > 0 && random() < dupShare) {
      yield recent[Math.floor(random() * recent.length)]!
      continue
    }
    const base = sample[Math.floor(random() * sample.length)]!
    clock += Math.floor(random() * 50)
    const d = new Date(clock)
    const stamp = `${pad(d.getUTCFullYear() % 100)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
    const block = blockId()
    const line = base
      .replace(/^\d{6} \d{6} \d+/, `${stamp} ${Math.floor(random() * 5000)}`)
      .replace(/blk_-?\d+/g, `blk_${block}`)
      .replace(/\d+\.\d+\.\d+\.\d+/g, () => ip())
      .replace(/size \d+/, () => `size ${Math.floor(random() * 67108864)}`)
    recent.push(line)
    if (recent.length > 10_000) recent.splice(0, 5_000)
    yield line
  }
}
