/**
 * The rarity score of a log line against a history: how many lines like it
 * the history holds, on a log scale. One definition, used at ingest (the
 * score stage) and on request (`score-service`), so the two agree for the
 * same history.
 *
 * One neighbour query of a fixed size (`RARITY_NEIGHBOURS`, the 100 nearest
 * lines of the history, the line itself excluded) gives their cosine
 * similarities; for each of 20 similarity radii evenly spread over [0.7, 1),
 * n_r counts the neighbours at least that similar; then
 *
 *   score = 1 − mean over r of ln(1 + n_r) / ln(1 + 100)
 *
 * 1 when nothing in the history is within 0.7 of the line, 0 when at least
 * 100 lines are near-identical to it; with n near-identical lines it is about
 * 1 − ln(1 + n) / ln(101): 0.85 for one, 0.61 for five, 0.48 for ten, 0.30 for
 * twenty-five. Averaging over radii instead of fixing one lets lines that
 * differ from their template's others in one word still count, a little,
 * without a second, nearby template counting as much as the line's own.
 */

/** Neighbours one score looks at. */
export const RARITY_NEIGHBOURS = 100
/** Similarity radii the counts are taken at: `steps` evenly spread over [from, to). */
export const RARITY_RADII = { from: 0.7, to: 1, steps: 20 } as const
/** The highest radius: a history holding `RARITY_NEIGHBOURS` lines at least this similar scores 0, whatever comes after. */
export const RARITY_TOP_RADIUS = RARITY_RADII.from + ((RARITY_RADII.to - RARITY_RADII.from) * (RARITY_RADII.steps - 1)) / RARITY_RADII.steps

/**
 * The rarity score of a line from the cosine similarities of its nearest
 * neighbours in the history (itself excluded), in any order; only the
 * `RARITY_NEIGHBOURS` highest count.
 *
 * @example
 * rarityScore([])                       // 1: nothing alike
 * rarityScore(Array(100).fill(1))       // 0: at least 100 lines like it
 */
export function rarityScore(similarities: readonly number[]): number {
  const top = [...similarities].sort((a, b) => b - a).slice(0, RARITY_NEIGHBOURS)
  const { from, to, steps } = RARITY_RADII
  let sum = 0
  let n = top.length
  // Radii rise; the count at each is the similarities at or above it, so walk the sorted list down from the end.
  for (let q = 0; q < steps; q++) {
    const radius = from + ((to - from) * q) / steps
    while (n > 0 && top[n - 1]! < radius) n--
    sum += Math.log1p(n)
  }
  return Math.min(1, Math.max(0, 1 - sum / steps / Math.log1p(RARITY_NEIGHBOURS)))
}
