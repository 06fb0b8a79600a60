/** Reading the Prometheus text format in tests. */

/** Sum of a metric's samples in the Prometheus text format, for the labels given. */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-z_:]+)(\{[^}]*\})? ([0-9.e+-]+|NaN)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3])
  }
  return total
}

/** Each of a topic's first `partitions` partitions' `logstream_consumer_lag` at `url`, NaN while the job has not reported it. */
export async function consumerLags(url: string, topic: string, partitions: number): Promise<number[]> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Array.from({ length: partitions }, (_, p) => Number(new RegExp(`^logstream_consumer_lag\\{partition="${topic}/${p}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN))
}
