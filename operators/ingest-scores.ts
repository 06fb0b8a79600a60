/**
 * The rarity scores of a batch's fresh entries, each against the history
 * before it: the lines stored before the batch (one neighbour query per
 * shape) and the entries of the batch before it (compared in memory). So a
 * line scores the same whether its history arrived in earlier batches or
 * earlier in its own, and a batch of a thousand lines of one new kind scores
 * its first line 1 and its tenth about 0.5, as a store holding the first nine
 * would.
 *
 * Entries come in groups of one shape, sharing one vector (the built-in
 * embedder embeds the shape, so this is exact for it; for other embedders the
 * group's first vector stands for all).
 */
import { RARITY_NEIGHBOURS, RARITY_RADII, rarityScore } from './rarity.ts'

/** One shape of the batch: its vector, and what the store said of it. */
export interface ShapeGroup {
  readonly vector: ArrayLike<number>
  /**
   * The similarities of its nearest stored lines (up to `RARITY_NEIGHBOURS`); `'zero'` when the store
   * holds so many lines like it that it scores 0 whatever the batch adds; null when it could not be asked.
   */
  readonly stored: readonly number[] | 'zero' | null
}

function norm(v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  return Math.sqrt(s)
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>, na: number, nb: number): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return na === 0 || nb === 0 ? 0 : s / (na * nb)
}

/**
 * The score of each entry, in order: `groupOf[i]` is the group of entry `i`; null where its group is unscored.
 *
 * @example
 * ingestScores([{ vector: v, stored: [] }], [0, 0, 0])   // [1, 0.85…, 0.76…]: nothing stored, then one, then two alike
 */
export function ingestScores(groups: readonly ShapeGroup[], groupOf: readonly number[]): Array<number | null> {
  const norms = groups.map((g) => norm(g.vector))
  // For each group scored here, the groups of the batch near enough to count at some radius, nearest first;
  // each pair is compared once (cosine is symmetric).
  const scored = groups.map((g) => Array.isArray(g.stored))
  const near = groups.map((): Array<{ h: number; sim: number }> => [])
  for (let u = 0; u < groups.length; u++) {
    if (scored[u]) near[u]!.push({ h: u, sim: 1 })
    for (let h = u + 1; h < groups.length; h++) {
      if (!scored[u] && !scored[h]) continue
      const sim = cosine(groups[u]!.vector, groups[h]!.vector, norms[u]!, norms[h]!)
      if (sim < RARITY_RADII.from) continue
      if (scored[u]) near[u]!.push({ h, sim })
      if (scored[h]) near[h]!.push({ h: u, sim })
    }
  }
  for (const list of near) list.sort((a, b) => b.sim - a.sim)
  const seen = new Array<number>(groups.length).fill(0)
  return groupOf.map((g) => {
    const group = groups[g]!
    let score: number | null
    if (group.stored === null) score = null
    else if (group.stored === 'zero') score = 0
    else {
      // Only the nearest RARITY_NEIGHBOURS count: the stored ones, then the batch's, each list nearest first.
      const sims = group.stored.slice(0, RARITY_NEIGHBOURS)
      let room = RARITY_NEIGHBOURS
      for (const { h, sim } of near[g]!) {
        const n = Math.min(seen[h]!, room)
        for (let k = 0; k < n; k++) sims.push(sim)
        room -= n
        if (room === 0) break
      }
      score = rarityScore(sims)
    }
    seen[g]!++
    return score
  })
}
